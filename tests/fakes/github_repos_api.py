"""The fake GitHub's JSON for repositories, commits, branches and search, as PyGithub reads it.

`RepoAnswers` is mixed into `FakeGitHub`: each `_*_answer` returns (status, headers, body)
for one route; they read the server's `base_url`, `repos` and `search_result_cap`.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from tests.fakes.git_model import FakeCommit, FakeRepo, as_datetime, git_blob_sha
from tests.fakes.github_search import SearchQuery

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30
DOCS = "https://docs.github.com/rest"


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _touches(commit: FakeCommit, path: str) -> bool:
    if not path:
        return True
    return any(changed == path or changed.startswith(f"{path}/") for changed in commit.changes)


def not_found() -> dict:
    return {"message": "Not Found", "documentation_url": DOCS, "status": "404"}


class RepoAnswers:
    """Answers for /repos/{owner}/{repo}, its commits and branches, and repository search."""

    base_url: str
    repos: dict[str, FakeRepo]
    search_result_cap: int

    def _api(self, repo: FakeRepo) -> str:
        return f"{self.base_url}/repos/{repo.full_name}"

    def _repo_answer(self, repo: FakeRepo, params):
        api = self._api(repo)
        html = f"https://github.com/{repo.full_name}"
        return (
            200,
            {},
            {
                "id": repo.id,
                "node_id": f"R_{repo.id}",
                "name": repo.name,
                "full_name": repo.full_name,
                "private": False,
                "owner": {
                    "login": repo.owner,
                    "id": 1000 + repo.id,
                    "node_id": f"U_{repo.owner}",
                    "type": repo.owner_type,
                    "site_admin": False,
                    "url": f"{self.base_url}/users/{repo.owner}",
                    "html_url": f"https://github.com/{repo.owner}",
                },
                "html_url": html,
                "description": repo.description,
                "fork": repo.fork,
                "url": api,
                "commits_url": f"{api}/commits{{/sha}}",
                "contents_url": f"{api}/contents/{{+path}}",
                "git_commits_url": f"{api}/git/commits{{/sha}}",
                "trees_url": f"{api}/git/trees{{/sha}}",
                "blobs_url": f"{api}/git/blobs{{/sha}}",
                "clone_url": f"{html}.git",
                "created_at": iso(repo.created_at),
                "updated_at": iso(repo.pushed_at),
                "pushed_at": iso(repo.pushed_at),
                "size": sum(len(b) for b in repo.blobs.values()) // 1024,
                "stargazers_count": repo.stargazers_count,
                "watchers_count": repo.stargazers_count,
                "watchers": repo.stargazers_count,
                "language": repo.language,
                "forks_count": 0,
                "forks": 0,
                "open_issues_count": 0,
                "open_issues": 0,
                "archived": repo.archived,
                "disabled": False,
                "topics": repo.topics,
                "visibility": "public",
                "default_branch": repo.default_branch,
            },
        )

    def _commit_json(self, repo: FakeRepo, commit: FakeCommit, *, with_files: bool = False):
        api = self._api(repo)
        person = {
            "name": commit.author_name,
            "email": commit.author_email,
            "date": iso(commit.date),
        }
        author = person | {"date": iso(commit.author_date or commit.date)}
        answer = {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:12]}",
            "url": f"{api}/commits/{commit.sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{commit.sha}",
            "comments_url": f"{api}/commits/{commit.sha}/comments",
            "commit": {
                "url": f"{api}/git/commits/{commit.sha}",
                "author": author,
                "committer": person,
                "message": commit.message,
                "tree": {"sha": commit.tree_sha, "url": f"{api}/git/trees/{commit.tree_sha}"},
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": None,  # no GitHub account matches the fake's authors
            "committer": None,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{api}/commits/{parent}",
                    "html_url": f"https://github.com/{repo.full_name}/commit/{parent}",
                }
                for parent in commit.parents
            ],
        }
        if with_files:
            parent = repo.resolve(commit.parent) if commit.parent else None
            files = []
            for path, content in sorted(commit.changes.items()):
                before = parent.files.get(path) if parent else None
                if content is None:
                    status, blob = "removed", git_blob_sha(before or b"")
                else:
                    status = "added" if before is None else "modified"
                    blob = git_blob_sha(content)
                files.append({
                    "sha": blob,
                    "filename": path,
                    "status": status,
                    "additions": 0,
                    "deletions": 0,
                    "changes": 0,
                    "blob_url": f"https://github.com/{repo.full_name}/blob/{commit.sha}/{path}",
                    "raw_url": f"https://github.com/{repo.full_name}/raw/{commit.sha}/{path}",
                    "contents_url": f"{api}/contents/{quote(path)}?ref={commit.sha}",
                })  # fmt: skip
            answer["files"] = files
            answer["stats"] = {"total": 0, "additions": 0, "deletions": 0}
        return answer

    def _commits_answer(self, repo: FakeRepo, params):
        start = repo.resolve(params.get("sha"))
        if start is None:
            if not repo.commits:
                return 409, {}, {"message": "Git Repository is empty.", "documentation_url": DOCS}
            return 404, {}, {"message": f"No commit found for SHA: {params.get('sha')}",
                             "documentation_url": DOCS}  # fmt: skip
        history = repo.history(start)  # newest first, through every parent as GitHub lists
        if params.get("path"):
            history = [c for c in history if _touches(c, params["path"].strip("/"))]
        if params.get("since"):
            since = as_datetime(params["since"])
            history = [c for c in history if c.date >= since]
        if params.get("until"):
            until = as_datetime(params["until"])
            history = [c for c in history if c.date <= until]
        page, per_page, links = self._paginate(repo, "commits", params, len(history))
        chosen = history[(page - 1) * per_page : page * per_page]
        return 200, links, [self._commit_json(repo, c) for c in chosen]

    def _paginate(self, repo: FakeRepo | None, endpoint: str, params, total: int):
        try:
            per_page = min(max(int(params.get("per_page", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
            page = max(int(params.get("page", 1)), 1)
        except ValueError:
            per_page, page = DEFAULT_PER_PAGE, 1
        last = max((total + per_page - 1) // per_page, 1)
        rels = []
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels += [("first", 1), ("prev", min(page - 1, last))]
        links = {}
        if rels:
            base = {k: v for k, v in params.items() if k != "page"}
            base["per_page"] = str(per_page)
            url = f"{self._api(repo) if repo else self.base_url}/{endpoint}"
            links["Link"] = ", ".join(
                f'<{url}?{urlencode({**base, "page": str(n)})}>; rel="{rel}"' for rel, n in rels
            )
        return page, per_page, links

    def _branch_answer(self, repo: FakeRepo, params, branch: str):
        if branch != repo.default_branch or repo.head is None:
            return 404, {}, {"message": "Branch not found", "documentation_url": DOCS}
        api = self._api(repo)
        return 200, {}, {
            "name": branch,
            "commit": self._commit_json(repo, repo.head),
            "_links": {"self": f"{api}/branches/{branch}",
                       "html": f"https://github.com/{repo.full_name}/tree/{branch}"},
            "protected": False,
        }  # fmt: skip

    def _search_answer(self, params):
        """GitHub's repository search over the fake's repositories, with its 1,000-result cap."""
        try:
            wanted = SearchQuery.parse(params.get("q", ""))
        except ValueError as exc:
            return 422, {}, {"message": "Validation Failed", "errors": [{"message": str(exc)}],
                             "documentation_url": DOCS}  # fmt: skip
        found = [r for r in self.repos.values() if wanted.matches(r)]
        if params.get("sort") == "stars":
            found.sort(
                key=lambda r: (r.stargazers_count, -r.id), reverse=params.get("order") != "asc"
            )
        else:
            found.sort(key=lambda r: r.id)
        served = found[: self.search_result_cap]
        page, per_page, links = self._paginate(None, "search/repositories", params, len(served))
        if (page - 1) * per_page >= self.search_result_cap:
            return 422, {}, {"message": f"Only the first {self.search_result_cap} search results"
                             " are available", "documentation_url": DOCS}  # fmt: skip
        chosen = served[(page - 1) * per_page : page * per_page]
        items = [self._repo_answer(r, {})[2] | {"score": 1.0} for r in chosen]
        return 200, links, {"total_count": len(found), "incomplete_results": False, "items": items}

    def _commit_answer(self, repo: FakeRepo, params, ref: str):
        commit = repo.resolve(ref)
        if commit is None:
            return (
                422,
                {},
                {"message": f"No commit found for SHA: {ref}", "documentation_url": DOCS},
            )
        return 200, {}, self._commit_json(repo, commit, with_files=True)

    def _git_commit_answer(self, repo: FakeRepo, params, ref: str):
        commit = repo.resolve(ref)
        if commit is None or commit.sha != ref.lower():
            return 404, {}, not_found()
        return (
            200,
            {},
            self._commit_json(repo, commit)["commit"]
            | {
                "sha": commit.sha,
                "node_id": f"C_{commit.sha[:12]}",
                "parents": self._commit_json(repo, commit)["parents"],
            },
        )
