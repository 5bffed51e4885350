"""Import the Prefect flows in the project's flows/ folder from anywhere (CLI, tests)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from uptake.errors import UptakeError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def load_flow(module: str, name: str):
    """`load_flow("refresh", "refresh")` is flows/refresh.py's `refresh` flow."""
    if not (PROJECT_ROOT / "flows" / f"{module}.py").is_file():
        raise UptakeError(
            f"flows/{module}.py not found under {PROJECT_ROOT}: install uptake from a checkout "
            "(pip install -e .), as the README shows"
        )
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return getattr(importlib.import_module(f"flows.{module}"), name)
