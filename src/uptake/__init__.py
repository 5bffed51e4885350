"""uptake: mine software adoption over time and test hypotheses about it.

    import uptake

    uptake.refresh(["demo"])                 # or {"top_pypi": ["path/to/snapshots"]}
    answer = uptake.analyze()
    print(answer.headline)
    shares = uptake.read_mart("rivalry_shares")   # a polars DataFrame

See `uptake.api` for every call and its typed result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "BuildResult",
    "LoadSummary",
    "MiningSummary",
    "RefreshResult",
    "Warehouse",
    "analyze",
    "build",
    "mine",
    "open_warehouse",
    "read_mart",
    "refresh",
    "write_report",
]

if TYPE_CHECKING:
    from uptake.api import (
        Analysis,
        BuildResult,
        LoadSummary,
        MiningSummary,
        RefreshResult,
        Warehouse,
        analyze,
        build,
        mine,
        open_warehouse,
        read_mart,
        refresh,
        write_report,
    )


def __getattr__(name: str):
    # Imported on first use: `import uptake` (and every CLI start) stays fast, while
    # `uptake.analyze` brings the analysis stack only when called for.
    if name in __all__:
        from uptake import api

        return getattr(api, name)
    raise AttributeError(f"module 'uptake' has no attribute {name!r}")
