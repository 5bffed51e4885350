"""Wall time of `uptake demo` (Prefect start-up included) against Prefect's own floor.

Floor: a fresh Python process importing Prefect and running one trivial flow with one
task, which pays the same temporary-server start-up. Both run as subprocesses in this run.

    .venv/bin/python bench/bench_demo.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UPTAKE = Path(sys.executable).parent / "uptake"
TRIVIAL_FLOW = """
from prefect import flow, task
@task
def one():
    return 1
@flow
def trivial():
    return one()
trivial()
"""


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = {
        **os.environ,
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    floor, demo = [], []
    for _ in range(args.repeats):
        floor.append(timed([sys.executable, "-c", TRIVIAL_FLOW], env))
        with tempfile.TemporaryDirectory() as scratch:
            demo.append(timed([str(UPTAKE), "--db", f"{scratch}/demo.duckdb", "demo"], env))
    print(f"{'what':<36}  {'median s':>8}  {'min s':>6}")
    print(
        f"{'prefect trivial flow (floor)':<36}  {statistics.median(floor):>8.2f}  {min(floor):>6.2f}"
    )
    print(
        f"{'uptake demo (fresh warehouse)':<36}  {statistics.median(demo):>8.2f}  {min(demo):>6.2f}"
    )


if __name__ == "__main__":
    main()
