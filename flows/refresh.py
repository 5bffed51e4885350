"""Refresh the warehouse: load every chosen source, then rebuild the models.

`demo` loads both bundled tables (PyPI downloads and conference mentions). Each source
loads in its own transaction; a failed source does not stop the others or the build.
"""

from __future__ import annotations

from prefect import flow
from uptake.flows.build_models import build_models
from uptake.flows.pypi_downloads import SOURCES as PYPI_SOURCES
from uptake.flows.pypi_downloads import pypi_downloads
from uptake.flows.research_signals import SOURCES as RESEARCH_SOURCES
from uptake.flows.research_signals import research_signals

from uptake import progress
from uptake.errors import ParameterError
from uptake.flows_support import journaled_run

SOURCES = tuple(dict.fromkeys(PYPI_SOURCES + RESEARCH_SOURCES))


@flow(name="refresh")
@journaled_run("refresh")
def refresh(
    sources: list[str] | None = None,
    locations: dict[str, list[str]] | None = None,
    db: str | None = None,
    study: str | None = None,
    pypistats_url: str | None = None,
    maximum_bytes_billed: int | None = None,
    history_repo: str | None = None,
    hub_endpoint: str | None = None,
) -> dict:
    """`locations` maps a file-based source to its files, folders or URLs."""
    sources = sources or ["demo"]
    locations = locations or {}
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ParameterError(
            f"unknown {'source' if len(unknown) == 1 else 'sources'} {', '.join(unknown)}: "
            f"choose from {', '.join(SOURCES)}"
        )
    loads, failures = {}, {}
    progress.advance("sources loaded", 0, len(sources))
    for done, source in enumerate(sources, start=1):
        runs = []
        if source in PYPI_SOURCES:
            options = {"maximum_bytes_billed": maximum_bytes_billed, "history_repo": history_repo}
            runs.append(
                (
                    "pypi" if source == "demo" else source,
                    pypi_downloads,
                    {
                        "source": source,
                        "locations": locations.get(source),
                        "db": db,
                        "study": study,
                        "pypistats_url": pypistats_url,
                        **{name: value for name, value in options.items() if value is not None},
                    },
                )
            )
        if source in RESEARCH_SOURCES:
            runs.append(
                (
                    "research" if source == "demo" else source,
                    research_signals,
                    {
                        "source": source,
                        "locations": locations.get(source),
                        "db": db,
                        "study": study,
                        "hub_endpoint": hub_endpoint,
                    },
                )
            )
        for label, subflow, parameters in runs:
            name = f"demo ({label})" if source == "demo" else source
            state = subflow(**parameters, return_state=True)
            if state.is_completed():
                loads[name] = state.result()
            else:
                failures[name] = state.message or "failed"
        progress.advance("sources loaded", done, len(sources))
    models = build_models(db=db, study=study)
    return {"loads": loads, "failures": failures, "models": models}


if __name__ == "__main__":
    refresh(sources=["demo"])
