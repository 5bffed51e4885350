"""Papers with Code dumps at their real sizes: uptake's stream path against DuckDB's read_json.

Generates, in a temporary folder, a links dump (300,000 links) and a papers dump
(576,000 papers with abstracts of realistic length, nested method objects) as gzipped
JSON arrays with the real schema, then loads both:

- floor: DuckDB alone reading the same files into tables (`read_json`, no checks);
- uptake: `papers_with_code.load_links` and `load_papers` (streamed, validated, URLs
  normalised, deduplicated, journaled, in one transaction per call).

Each runs in its own subprocess so its peak RSS (VmHWM) is its own. Goal: uptake's peak
RSS under 1 GB and its time within 3x of the floor's.

    .venv/bin/python bench/bench_papers_with_code.py [--links 300000] [--papers 576000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRAMEWORKS = (
    ["pytorch"] * 50
    + ["tf"] * 20
    + ["none"] * 22
    + ["jax", "mxnet", "paddle"] * 2
    + [
        "mindspore",
        "caffe2",
    ]
)
_SENTENCE = (
    "we propose a novel method for learning representations from data using deep neural "
    "networks and show that it improves the state of the art on several benchmarks including "
    "image classification object detection semantic segmentation and machine translation our "
    "approach relies on attention transformers convolution graph reinforcement policy gradient "
    "adversarial training generative models diffusion variational inference bayesian sparse "
    "efficient scalable robust theoretical analysis experiments demonstrate significant gains"
)
_WORDS = _SENTENCE.split()


def _text(rng: random.Random, n_words: int) -> str:
    words = rng.choices(_WORDS, k=n_words)
    return " ".join(words).capitalize() + "."


def _methods_pool(rng: random.Random) -> list[dict]:
    pool = []
    for i in range(400):
        pool.append(
            {
                "name": f"Method{i}",
                "full_name": f"Method Number {i}",
                "description": _text(rng, rng.randint(30, 110)),
                "introduced_year": rng.randint(1990, 2024),
                "source_url": f"http://arxiv.org/abs/{rng.randint(1000, 2400)}.{rng.randint(10000, 99999)}v1",
                "source_title": _text(rng, 8),
                "code_snippet_url": f"https://github.com/org{i}/lib/blob/main/x.py#L{i}",
                "main_collection": {
                    "name": f"Collection{i % 40}",
                    "description": _text(rng, 12),
                    "parent": None,
                    "area": rng.choice(
                        ["General", "Computer Vision", "Natural Language Processing"]
                    ),
                },
            }
        )
    return pool


def generate(folder: Path, n_links: int, n_papers: int, seed: int = 7) -> tuple[Path, Path]:
    """Write both dumps as gzipped JSON arrays (compression level 6, as gzip's default)."""
    rng = random.Random(seed)
    methods = [json.dumps(method) for method in _methods_pool(rng)]
    papers_path = folder / "papers-with-abstracts.json.gz"
    links_path = folder / "links-between-papers-and-code.json.gz"
    with gzip.open(papers_path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write("[")
        for i in range(n_papers):
            arxiv = f"{rng.randint(1500, 2507)}.{rng.randint(10000, 99999)}"
            paper = {
                "paper_url": f"https://paperswithcode.com/paper/paper-{i}",
                "arxiv_id": arxiv if rng.random() < 0.9 else None,
                "title": _text(rng, rng.randint(6, 14)),
                "abstract": _text(rng, rng.randint(120, 230)),
                "url_abs": f"https://arxiv.org/abs/{arxiv}v1",
                "url_pdf": f"https://arxiv.org/pdf/{arxiv}v1.pdf",
                "proceeding": "neurips-2019-12" if rng.random() < 0.15 else None,
                "authors": [f"Author {rng.randint(1, 200000)}" for _ in range(rng.randint(1, 8))],
                "tasks": [f"Task {rng.randint(1, 3000)}" for _ in range(rng.randint(0, 4))],
                "date": f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                if rng.random() < 0.97
                else None,
            }
            # Method objects are nested whole in the real dump; pre-serialised here for speed.
            chosen = rng.sample(methods, rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4]))
            record = json.dumps(paper)[:-1] + ', "methods": [' + ", ".join(chosen) + "]}"
            out.write(("," if i else "") + record)
        out.write("]")
    with gzip.open(links_path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write("[")
        for i in range(n_links):
            owner, repo = f"Owner{rng.randint(1, 90000)}", f"Repo-{rng.randint(1, 10**6)}"
            link = {
                "paper_url": f"https://paperswithcode.com/paper/paper-{rng.randrange(n_papers)}",
                "paper_title": _text(rng, 8),
                "paper_arxiv_id": f"{rng.randint(1500, 2507)}.{rng.randint(10000, 99999)}",
                "paper_url_abs": "https://arxiv.org/abs/1905.01234v2",
                "paper_url_pdf": "https://arxiv.org/pdf/1905.01234v2.pdf",
                "repo_url": f"https://github.com/{owner}/{repo}"
                if rng.random() < 0.95
                else f"https://gitlab.com/{owner}/{repo}",
                "is_official": rng.random() < 0.4,
                "mentioned_in_paper": rng.random() < 0.3,
                "mentioned_in_github": rng.random() < 0.6,
                "framework": rng.choice(FRAMEWORKS),
            }
            out.write(("," if i else "") + json.dumps(link))
        out.write("]")
    return links_path, papers_path


_FLOOR = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1])
start = time.perf_counter()
con.execute("create table links as select * from read_json(?, format='array', maximum_object_size=67108864)", [sys.argv[2]])
con.execute("create table papers as select * from read_json(?, format='array', maximum_object_size=67108864)", [sys.argv[3]])
rows = con.execute("select (select count(*) from links) + (select count(*) from papers)").fetchone()[0]
print(time.perf_counter() - start, rows)
"""

_UPTAKE = """
import sys, time
from uptake.sources import papers_with_code
from uptake.warehouse import Warehouse
with Warehouse.open(sys.argv[1]) as warehouse:
    start = time.perf_counter()
    links = papers_with_code.load_links(warehouse, [sys.argv[2]])
    papers = papers_with_code.load_papers(warehouse, [sys.argv[3]])
    elapsed = time.perf_counter() - start
print(elapsed, links["rows"] + papers["rows"])
"""

_PEAK = "\nprint(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"


def run(script: str, *args: str) -> tuple[float, int, int]:
    """(seconds, rows, peak RSS in kB) of one measured run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", script + _PEAK, *args], capture_output=True, text=True, check=True
    )
    timing, peak = done.stdout.strip().splitlines()[-2:]
    seconds, rows = timing.split()
    return float(seconds), int(rows), int(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=300_000)
    parser.add_argument("--papers", type=int, default=576_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        links, papers = generate(folder, args.links, args.papers)
        unpacked = sum(len(chunk) for p in (links, papers) for chunk in _chunks(p))
        print(
            f"generated {args.links:,} links and {args.papers:,} papers in "
            f"{time.perf_counter() - started:.0f} s: {(links.stat().st_size + papers.stat().st_size) / 2**20:,.0f} MB "
            f"gzipped, {unpacked / 2**20:,.0f} MB unpacked"
        )
        floor = run(_FLOOR, str(folder / "floor.duckdb"), str(links), str(papers))
        uptake = run(_UPTAKE, str(folder / "uptake.duckdb"), str(links), str(papers))
    print(f"{'what':<30}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>14}")
    for name, (seconds, rows, peak_kb) in (
        ("floor (duckdb read_json)", floor),
        ("uptake stream path", uptake),
    ):
        print(
            f"{name:<30}{rows:>12,}{seconds:>10.1f}{rows / seconds:>12,.0f}{peak_kb / 1024:>14,.0f}"
        )
    print(f"ratio uptake / floor: {uptake[0] / floor[0]:.2f}x")


def _chunks(path: Path):
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(1 << 24):
            yield chunk


if __name__ == "__main__":
    main()
