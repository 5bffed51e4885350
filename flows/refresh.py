"""Refresh the warehouse: load every chosen download source, then rebuild the models."""

from __future__ import annotations

from prefect import flow

try:
    from flows.build_models import build_models
    from flows.pypi_downloads import pypi_downloads
except ImportError:  # run as a script: `python flows/refresh.py`
    from build_models import build_models
    from pypi_downloads import pypi_downloads


@flow(name="refresh")
def refresh(
    sources: list[str] | None = None,
    locations: list[str] | None = None,
    db: str | None = None,
    study: str | None = None,
    pypistats_url: str | None = None,
    maximum_bytes_billed: int | None = None,
    history_repo: str | None = None,
) -> dict:
    """Each source loads in its own transaction; a failed source does not stop the others."""
    sources = sources or ["top_pypi"]
    loads, failures = {}, {}
    for source in sources:
        state = pypi_downloads(
            source=source,
            locations=locations,
            db=db,
            study=study,
            pypistats_url=pypistats_url,
            return_state=True,
        )
        if state.is_completed():
            loads[source] = state.result()
        else:
            failures[source] = state.message or "failed"
    models = build_models(db=db, study=study)
    return {"loads": loads, "failures": failures, "models": models}


if __name__ == "__main__":
    refresh(sources=["demo"])
