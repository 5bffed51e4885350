"""uptake: mine software adoption over time and test hypotheses about it.

    import uptake

    uptake.refresh(["demo"])                 # or {"top_pypi": ["path/to/snapshots"]}
    answer = uptake.analyze()
    print(answer.headline)
    shares = uptake.read_mart("rivalry_shares")   # a polars DataFrame

    for snapshot in uptake.Repository("path/to/clone").month_ends():
        print(snapshot.month, sorted(snapshot.imports))   # no warehouse needed

See `uptake.api` for every warehouse call and its typed result, and
`uptake.mining.month_ends` for reading one clone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "BuildResult",
    "LoadSummary",
    "MiningSummary",
    "MonthEnd",
    "RefreshResult",
    "Repository",
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
    from uptake.mining.month_ends import MonthEnd, Repository

# Where each name lives when it is not in uptake.api: reading one clone's month ends
# needs neither the warehouse nor the analysis stack.
_HOMES = {"MonthEnd": "uptake.mining.month_ends", "Repository": "uptake.mining.month_ends"}


def __getattr__(name: str):
    # Imported on first use: `import uptake` (and every CLI start) stays fast, while
    # `uptake.analyze` brings the analysis stack only when called for.
    if name in __all__:
        import importlib

        return getattr(importlib.import_module(_HOMES.get(name, "uptake.api")), name)
    raise AttributeError(f"module 'uptake' has no attribute {name!r}")
