"""Mining 1,000 small repositories: the fanned-out flow against the plain miner, time and memory.

Generates N small repositories (default 1,000: a few commits over a few months each,
a few .py files importing the study's technologies), then mines them in the same run:

- baseline: `history_miner.mine_repositories`, one call (a process pool parses, the
  calling process writes);
- uptake flow: `github_imports` (the code path `uptake mine` takes), one task per
  repository on threads, parsing in a process pool, the flow's process writing each
  repository as its result arrives;
- with `--dask`, the same flow on a local Dask cluster of 2 worker processes;
- at the smaller size, the flow with one repository per task instead of batches.

Each is measured at 1/10 of N and at N, in a fresh process (peak RSS is per process), so
how time and memory grow with the number of repositories shows. Every run must write
the same rows: their fingerprints are compared.

    .venv/bin/python bench/bench_mining_load.py [--repositories 1000] [--dask]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

UNTIL = date(2024, 1, 1)
TECHNOLOGY_IMPORTS = [
    "import torch",
    "import torch.nn as nn",
    "import tensorflow as tf",
    "from tensorflow import keras",
    "import jax.numpy as jnp",
    "import pandas as pd",
    "import polars as pl",
    "import requests",
    "import httpx",
    "from flask import Flask",
    "from fastapi import FastAPI",
    "import numpy as np",
    "import os",
    "import json",
]


def peak_rss_kb() -> int:
    """This process's own peak resident size (VmHWM). Not getrusage's ru_maxrss: Linux
    keeps that across fork and exec, so it would include the parent's size."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def generate(folder: Path, count: int, seed: int = 7) -> list[tuple[str, Path]]:
    """`count` bare repositories sharing one object store (the way forks share theirs):
    one `git fast-import` writes every history, then each repository is a few files."""
    rng = random.Random(seed)
    store = folder / "objects.git"
    subprocess.run(["git", "init", "-q", "--bare", str(store)], check=True)
    stream: list[str] = []
    for number in range(count):
        start = datetime(2023, rng.randint(1, 8), rng.randint(1, 28), 12)
        files = [f"pkg/module_{i}.py" for i in range(rng.randint(3, 6))]
        for step in range(rng.randint(3, 6)):
            when = int(start.timestamp()) + step * rng.randint(5, 40) * 86_400
            message = f"repository {number} change {step}"
            stream.append(
                f"commit refs/heads/r{number}\nmark :{number * 10 + step + 1}\n"
                f"committer Bench <b@example.org> {when} +0000\n"
                f"data {len(message)}\n{message}\n"
            )
            for name in files if step == 0 else rng.sample(files, rng.randint(1, 2)):
                body = "\n".join(rng.sample(TECHNOLOGY_IMPORTS, rng.randint(1, 4)))
                content = f"{body}\n\n\ndef f_{number}_{step}(x):\n    return x * {step}\n"
                stream.append(f"M 100644 inline {name}\ndata {len(content.encode())}\n{content}\n")
    subprocess.run(
        ["git", "-C", str(store), "fast-import", "--quiet"],
        input="".join(stream).encode(),
        check=True,
    )
    heads = subprocess.run(
        ["git", "-C", str(store), "for-each-ref", "--format=%(refname:short) %(objectname)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    repositories = []
    for line in filter(None, heads):
        branch, sha = line.split()
        repo = folder / f"{branch}.git"
        (repo / "refs" / "heads").mkdir(parents=True)
        (repo / "objects" / "info").mkdir(parents=True)
        (repo / "objects" / "info" / "alternates").write_text(f"{store / 'objects'}\n")
        (repo / "refs" / "heads" / "main").write_text(f"{sha}\n")
        (repo / "HEAD").write_text("ref: refs/heads/main\n")
        (repo / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
        repositories.append((f"bench/{branch}", repo))
    return sorted(repositories, key=lambda r: int(r[0].rpartition("/r")[2]))


def run_phase(how: str, repositories: list[tuple[str, Path]], db: Path) -> dict:
    """Mine into a fresh warehouse in this process; what it took."""
    if how == "baseline":
        from uptake.mining.history_miner import mine_repositories
        from uptake.warehouse import Warehouse

        with Warehouse.open(db) as warehouse:
            started = time.perf_counter()
            summary = mine_repositories(warehouse, repositories, until=UNTIL, workers=2)
            seconds = time.perf_counter() - started
    else:
        from prefect.testing.utilities import prefect_test_harness

        from uptake.flow_loader import load_flow

        github_imports = load_flow("github_imports", "github_imports")
        names = [f"{name}={path}" for name, path in repositories]
        with prefect_test_harness(server_startup_timeout=300):
            cluster = None
            if how == "dask":
                from distributed import LocalCluster

                cluster = LocalCluster(
                    n_workers=2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                )
            try:
                started = time.perf_counter()
                summary = github_imports(
                    repositories=names,
                    db=str(db),
                    until=UNTIL,
                    workers=2,
                    dask_address=cluster.scheduler_address if cluster else None,
                    repositories_per_task=1 if how == "flow_unbatched" else None,
                )
                seconds = time.perf_counter() - started
            finally:
                if cluster is not None:
                    cluster.close()
    own = peak_rss_kb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "seconds": seconds,
        "months": summary["months"],
        "rows": _rows(db),
        "fingerprint": _fingerprint(db),
        "rejected": summary["rejected"],
        "self_mb": own / 1024,
        "child_mb": children / 1024,
    }


def _rows(db: Path) -> int:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return sum(
            con.execute(f"select count(*) from {table}").fetchone()[0]
            for table in ("raw.repo_snapshots", "raw.repo_snapshot_blobs", "raw.blob_imports")
        )


def _fingerprint(db: Path) -> str:
    import duckdb

    queries = [
        "select * exclude (load_id, loaded_at) from raw.repo_snapshots",
        "select * from raw.repo_snapshot_blobs",
        "select * exclude (parsed_at) from raw.blob_imports",
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        return "".join(
            con.execute(
                f"select md5(string_agg(t::varchar, '|' order by t::varchar)) from ({q}) as t"
            ).fetchone()[0][:8]
            for q in queries
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=1000)
    parser.add_argument("--dask", action="store_true", help="also run the flow on Dask")
    parser.add_argument("--phase", help=argparse.SUPPRESS)  # internal: one measured run
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        listing = json.loads((Path(args.folder) / "repositories.json").read_text())
        chosen = [(name, Path(path)) for name, path in listing[: args.repositories]]
        db = Path(tempfile.mkdtemp(dir=args.folder)) / "w.duckdb"
        print(json.dumps(run_phase(args.phase, chosen, db)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        repositories = generate(folder, args.repositories)
        (folder / "repositories.json").write_text(
            json.dumps([(name, str(path)) for name, path in repositories])
        )
        print(
            f"generated {len(repositories):,} repositories in "
            f"{time.perf_counter() - started:.1f} s; mining months up to {UNTIL:%Y-%m}"
        )
        labels = {
            "baseline": "baseline: mine_repositories",
            "flow_unbatched": "uptake flow, 1 repo per task",
            "flow": "uptake flow, threads",
            "dask": "uptake flow, Dask (2 workers)",
        }
        print(
            f"{'what':<31} {'repos':>6} {'seconds':>8} {'repos/s':>8} {'months':>7} "
            f"{'rows':>8} {'peak RSS MB':>12} {'child max MB':>13}  rows fingerprint"
        )
        small = max(1, args.repositories // 10)
        for count in sorted({small, args.repositories}):
            # Unbatched only at the small size: Prefect's cost per task is the point shown.
            phases = ["baseline"] + (["flow_unbatched"] if count == small else []) + ["flow"]
            for phase in phases + (["dask"] if args.dask else []):
                result = json.loads(
                    subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--phase",
                            phase,
                            "--folder",
                            str(folder),
                            "--repositories",
                            str(count),
                        ],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ, "PREFECT_LOGGING_LEVEL": "ERROR"},
                    ).stdout.splitlines()[-1]
                )
                print(
                    f"{labels[phase]:<31} {count:>6,} {result['seconds']:>8.1f} "
                    f"{count / result['seconds']:>8.1f} {result['months']:>7,} "
                    f"{result['rows']:>8,} {result['self_mb']:>12.0f} {result['child_mb']:>13.0f}"
                    f"  {result['fingerprint']}"
                )


if __name__ == "__main__":
    main()
