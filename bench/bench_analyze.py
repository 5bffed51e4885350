"""`uptake analyze`'s analysis: time on the demo warehouse and on a generated study.

The generated study (uptake.analysis.synthetic) has up to 20 rivalries, 10 years of
monthly data in 6 segments (research_mentions, research_code, model_hub, oss_imports,
qa_questions, industry_downloads: 15 ordered pairs per rivalry), written straight into
marts.rivalry_shares and marts.adoption_monthly. Each figure is the median of several
runs of `uptake.analysis.analyze`, writing its tables, in this process; how the time
grows is shown against rivalries (5, 10, 20) and resamples (100, 500, 1000), with the
default placebo runs, and with none, since placebos are most of the work.

    .venv/bin/python bench/bench_analyze.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from uptake.analysis import DEFAULT_PLACEBO_RUNS, DEFAULT_RESAMPLES, analyze
from uptake.analysis.synthetic import SIX_SEGMENTS, write_synthetic_study
from uptake.mining.corpus_file import load_corpus
from uptake.models import build_models
from uptake.sources.bundled_figures import (
    bundled_conference_path,
    bundled_corpus_path,
    load_bundled_figures,
)
from uptake.sources.conference_papers import load_conference_papers
from uptake.study import load_study
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]


def timed(path: Path, repeats: int, **settings) -> tuple[float, int]:
    timings, pairs = [], 0
    with Warehouse.open(path) as warehouse:
        for _ in range(repeats):
            started = time.perf_counter()
            result = analyze(warehouse, **settings)
            timings.append(time.perf_counter() - started)
            pairs = len(result.hypotheses)
    return statistics.median(timings), pairs


def demo_warehouse(path: Path) -> Path:
    """What `uptake demo` loads: PyPI figures, conference mentions and the mined corpus."""
    with Warehouse.open(path) as warehouse:
        load_bundled_figures(warehouse)
        load_conference_papers(warehouse, [str(bundled_conference_path())])
        load_corpus(warehouse, bundled_corpus_path())
        warehouse.sync_study(load_study(ROOT / "study.toml"))
        build_models(warehouse.con)
    return path


def generated_warehouse(path: Path, rivalries: int) -> Path:
    with Warehouse.open(path) as warehouse:
        write_synthetic_study(warehouse.con, rivalries=rivalries, segments=SIX_SEGMENTS)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        demo = demo_warehouse(scratch / "demo.duckdb")
        seconds, pairs = timed(demo, args.repeats)
        rows.append(("demo warehouse", DEFAULT_RESAMPLES, DEFAULT_PLACEBO_RUNS, pairs, seconds))
        studies = {n: generated_warehouse(scratch / f"g{n}.duckdb", n) for n in (5, 10, 20)}
        for rivalries in (5, 10, 20):
            seconds, pairs = timed(studies[rivalries], args.repeats)
            rows.append(
                (f"{rivalries} rivalries", DEFAULT_RESAMPLES, DEFAULT_PLACEBO_RUNS, pairs, seconds)
            )
        for resamples in (100, 500, 1000):
            for placebo_runs in (DEFAULT_PLACEBO_RUNS, 0):
                seconds, pairs = timed(
                    studies[20], args.repeats, resamples=resamples, placebo_runs=placebo_runs
                )
                rows.append(("20 rivalries", resamples, placebo_runs, pairs, seconds))
    print(
        f"{'study':<16} {'resamples':>9} {'placebos':>8} {'pairs':>5} {'median s':>9} {'ms/pair':>8}"
    )
    for study, resamples, placebo_runs, pairs, seconds in rows:
        per_pair = 1000 * seconds / max(pairs, 1)
        print(
            f"{study:<16} {resamples:>9,} {placebo_runs:>8} {pairs:>5} {seconds:>9.2f} {per_pair:>8.1f}"
        )


if __name__ == "__main__":
    main()
