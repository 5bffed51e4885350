"""The offline pipeline the reliability tests run, step by step, and how they compare warehouses.

Each step is what one flow task does (open the warehouse, run one loader, the model build
or the analysis), called without Prefect so that a test can run it in a subprocess and
kill it at a chosen point. `python -m tests.reliability_pipeline SPEC_JSON` runs one step
with a kill point armed: the wrapped function prints KILL_MARKER and sleeps, so the test
knows exactly where the process is when it sends SIGKILL.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILL_MARKER = "reached the kill point"

# Columns whose values legitimately differ between two runs over the same inputs: load
# provenance and wall-clock times. Every other column of every table must be identical.
VOLATILE_COLUMNS = frozenset(
    {
        "load_id",  # a new uuid per load (raw.*)
        "loaded_at",  # when a load wrote the row (raw.*)
        "parsed_at",  # when the miner parsed a blob (raw.blob_imports)
        "listed_at",  # when a Hub tag listing began (raw.hf_tag_listings)
        "applied_at",  # when a migration ran (meta.schema_migrations)
        "checked_at",  # when a repository's mining outcome was recorded (raw.repo_mining_outcomes)
    }
)
FINGERPRINTED_SCHEMAS = ("raw", "staging", "intermediate", "marts", "meta")
# meta.loads, meta.rejects and meta.runs are journals: they grow with every run by design and are
# checked through succeeded_loads() instead.
JOURNAL_TABLES = frozenset({"meta.loads", "meta.rejects", "meta.runs"})


def warehouse_fingerprint(con) -> dict[str, str]:
    """Every table's sorted rows hashed (volatile columns left out), plus the catalog.

    The catalog entry lists every table and view with its columns, so a view or table
    created by a killed build, or a migration half applied, shows as a difference.
    """
    objects = con.execute(
        "select schema_name, table_name, 'table' from duckdb_tables() "
        "where database_name = current_database() and schema_name in ? "
        "union all select schema_name, view_name, 'view' from duckdb_views() "
        "where database_name = current_database() and schema_name in ? and not internal "
        "order by 1, 2",
        [list(FINGERPRINTED_SCHEMAS), list(FINGERPRINTED_SCHEMAS)],
    ).fetchall()
    columns = {
        (schema, table): [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
        ]
        for schema, table, _ in objects
    }
    fingerprint = {
        "catalog": json.dumps([[s, t, kind, columns[(s, t)]] for s, t, kind in objects]),
    }
    for schema, table, kind in objects:
        name = f"{schema}.{table}"
        if kind != "table" or name in JOURNAL_TABLES:
            continue
        kept = [c for c in columns[(schema, table)] if c not in VOLATILE_COLUMNS]
        selected = ", ".join(f'"{c}"' for c in kept)
        fingerprint[name] = con.execute(
            f"select count(*) || ':' || coalesce(md5(string_agg(r::varchar, '|' "  # noqa: S608
            f"order by r::varchar)), '') from (select {selected} from {name}) as r"
        ).fetchone()[0]
    return fingerprint


def excluded_columns_present(con) -> set[str]:
    """The volatile columns that actually occur in the warehouse (the exclusions in use)."""
    return {
        r[0]
        for r in con.execute(
            "select distinct column_name from duckdb_columns() where database_name = "
            "current_database() and schema_name in ?",
            [list(FINGERPRINTED_SCHEMAS)],
        ).fetchall()
        if r[0] in VOLATILE_COLUMNS
    }


def succeeded_loads(con) -> Counter:
    return Counter(
        dict(
            con.execute(
                "select source, count(*) from meta.loads where status = 'succeeded' group by 1"
            ).fetchall()
        )
    )


def differing(first: dict, second: dict) -> list[str]:
    return sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))


# -- steps: what one flow task does, without Prefect -----------------------------------


def step_migrate(db: str, inputs: dict) -> None:
    from uptake.warehouse import Warehouse

    Warehouse.open(db).close()


def step_sync_study(db: str, inputs: dict) -> None:
    from uptake.study import load_study
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        warehouse.sync_study(load_study(inputs.get("study")))


def step_demo(db: str, inputs: dict) -> None:
    from uptake.sources.bundled_figures import load_bundled_figures
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_bundled_figures(warehouse)


def step_demo_run(db: str, inputs: dict) -> None:
    """The demo load inside a journaled run, as the refresh flow does it."""
    from uptake.warehouse.runs import recorded_run

    with recorded_run(db, "refresh", {"sources": ["demo"]}):
        step_demo(db, inputs)


def step_top_pypi(db: str, inputs: dict) -> None:
    from uptake.sources import top_pypi
    from uptake.warehouse import Warehouse

    failures: list = []
    files = top_pypi.read_snapshot_files(
        top_pypi.snapshot_locations(inputs["top_pypi"]), lambda *f: failures.append(f)
    )
    with Warehouse.open(db) as warehouse:
        top_pypi.load_snapshot_files(warehouse, files, read_failures=failures)


def step_pypistats(db: str, inputs: dict) -> None:
    from uptake.sources.pypistats_api import load_pypistats_downloads
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_pypistats_downloads(
            warehouse, inputs["pypistats_projects"], base_url=inputs["pypistats_url"]
        )


def step_hub(db: str, inputs: dict) -> None:
    from uptake.sources.huggingface_hub import load_hf_models
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_hf_models(warehouse, endpoint=inputs["hub_endpoint"])


def step_conference(db: str, inputs: dict) -> None:
    from uptake.sources.conference_papers import load_conference_papers
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_conference_papers(warehouse, inputs["conference"])


def step_corpus(db: str, inputs: dict) -> None:
    from uptake.mining.corpus_file import load_corpus
    from uptake.sources.bundled_figures import bundled_corpus_path
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_corpus(warehouse, Path(inputs.get("corpus") or bundled_corpus_path()))


def step_pwc_links(db: str, inputs: dict) -> None:
    from uptake.sources.papers_with_code import load_links
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_links(warehouse, inputs["pwc_links"])


def step_pwc_papers(db: str, inputs: dict) -> None:
    from uptake.sources.papers_with_code import load_papers
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        load_papers(warehouse, inputs["pwc_papers"])


def step_mine(db: str, inputs: dict) -> None:
    from uptake.mining.history_miner import mine_repositories
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        mine_repositories(
            warehouse,
            [(inputs["repo_name"], inputs["repo_path"])],
            until=date.fromisoformat(inputs["mine_until"]),
            workers=1,
        )


def step_build(db: str, inputs: dict) -> None:
    from uptake.models import build_models
    from uptake.study import load_study
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        warehouse.sync_study(load_study(inputs.get("study")))
        build_models(warehouse.con)


def step_analyze(db: str, inputs: dict, seed: int | None = None) -> None:
    from uptake.analysis import analyze
    from uptake.study import load_study
    from uptake.warehouse import Warehouse

    with Warehouse.open(db) as warehouse:
        analyze(
            warehouse,
            resamples=20,
            placebo_runs=5,
            seed=inputs.get("analysis_seed", 7) if seed is None else seed,
            study=load_study(inputs.get("study")),
        )


STEPS = {
    name.removeprefix("step_"): function
    for name, function in globals().items()
    if name.startswith("step_")
}


# -- kill points -----------------------------------------------------------------------


def arm_kill_point(target: str, when: str, nth: int, match: str | None) -> None:
    """Wrap `module:attribute` so that its nth matching call prints the marker and sleeps.

    `when` is 'before' (the call never runs) or 'after' (it has run, its caller has not
    gone on). `match` filters calls by a regular expression over their arguments' reprs;
    for `uptake.warehouse:connect` it wraps the connection instead and stalls after the
    nth executed statement matching it (a point inside a function with no hook of its own).
    """
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    original = getattr(module, attribute)
    pattern = re.compile(match, re.IGNORECASE | re.DOTALL) if match else None
    calls = Counter()

    def stall() -> None:
        print(KILL_MARKER, flush=True)
        time.sleep(600)

    def counts(text: str) -> bool:
        if pattern is not None and not pattern.search(text):
            return False
        calls["matching"] += 1
        return calls["matching"] == nth

    if target == "uptake.warehouse:connect":

        @functools.wraps(original)
        def connect_stalling(*args, **kwargs):
            return _StallingConnection(original(*args, **kwargs), counts, stall)

        setattr(module, attribute, connect_stalling)
        return

    @functools.wraps(original)
    def wrapped(*args, **kwargs):
        hit = counts(repr((args, kwargs)))
        if hit and when == "before":
            stall()
        result = original(*args, **kwargs)
        if hit:
            stall()
        return result

    setattr(module, attribute, wrapped)


class _StallingConnection:
    """A DuckDB connection that stalls right after the statement the kill point names."""

    def __init__(self, con, counts, stall):
        self._con, self._counts, self._stall = con, counts, stall

    def execute(self, query, *args, **kwargs):
        result = self._con.execute(query, *args, **kwargs)
        if self._counts(str(query)):
            self._stall()
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    kill = spec.get("kill")
    if kill:
        arm_kill_point(kill["target"], kill["when"], kill["nth"], kill.get("match"))
    STEPS[spec["step"]](spec["db"], spec["inputs"])
    print("finished without reaching the kill point", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
