"""Mining GitHub repositories through the REST API, with no clone: the same rows as a clone.

Per repository: its metadata (one request), the head of its default branch (one), the
commits of that branch (a page per 100), a recursive tree per distinct month-end commit
(sub-trees when GitHub truncates it), and the .py/.ipynb blobs the warehouse's blob cache
has not seen. The month-end rule is the local miner's: GitHub lists commits through every
parent by date, so the first-parent chain is rebuilt from the listing (following each
commit's first parent from the head) and given to `month_end_commits`. Blobs are parsed
by the local miner's `blob_imports`, so LFS pointers, oversized files (by the tree's size,
never fetched) and bad content give the same rows; the snapshots are the local miner's
`month_snapshots` of the same plan, stored with source 'api'.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from uptake.errors import RateLimitedError, SourceError
from uptake.mining import history_miner, store
from uptake.mining.git_plumbing import (
    MINED_SUFFIXES,
    Commit,
    TreeFile,
    month_end_commits,
    month_start,
)
from uptake.mining.github_discovery import (
    fetch_repository_metadata,
    github_repo_name,
    iter_repositories,
    load_repository_metadata,
    metadata_row,
    paper_code_repositories,
    save_repository_metadata,
    search_repositories,
    utc_naive,
)
from uptake.mining.history_miner import MAX_BLOB_BYTES, RepositoryPlan, blob_imports
from uptake.mining.outcomes import record_outcome
from uptake.sources.github_api import GitHubSession
from uptake.sources.github_history import git_blob_sha
from uptake.warehouse import Load, Warehouse

__all__ = [
    "fetch_repository_metadata",
    "load_repository_metadata",
    "mine_github_repositories",
    "paper_code_repositories",
    "search_repositories",
]

SOURCE = "mining_api"
SAVE_EVERY = 200  # parsed blobs written to the cache this often, so a killed run keeps them
_SYMLINK_MODE = "120000"


def mine_github_repositories(
    warehouse: Warehouse,
    names: Iterable[str],
    *,
    token: str | None = None,
    base_url: str | None = None,
    until: date | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    on_progress: Callable[[str, str], None] | None = None,
    discovered_by: str = "list",
    max_wait: float = 24 * 3600.0,
    seconds_between_requests: float | None = 0.25,
) -> dict:
    """Mine each 'owner/name' up to the last month that ended by `until` (default: this month).

    One journaled load per repository writes its metadata (raw.github_repos) and its new
    months (raw.repo_snapshots, source 'api'); months already mined with the same commit
    are skipped. A repository that cannot be read is rejected with the reason and the
    others go on. Rate limits are slept through (`sleep`, `clock`: injectable) up to
    `max_wait` seconds in all (default a day: a long anonymous run waits out every hour's
    60 requests); a wait beyond it stops the run, and the next run resumes.
    """
    until = until or month_start(datetime.fromtimestamp(clock(), UTC))
    report = on_progress or (lambda repo, message: None)
    names = list(dict.fromkeys(github_repo_name(n) or n for n in names))  # URLs too
    totals: Counter = Counter()
    rejects: list[tuple[str, str]] = []
    stopped: str | None = None
    with GitHubSession(
        token,
        base_url=base_url,
        sleep=sleep,
        clock=clock,
        max_wait=max_wait,
        seconds_between_requests=seconds_between_requests,
    ) as session:
        for done, (name, repo, error) in enumerate(iter_repositories(session, names), 1):
            load = Load(source=SOURCE, parameters={"repo": name, "until": until.isoformat()})
            snapshots, metadata = [], []
            try:
                if error is not None:
                    raise error
                metadata = [metadata_row(repo, discovered_by)]
                mined = store.mined_months(warehouse.con, repo.full_name)
                plan = plan_repository(session, repo, until, mined)
                parsed = _parse_missing(warehouse, session, repo, plan, report, totals)
                snapshots = history_miner.month_snapshots(plan, parsed)
            except SourceError as exc:
                load.reject(name, str(exc))
                if isinstance(exc, RateLimitedError):
                    stopped = load.rejects[-1][1]
            with warehouse.load(SOURCE, load.parameters, load):
                rows = save_repository_metadata(warehouse.con, metadata, load.load_id)
                rows += store.replace_months(warehouse.con, snapshots, "api", load.load_id)
                load.rows_loaded = rows
                if stopped is None:  # a rate limit says nothing of the repository
                    record_outcome(
                        warehouse.con,
                        repo.full_name if repo is not None and not load.rejects else name,
                        load.rejects[0][1] if load.rejects else None,
                        source="api",
                        load_id=load.load_id,
                    )
            history_miner.tally_repository(name, load, snapshots, totals, rejects, report)
            if stopped is not None:
                totals["not_attempted"] = len(names) - done
                break
    summary = {**totals, "requests": session.requests, "rejects": rejects}
    return summary | ({"stopped": stopped} if stopped else {})


def plan_repository(
    session: GitHubSession, repo, until: date, already_mined: dict[date, str]
) -> RepositoryPlan:
    """The months to mine (new, or whose month-end commit changed) and their trees' files."""
    history, trees = first_parent_history(session, repo)
    months = month_end_commits(history, until)
    todo = {month: c for month, c in months.items() if already_mined.get(month) != c.sha}
    files = {}
    for commit in sorted(set(todo.values()), key=lambda c: c.committed_at):
        files[commit.sha] = python_files(session, repo, trees[commit.sha])
    return RepositoryPlan(repo=repo.full_name, path=repo.url, months=todo, trees=files)


def first_parent_history(session: GitHubSession, repo) -> tuple[list[Commit], dict[str, str]]:
    """The default branch's head and its first parents, newest first; and commit -> tree sha.

    The listing is pinned to the head's sha (pages stay consistent if someone pushes) and
    stops as soon as the chain reaches a root commit.
    """
    name = repo.full_name
    branch = session.call(
        f"reading branch {repo.default_branch} of {name}", repo.get_branch, repo.default_branch
    )
    if branch is None:  # an empty repository has no branch yet
        return [], {}
    head = branch.commit.sha
    listing = repo.get_commits(sha=head)
    listed: dict[str, tuple[str | None, datetime, str]] = {}
    chain: list[Commit] = []
    trees: dict[str, str] = {}
    following: str | None = head
    page_number = 0
    while following is not None:
        page = session.call(
            f"listing commits of {name} (page {page_number + 1})", listing.get_page, page_number
        )
        for commit in page or []:
            parents = commit.parents
            git = commit.commit
            listed[commit.sha] = (
                parents[0].sha if parents else None,
                utc_naive(git.committer.date),
                git.tree.sha,
            )
        while following in listed:
            first_parent, committed_at, tree = listed[following]
            chain.append(Commit(following, committed_at))
            trees[following] = tree
            following = first_parent
        if following is not None and len(page or []) < session.per_page:
            raise SourceError(f"GitHub listed no commit {following} in the history of {name}")
        page_number += 1
    return chain, trees


def python_files(session: GitHubSession, repo, tree_sha: str) -> list[TreeFile]:
    """The .py and .ipynb blobs of a tree; symlinks and submodules are not files."""
    return [
        TreeFile(path, entry.sha, entry.size if entry.size is not None else -1)
        for path, entry in _walk_tree(session, repo, tree_sha, "", recursive=True)
        if entry.type == "blob" and entry.mode != _SYMLINK_MODE and path.endswith(MINED_SUFFIXES)
    ]


def _walk_tree(session: GitHubSession, repo, tree_sha: str, prefix: str, *, recursive: bool):
    """(path, entry) of every entry under a tree: one recursive listing, or when GitHub
    truncates it, the tree's own entries and each sub-tree walked the same way."""
    kwargs = {"recursive": True} if recursive else {}
    what = f"reading tree {tree_sha} of {repo.full_name}"
    tree = session.call(what, repo.get_git_tree, tree_sha, **kwargs)
    if tree is None:
        raise SourceError(f"GitHub: tree {tree_sha} of {repo.full_name} not found")
    if tree.raw_data.get("truncated"):
        if not recursive:
            raise SourceError(
                f"GitHub truncated tree {tree_sha} of {repo.full_name} even unrecursed"
            )
        yield from _walk_tree(session, repo, tree_sha, prefix, recursive=False)
        return
    for entry in tree.tree:
        yield f"{prefix}{entry.path}", entry
        if not recursive and entry.type == "tree":
            yield from _walk_tree(
                session, repo, entry.sha, f"{prefix}{entry.path}/", recursive=True
            )


def _parse_missing(
    warehouse: Warehouse, session: GitHubSession, repo, plan: RepositoryPlan, report, totals
) -> dict[str, str]:
    """How every blob of the plan was read (sha -> method): from the cache, else fetched and
    parsed (oversized ones by the tree's size, without fetching), saved as they come."""
    blobs = plan.blobs()
    parsed = store.cached_blobs(warehouse.con, blobs)
    missing = [file for sha, file in blobs.items() if sha not in parsed]
    totals["blobs_cached"] += len(blobs) - len(missing)
    batch: list[store.BlobImports] = []
    saved = 0

    def save() -> None:
        nonlocal saved
        if batch:
            store.save_blobs(warehouse.con, store.blob_table(batch))
            parsed.update({r.blob_sha: r.method for r in batch})
            saved += len(batch)
            batch.clear()
            report(plan.repo, f"parsed {saved}/{len(missing)} new blobs")

    try:
        for file in missing:
            if file.size > MAX_BLOB_BYTES:
                batch.append(history_miner.oversized(file, file.size))
                totals["blobs_oversized"] += 1
            else:
                batch.append(blob_imports(file, fetch_blob(session, repo, file.blob_sha)))
                totals["blobs_fetched"] += 1
            if len(batch) >= SAVE_EVERY:
                save()
    finally:  # a run stopped by a rate limit keeps what it fetched
        save()
    return parsed


def fetch_blob(session: GitHubSession, repo, sha: str) -> bytes:
    """A blob's bytes, checked against its sha."""
    blob = session.call(f"reading blob {sha} of {repo.full_name}", repo.get_git_blob, sha)
    if blob is None:
        raise SourceError(f"GitHub: blob {sha} of {repo.full_name} not found")
    if blob.encoding == "base64":
        data = base64.b64decode(blob.content or "")
    else:
        data = (blob.content or "").encode("utf-8")
    if git_blob_sha(data) != sha:
        raise SourceError(f"GitHub: blob {sha} of {repo.full_name} does not match its sha")
    return data
