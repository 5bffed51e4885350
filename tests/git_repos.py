"""Building real git repositories with a known, dated history for the miners' tests."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path


class RepoBuilder:
    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "miner@example.org")
        self.git("config", "user.name", "Miner Test")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, date: str | None = None) -> str:
        env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}
        if date:
            env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        result = subprocess.run(
            ["git", "-C", str(self.path), *args], env=env, capture_output=True, check=True
        )
        return result.stdout.decode().strip()

    def write(self, relative: str, content: str | bytes) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    def commit(
        self, date: str, files: dict[str, str | bytes | None], message: str = "change"
    ) -> str:
        for relative, content in files.items():
            if content is None:
                self.git("rm", "-q", relative)
            else:
                self.write(relative, content)
                self.git("add", relative)
        self.git("commit", "-q", "--allow-empty", "-m", message, date=date)
        return self.git("rev-parse", "HEAD")


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": cell.splitlines(keepends=True),
                    "outputs": [],
                }
                for cell in cells
            ]
            + [{"cell_type": "markdown", "metadata": {}, "source": ["import not_code\n"]}],
        }
    )
