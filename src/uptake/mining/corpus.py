"""Choosing a corpus to mine from the warehouse: papers' code, or a cohort's repositories.

`uptake mine --papers` takes the GitHub repositories that the loaded paper lists name
(Paper Copilot's and He's), each stratum being an edition year; `uptake mine --cohort
NAME` takes a ranking cohort's repositories, each stratum being the month a repository
first entered the cohort. `--sample N --seed S` draws N of them: the strata share N
equally, a stratum with fewer repositories than its share gives the rest to the others,
and within a stratum the order is a hash of the seed and the repository's name, so the
same seed, data and N always draw the same repositories, and a larger N draws a
superset.

`--clones DIR` finds local clones in DIR, laid out as `owner/name[.git]` or as
`owner+name/repo[/.git]` (how snapshot mirrors lay them out).
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb

from uptake.errors import SourceError
from uptake.mining.repositories import github_name
from uptake.sources.local_files import read_bounded

# A line per repository: even 100,000 of them is a few megabytes.
MAX_UNAVAILABLE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Candidate:
    repo: str  # owner/name, lower case
    stratum: str  # edition year, or month of entry


def paper_repositories(con: duckdb.DuckDBPyConnection) -> list[Candidate]:
    """Every GitHub repository of a listed paper, in the stratum of its earliest paper's year."""
    _require_models(con, "intermediate.int_paper_code_links", "paper lists (--source paper_lists)")
    rows = con.execute(
        """
        select repo, cast(year(min(month)) as varchar)
        from intermediate.int_paper_code_links
        group by repo
        order by repo
        """
    ).fetchall()
    return [Candidate(repo, stratum) for repo, stratum in rows]


def cohort_repositories(con: duckdb.DuckDBPyConnection, cohort: str) -> list[Candidate]:
    """A ranking cohort's repositories, in the stratum of the month each first entered it."""
    _require_models(
        con, "staging.stg_github_ranking__listings", "a ranking (--source github_ranking)"
    )
    rows = con.execute(
        """
        select repo, strftime(min(month), '%Y-%m')
        from staging.stg_github_ranking__listings
        where cohort = ?
        group by repo
        order by repo
        """,
        [cohort],
    ).fetchall()
    if not rows:
        known = [
            r[0] for r in con.execute("select distinct cohort from raw.github_ranking").fetchall()
        ]
        raise SourceError(
            f"no repositories in cohort {cohort!r}"
            + (
                f": the warehouse has {', '.join(sorted(known))}"
                if known
                else ": load a ranking first"
            )
        )
    return [Candidate(repo, stratum) for repo, stratum in rows]


# Where the lists keep a repository's name as written: a paper list's code field, a
# conference list's code URL, a ranking's repository.
_LISTED_TEXT = {
    "raw.paper_list_papers": "code_field",
    "raw.conference_papers": "code_url",
    "raw.github_ranking": "'github.com/' || repo",
}
_GITHUB_NAME = r"github\.com/(?:github\.com/)?([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"


def listed_spellings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """owner/name as the loaded lists write it, by its lower-case form (the most common
    spelling when they differ). GitHub names are case-insensitive, so uptake keys
    repositories in lower case; a case-sensitive fetcher, such as a snapshot mirror,
    needs the listed spelling."""
    present = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    texts = [
        f"select {column} as text from {table}"  # noqa: S608 (constants above)
        for table, column in _LISTED_TEXT.items()
        if table in present
    ]
    if not texts:
        return {}
    rows = con.execute(
        f"""
        with names as (
            select regexp_replace(unnest(regexp_extract_all(text, ?, 1)), '\\.git$', '') as name
            from ({" union all ".join(texts)})
        )
        select lower(name), name, count(*) as n
        from names
        group by all
        order by lower(name), n desc, name
        """,  # noqa: S608 (the union is built from constants)
        [_GITHUB_NAME],
    ).fetchall()
    spellings: dict[str, str] = {}
    for lower, name, _ in rows:
        spellings.setdefault(lower, name)
    return spellings


def _require_models(con: duckdb.DuckDBPyConnection, name: str, what: str) -> None:
    schema, _, table = name.partition(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    if not found:
        raise SourceError(f"the warehouse has no {name}: load {what} with `uptake refresh` first")


def stratified_sample(candidates: list[Candidate], size: int | None, seed: int) -> list[Candidate]:
    """`size` candidates shared equally between strata (all when size is None), in a
    seeded order that is stable as size grows."""
    ordered = sorted(candidates, key=lambda c: _draw(seed, c.repo))
    if size is None or size >= len(ordered):
        return ordered
    strata: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in ordered:
        strata[candidate.stratum].append(candidate)
    quotas = dict.fromkeys(strata, 0)
    left = size
    while left:  # fill every stratum to one level; a small one gives its rest away
        open_strata = sorted(s for s in strata if quotas[s] < len(strata[s]))
        share = left // len(open_strata)
        if share == 0:  # fewer left than strata: one more each for the first ones
            for stratum in open_strata[:left]:
                quotas[stratum] += 1
            break
        for stratum in open_strata:
            take = min(share, len(strata[stratum]) - quotas[stratum])
            quotas[stratum] += take
            left -= take
    chosen = [c for stratum in sorted(strata) for c in strata[stratum][: quotas[stratum]]]
    return sorted(chosen, key=lambda c: _draw(seed, c.repo))


def _draw(seed: int, repo: str) -> str:
    return hashlib.sha256(f"{seed}:{repo}".encode()).hexdigest()


def find_clones(folder: Path) -> dict[str, Path]:
    """owner/name (lower case) -> the clone's git directory, for every clone in `folder`."""
    if not folder.is_dir():
        raise SourceError(f"--clones {folder}: not a folder")
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if "+" in entry.name:  # owner+name/repo[/.git]
            owner, _, name = entry.name.partition("+")
            for git_dir in (entry / "repo" / ".git", entry / "repo"):
                if (git_dir / "HEAD").is_file():
                    _add(found, owner, name, git_dir)
                    break
        elif entry.is_dir():  # owner/name[.git]
            try:
                clones = sorted(entry.iterdir())
            except OSError:
                continue  # unreadable (a permission, a link loop): not a clone folder
            for clone in clones:
                git_dir = clone / ".git" if (clone / ".git").is_dir() else clone
                if (git_dir / "HEAD").is_file():
                    _add(found, entry.name, clone.name.removesuffix(".git"), git_dir)
    return found


def _add(found: dict[str, Path], owner: str, name: str, git_dir: Path) -> None:
    try:
        repo = github_name(f"{owner}/{name}").lower()
    except SourceError:
        return  # a folder that is not named like a repository is not one of its clones
    found.setdefault(repo, git_dir)


def read_unavailable(path: Path) -> dict[str, str]:
    """owner/name (lower case) -> why no clone could be had, from a TSV `owner/name<TAB>reason`."""
    try:
        text = read_bounded(str(path), MAX_UNAVAILABLE_BYTES, "a list of unavailable repositories")
        text = text.decode("utf-8")
    except SourceError as exc:
        raise SourceError(f"--unavailable {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"--unavailable {path}: not UTF-8: {exc}") from None
    unavailable = {}
    for line, fields in enumerate(csv.reader(text.splitlines(), delimiter="\t"), start=1):
        if not fields or fields[0].startswith("#"):
            continue
        try:
            repo = github_name(fields[0].strip()).lower()
        except SourceError as exc:
            raise SourceError(f"--unavailable {path}:{line}: {exc}") from None
        reason = " ".join(fields[1:]).strip() or "no clone could be had"
        unavailable[repo] = reason[:500]
    return unavailable
