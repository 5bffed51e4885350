"""Import extractor speed: `extract_imports` against `ast.parse` + a walk and a bare regex.

Over the real .py files of a site-packages directory (default: this virtual
environment's), read into memory first, so that only extraction is timed. In one run:

- baseline: `ast.parse(content)` and a walk over every node (`ast_imports`), per file;
- regex floor: one compiled `^\\s*(from|import) ...` regular expression over the bytes;
- extract_imports, the extractor, one file at a time;
- extract_many, the same on each chunk at once (what the miners call on their blobs).

They run in turn over chunks of 200 files, so that the machine's load changing during
the run weighs on all of them alike; all but the baseline take the best of --repeats
per chunk.

Then every file that parses is checked: extract_imports must give the baseline's modules
and relative imports (any difference is printed and makes the exit status 1). For the
files that do not parse, it reports how many were flagged "fallback" as they should be.

    .venv/bin/python bench/bench_imports.py [--root DIR] [--repeats N] [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import sysconfig
import time
from collections import Counter
from pathlib import Path

from uptake.mining.imports import ast_imports, extract_imports, extract_many

BARE_REGEX = re.compile(rb"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import|import[ \t]+([.\w]+))", re.M)


def read_files(root: Path, limit: int | None) -> list[tuple[str, bytes]]:
    files = []
    for path in sorted(root.rglob("*.py")):
        if path.is_file():
            files.append((str(path), path.read_bytes()))
            if limit and len(files) >= limit:
                break
    return files


def baseline(content: bytes):
    try:
        tree = ast.parse(content)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return ast_imports(tree)


def regex_scan(content: bytes):
    return BARE_REGEX.findall(content)


def timed(files: list[tuple[str, bytes]], extract_all, repeats: int) -> tuple[float, list]:
    best, results = float("inf"), []
    for _ in range(repeats):
        started = time.perf_counter()
        results = extract_all(files)
        best = min(best, time.perf_counter() - started)
    return best, results


def each(extract):
    """A method that takes one file at a time, as one that takes the chunk."""
    return lambda files: [extract(content, path) for path, content in files]


def interleaved(files, methods: dict, repeats: dict, chunk: int = 200):
    """Seconds and results of each method, run chunk by chunk in turn, so that a change
    in the machine's load mid-run weighs on all of them alike."""
    seconds = dict.fromkeys(methods, 0.0)
    results: dict[str, list] = {name: [] for name in methods}
    for start in range(0, len(files), chunk):
        for name, extract in methods.items():
            spent, found = timed(files[start : start + chunk], extract, repeats[name])
            seconds[name] += spent
            results[name] += found
    return seconds, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(sysconfig.get_paths()["purelib"]))
    parser.add_argument("--repeats", type=int, default=3, help="best of N (baseline: 1)")
    parser.add_argument("--limit", type=int, help="only the first N files")
    args = parser.parse_args()

    files = read_files(args.root, args.limit)
    megabytes = sum(len(content) for _, content in files) / 1e6
    print(f"{len(files)} .py files, {megabytes:.1f} MB, under {args.root}")

    seconds, results = interleaved(
        files,
        {
            "baseline": each(lambda content, path: baseline(content)),
            "regex": each(lambda content, path: regex_scan(content)),
            "ours": each(extract_imports),
            "batch": lambda files: extract_many([(content, path) for path, content in files]),
        },
        {"baseline": 1, "regex": args.repeats, "ours": args.repeats, "batch": args.repeats},
    )
    base_seconds, regex_seconds, ours_seconds, batch_seconds = seconds.values()
    expected, found = results["baseline"], results["ours"]

    print(f"{'':28}{'seconds':>9}{'MB/s':>9}{'x baseline':>12}")
    for name, seconds in (
        ("ast.parse + walk (baseline)", base_seconds),
        ("bare regex scan", regex_seconds),
        ("extract_imports", ours_seconds),
        ("extract_many (200 a batch)", batch_seconds),
    ):
        print(f"{name:28}{seconds:9.2f}{megabytes / seconds:9.1f}{base_seconds / seconds:12.1f}")

    differences = 0
    unparsed = Counter()
    for (path, _), reference, result in zip(files, expected, found, strict=True):
        if reference is None:
            unparsed[result.method] += 1
            continue
        if (result.modules, result.relative) != reference:
            differences += 1
            print(f"DIFFERENT {path}: method {result.method}")
            print(
                f"  extract_imports only: {sorted(result.modules - reference[0])}"
                f" {sorted(result.relative - reference[1])}"
            )
            print(
                f"  baseline only:        {sorted(reference[0] - result.modules)}"
                f" {sorted(reference[1] - result.relative)}"
            )
    batch_differences = sum(a != b for a, b in zip(found, results["batch"], strict=True))
    differences += batch_differences
    print(f"extract_many results different from extract_imports: {batch_differences}")
    parsed = len(files) - sum(unparsed.values())
    print(f"files that parse: {parsed}, results different from the baseline: {differences}")
    print(f"files that do not parse: {sum(unparsed.values())}, flagged: {dict(unparsed)}")
    print(f"methods over all files: {dict(Counter(r.method for r in found))}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
