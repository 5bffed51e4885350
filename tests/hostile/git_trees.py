"""A git repository whose history a hostile author wrote, for the miners.

Its trees hold what a checkout would trip on and plumbing must simply read: symlink
loops and links out of the repository (git stores them as blobs of mode 120000), file
names that are shell commands or not UTF-8, and entries named `..` and `.git` that git
refuses to check out but happily stores (written with `git mktree`). Its config runs a
command wherever git would consult it (fsmonitor, pager, hooks), and its remote claims
to be `github.com/../..`.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.git_repos import RepoBuilder
from tests.hostile.payloads import PWNED, shell_payloads

# Python files by month: January's tree, then February's (built with mktree).
JANUARY_PYTHON_FILES = 3  # bad\xff.py and two shell-named files; the links are not files
FEBRUARY_PYTHON_FILES = 3  # ../escape.py, .git/escape.py and ok.py


def hostile_repository(path: Path, sentinel: Path) -> RepoBuilder:
    repo = RepoBuilder(path)
    (path / "loop_a.py").symlink_to("loop_b.py")
    (path / "loop_b.py").symlink_to("loop_a.py")
    (path / "self.py").symlink_to("self.py")
    (path / "passwd.py").symlink_to("/etc/passwd")
    (path / "up.py").symlink_to("../../outside.py")
    os.mkdir(path / "dir_loop")
    (path / "dir_loop" / "again").symlink_to("..")
    with open(os.fsencode(path) + b"/bad\xff.py", "wb") as handle:
        handle.write(b"import torch\n")
    shell_file, semicolon_file = (f"{p.replace('/', '_')}.py" for p in shell_payloads(sentinel)[:2])
    repo.write(shell_file, "import flask\n")
    repo.write(semicolon_file, "import numpy\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "links and names", date="2021-01-10T00:00:00Z")
    blob = repo.git("rev-parse", f"HEAD:{shell_file}")
    inner = _mktree(repo, f"100644 blob {blob}\tescape.py\n")
    top = _mktree(
        repo,
        f"040000 tree {inner}\t..\n040000 tree {inner}\t.git\n"
        f"100644 blob {repo.git('rev-parse', f'HEAD:{semicolon_file}')}\tok.py\n",
    )
    commit = repo.git(
        "commit-tree", top, "-p", "HEAD", "-m", "traversal", date="2021-02-10T00:00:00Z"
    )
    repo.git("update-ref", "refs/heads/main", commit)
    target = sentinel / PWNED
    for key, value in (
        ("core.fsmonitor", f"touch {target}.fsmonitor; false"),
        ("core.pager", f"touch {target}.pager"),
        ("core.sshCommand", f"touch {target}.ssh"),
        ("diff.external", f"touch {target}.diff"),
        ("remote.origin.url", "https://github.com/../.."),
    ):
        repo.git("config", key, value)
    hooks = path / ".git" / "hooks"
    for hook in ("post-checkout", "pre-commit", "post-merge", "reference-transaction"):
        (hooks / hook).write_text(f"#!/bin/sh\ntouch {target}.{hook}\n")
        (hooks / hook).chmod(0o755)
    return repo


def _mktree(repo: RepoBuilder, listing: str) -> str:
    import subprocess

    result = subprocess.run(
        ["git", "-C", str(repo.path), "mktree"],
        input=listing.encode(),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()
