"""The Prefect flows, by name: the CLI and the tests run the same flows as the deployments.

flows/ sits at the top of a checkout, where prefect.yaml's entrypoints point, and ships
inside the package as `uptake.flows` (see pyproject.toml), so an installed uptake runs
them from any directory.
"""

from __future__ import annotations

import importlib

from uptake.errors import UptakeError


def load_flow(module: str, name: str):
    """`load_flow("refresh", "refresh")` is flows/refresh.py's `refresh` flow."""
    try:
        flows = importlib.import_module(f"uptake.flows.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"uptake.flows.{module}":
            raise
        raise UptakeError(f"no flow module {module!r} in uptake.flows") from None
    return getattr(flows, name)
