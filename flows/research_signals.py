"""Load the research signal: conference framework mentions, papers' code links, the
open-source cohort, Papers with Code dumps and the Hugging Face Hub's models, each in its
own journaled transaction.

Sources: `conference_papers` (framework_mentions.csv and per-paper lists: files or
folders), `mined_corpus` (a corpus file written by `uptake export-corpus`: mined
repositories with the papers and listings naming them), `paper_lists` (Paper Copilot's per-edition lists of papers and their code
links), `github_ranking` (the monthly most-starred Python repositories), `pwc_links` and `pwc_papers` (Papers with Code dumps, .json.gz or Parquet,
paths or URLs, cached by ETag), `huggingface_hub` (new models per framework tag,
incremental), and `demo` (the bundled conference mention counts and mined corpus).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from uptake.errors import ParameterError
from uptake.flows_support import journal_failure, journaled_run, report_load, retry_if_transient
from uptake.study import load_study
from uptake.warehouse import Warehouse

SOURCES = (
    "conference_papers",
    "paper_lists",
    "github_ranking",
    "mined_corpus",
    "pwc_links",
    "pwc_papers",
    "huggingface_hub",
    "demo",
)
JOURNAL_SOURCE = {
    "conference_papers": "conference_papers",
    "paper_lists": "paper_lists",
    "github_ranking": "github_ranking",
    "mined_corpus": "mining_corpus",
    "demo": "conference_papers",
    "pwc_links": "papers_with_code",
    "pwc_papers": "papers_with_code",
    "huggingface_hub": "huggingface_hub",
}


# Files are parsed before the transaction; a bad file is a reject, not a retry.
@task(cache_policy=NO_CACHE)
def load_conference(db: str | None, locations: list[str]) -> dict:
    from uptake.sources.conference_papers import load_conference_papers

    with Warehouse.open(db) as warehouse:
        return load_conference_papers(warehouse, locations)


# Lists and rankings are files or URLs read whole; a bad file is a reject, a network
# failure a retry.
@task(
    retries=2,
    retry_delay_seconds=[30, 300],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def load_code_corpus_source(db: str | None, source: str, locations: list[str]) -> dict:
    from uptake.sources.github_ranking import load_github_ranking
    from uptake.sources.paper_lists import load_paper_lists

    loader = load_paper_lists if source == "paper_lists" else load_github_ranking
    with Warehouse.open(db) as warehouse:
        return loader(warehouse, locations)


# A corpus file is read whole and checked against its manifest before the transaction.
@task(cache_policy=NO_CACHE)
def load_mined_corpus(db: str | None, locations: list[str]) -> dict:
    from uptake.errors import SourceError
    from uptake.mining.corpus_file import load_corpus

    summaries = []
    with Warehouse.open(db) as warehouse:
        for location in locations:
            try:
                summaries.append(load_corpus(warehouse, Path(location)))
            except SourceError as exc:  # one unreadable file must not stop the others
                warehouse.reject("mining_corpus", location, str(exc))
                summaries.append({"rows": 0, "skipped": 0, "rejects": [(location, str(exc))]})
    return {
        "source": "mining_corpus",
        "rows": sum(s["rows"] for s in summaries),
        "skipped": sum(s["skipped"] for s in summaries),
        "rejected": sum(len(s["rejects"]) for s in summaries),
        "rejects": [r for s in summaries for r in s["rejects"]],
    }


# Downloads are cached by ETag and resumable; unchanged dumps are skipped, so a retry is cheap.
@task(
    retries=2,
    retry_delay_seconds=[30, 300],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
)
def load_pwc(db: str | None, kind: str, locations: list[str]) -> dict:
    from uptake.sources import papers_with_code

    loader = papers_with_code.load_links if kind == "links" else papers_with_code.load_papers
    with Warehouse.open(db) as warehouse:
        return loader(warehouse, locations)


# The Hub client retries each page itself (429/5xx with backoff); a task retry would redo all tags.
@task(cache_policy=NO_CACHE)
def load_hub(db: str | None, study: str | None, endpoint: str | None) -> dict:
    from uptake.sources.huggingface_hub import load_hf_models

    with Warehouse.open(db) as warehouse:
        warehouse.sync_study(load_study(study))
        return load_hf_models(warehouse, endpoint=endpoint)


@flow(name="research-signals")
@journaled_run("research-signals")
def research_signals(
    source: str = "demo",
    locations: list[str] | None = None,
    db: str | None = None,
    study: str | None = None,
    hub_endpoint: str | None = None,
) -> dict:
    """Load one research source; returns the load summary."""
    if source not in SOURCES:
        raise ParameterError(f"unknown source {source!r}: choose one of {', '.join(SOURCES)}")
    try:
        if source == "demo":
            from uptake.sources.bundled_figures import bundled_conference_path, bundled_corpus_path

            summary = load_conference(db, [str(bundled_conference_path())])
            corpus = load_mined_corpus(db, [str(bundled_corpus_path())])
            report_load("mined_corpus", corpus)
            summary = _combined(summary, corpus)
        elif source == "mined_corpus":
            summary = load_mined_corpus(db, _required(source, locations))
        elif source == "conference_papers":
            summary = load_conference(db, _required(source, locations))
        elif source in ("paper_lists", "github_ranking"):
            summary = load_code_corpus_source(db, source, _required(source, locations))
        elif source in ("pwc_links", "pwc_papers"):
            summary = load_pwc(db, source.removeprefix("pwc_"), _required(source, locations))
        else:
            summary = load_hub(db, study, hub_endpoint)
    except Exception as exc:
        # A failure before a load's transaction must still show in `uptake status`.
        journal_failure(db, JOURNAL_SOURCE[source], source, exc)
        raise
    report_load(source, summary)
    return summary


def _combined(first: dict, second: dict) -> dict:
    """Two loads' summaries as the one the demo's research step reports."""
    return {
        **first,
        "rows": first["rows"] + second["rows"],
        "skipped": first["skipped"] + second["skipped"],
        "rejected": first["rejected"] + second["rejected"],
        "rejects": [*first["rejects"], *second["rejects"]],
    }


def _required(source: str, locations: list[str] | None) -> list[str]:
    if not locations:
        from uptake.errors import SourceError

        raise SourceError(f"source {source} needs files, folders or URLs to load")
    return locations


if __name__ == "__main__":
    import sys

    research_signals(
        source="conference_papers", locations=sys.argv[1:] or ["../shared/data/conference-papers"]
    )
