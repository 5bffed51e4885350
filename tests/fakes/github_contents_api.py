"""The fake GitHub's JSON for file contents and git objects (blobs, trees), as PyGithub reads it.

`ContentAnswers` is mixed into `FakeGitHub` beside `RepoAnswers`; it reads the server's
`contents_inline_limit` (files above it come with encoding "none" and no content) and
`tree_entry_limit` (a longer tree listing is cut and marked truncated).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote

from tests.fakes.git_model import FakeCommit, FakeRepo, git_blob_sha
from tests.fakes.github_repos_api import DOCS, RepoAnswers, not_found

CONTENTS_INLINE_LIMIT = 1024 * 1024  # the contents API sends no content above 1 MB


def _base64_lines(content: bytes) -> str:
    """Base64 in 60-character lines, each ending in a newline, as GitHub sends it."""
    encoded = base64.b64encode(content).decode("ascii")
    return "".join(f"{encoded[i : i + 60]}\n" for i in range(0, len(encoded), 60))


class ContentAnswers(RepoAnswers):
    """Answers for /contents, /git/blobs and /git/trees of a repository."""

    contents_inline_limit: int
    tree_entry_limit: int | None

    def _contents_answer(self, repo: FakeRepo, params, path: str | None = None):
        ref = params.get("ref")
        commit = repo.resolve(ref)
        if commit is None:
            message = (
                "This repository is empty."
                if not repo.commits
                else f"No commit found for the ref {ref}"
            )
            return 404, {}, {"message": message, "documentation_url": DOCS, "status": "404"}
        path = (path or "").strip("/")
        ref_name = ref or repo.default_branch
        if path in commit.files:
            return (
                200,
                {},
                self._content_json(repo, path, commit.files[path], ref_name, inline=True),
            )
        prefix = f"{path}/" if path else ""
        children: dict[str, bytes | None] = {}
        for file_path, content in commit.files.items():
            if file_path.startswith(prefix):
                head, _, tail = file_path[len(prefix) :].partition("/")
                children[head] = None if tail else content
        if not children:
            return 404, {}, not_found()
        listing = []
        for name, content in sorted(children.items()):
            child = f"{prefix}{name}"
            if content is None:
                listing.append(self._dir_json(repo, commit, child, ref_name))
            else:
                listing.append(self._content_json(repo, child, content, ref_name, inline=False))
        return 200, {}, listing

    def _content_json(self, repo: FakeRepo, path: str, content: bytes, ref: str, *, inline: bool):
        api = self._api(repo)
        sha = git_blob_sha(content)
        answer = {
            "type": "file",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": len(content),
            "url": f"{api}/contents/{quote(path)}?ref={ref}",
            "html_url": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
            "git_url": f"{api}/git/blobs/{sha}",
            "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{path}",
            "_links": {
                "self": f"{api}/contents/{quote(path)}?ref={ref}",
                "git": f"{api}/git/blobs/{sha}",
                "html": f"https://github.com/{repo.full_name}/blob/{ref}/{path}",
            },
        }
        if inline:
            if len(content) > self.contents_inline_limit:
                answer.update(content="", encoding="none")
            else:
                answer.update(content=_base64_lines(content), encoding="base64")
        return answer

    def _dir_json(self, repo: FakeRepo, commit: FakeCommit, path: str, ref: str):
        api = self._api(repo)
        sha = self._subtree_sha(repo, commit, path)
        return {
            "type": "dir",
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
            "size": 0,
            "url": f"{api}/contents/{quote(path)}?ref={ref}",
            "html_url": f"https://github.com/{repo.full_name}/tree/{ref}/{path}",
            "git_url": f"{api}/git/trees/{sha}",
            "download_url": None,
            "_links": {
                "self": f"{api}/contents/{quote(path)}?ref={ref}",
                "git": f"{api}/git/trees/{sha}",
                "html": f"https://github.com/{repo.full_name}/tree/{ref}/{path}",
            },
        }

    @staticmethod
    def _subtree_sha(repo: FakeRepo, commit: FakeCommit, path: str) -> str:
        sha = commit.tree_sha
        for part in path.split("/"):
            sha = next(e.sha for e in repo.trees[sha] if e.name == part)
        return sha

    def _blob_answer(self, repo: FakeRepo, params, sha: str):
        content = repo.blobs.get(sha.lower())
        if content is None:
            return 404, {}, not_found()
        return (
            200,
            {},
            {
                "sha": sha.lower(),
                "node_id": f"B_{sha[:12]}",
                "size": len(content),
                "url": f"{self._api(repo)}/git/blobs/{sha.lower()}",
                "content": _base64_lines(content),
                "encoding": "base64",
            },
        )

    def _tree_answer(self, repo: FakeRepo, params, ref: str):
        if ref.lower() in repo.trees:
            root = ref.lower()
        else:
            commit = repo.resolve(ref)
            if commit is None:
                return 404, {}, not_found()
            root = commit.tree_sha
        recursive = params.get("recursive") not in (None, "", "0", "false")
        entries = list(self._walk_tree(repo, root, "", recursive))
        truncated = self.tree_entry_limit is not None and len(entries) > self.tree_entry_limit
        if truncated:
            entries = entries[: self.tree_entry_limit]
        api = self._api(repo)
        return (
            200,
            {},
            {
                "sha": root,
                "url": f"{api}/git/trees/{root}",
                "tree": [
                    {
                        "path": path,
                        "mode": entry.mode,
                        "type": entry.type,
                        "sha": entry.sha,
                        **({"size": entry.size} if entry.type == "blob" else {}),
                        "url": f"{api}/git/{'blobs' if entry.type == 'blob' else 'trees'}/{entry.sha}",
                    }
                    for path, entry in entries
                ],
                "truncated": truncated,
            },
        )

    def _walk_tree(self, repo: FakeRepo, sha: str, prefix: str, recursive: bool) -> Iterator:
        for entry in repo.trees[sha]:
            path = f"{prefix}{entry.name}"
            yield path, entry
            if recursive and entry.type == "tree":
                yield from self._walk_tree(repo, entry.sha, f"{path}/", recursive)
