"""Every error uptake raises on purpose: one family, each naming its cause and where to look."""


class UptakeError(Exception):
    """Base class: the message is one line a user can act on."""


class ParameterError(UptakeError, ValueError):
    """A flow or command was given parameters that do not fit together (a ValueError too)."""


class StudyError(UptakeError):
    """The study file is malformed or names something that does not exist."""


class WarehouseError(UptakeError):
    """The DuckDB warehouse cannot be opened or written."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse file."""


class ModelError(UptakeError):
    """A SQL model failed to build, or a data test returned offending rows."""


class SourceError(UptakeError):
    """A source could not be read: the message names the file, URL or item."""


class RateLimitedError(SourceError):
    """A remote service refused for rate limiting and retries ran out."""


class BudgetExceededError(SourceError):
    """A BigQuery job would scan more bytes than the configured cap."""
