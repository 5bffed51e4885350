"""Naming and fetching the repositories to mine: local paths, git URLs, owner/name."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from uptake.errors import SourceError
from uptake.mining.outcomes import failure_outcome
from uptake.sources.unicode_text import invalid_text, printable

_OWNER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_HOST_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\Z")
_GITHUB_REMOTE = re.compile(r"github\.com[/:](?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$")


@dataclass(frozen=True)
class RepositoryRef:
    name: str  # owner/name for GitHub, else a clone's folder name
    location: str  # local path, or URL to clone


def parse_repository(text: str) -> RepositoryRef:
    """A local path, an http(s) git URL, or owner/name (taken as a GitHub repository);
    `NAME=PATH_OR_URL` names a clone whose remote or folder does not say who it is."""
    if not text.strip():
        raise SourceError("an empty repository: give a path, a git URL or owner/name")
    if url_has_credentials(text):
        raise SourceError(CREDENTIALS_IN_URL)
    name, separator, location = text.partition("=")
    # A URL or path may hold "=" itself; a NAME never holds "://" or starts a path.
    # (Testing for a leading "http" refused httpie/cli=PATH.)
    if separator and name and "://" not in name and not name.startswith(("/", ".")):
        return RepositoryRef(name=repository_name(name), location=location)
    if text.startswith(("http://", "https://", "file://")):
        return RepositoryRef(name=_name_from_url(text), location=text)
    path = Path(text)
    if path.exists():
        return RepositoryRef(name=_name_from_clone(path), location=str(path))
    if _OWNER_NAME.match(text) and ".." not in text:
        return RepositoryRef(name=text, location=f"https://github.com/{text}.git")
    raise SourceError(f"{text!r} is neither a local repository, a git URL, nor owner/name")


CREDENTIALS_IN_URL = (
    "a repository URL with a user or token in it is refused (it would be stored with the "
    "run): give the token as GITHUB_TOKEN"
)


def url_has_credentials(text: str) -> bool:
    """True when a git URL (alone or after NAME=) carries a user or token before its host."""
    url = text.split("=", 1)[1] if "=" in text.split("://", 1)[0] else text
    try:
        return "://" in url and "@" in urlparse(url).netloc
    except ValueError:  # not a URL urllib can split: parse_repository says what it is
        return False


def github_name(text: str) -> str:
    """Validate owner/name, refusing anything that could escape a path or a URL."""
    if not _OWNER_NAME.match(text) or ".." in text:
        raise SourceError(f"{text!r} is not a GitHub owner/name")
    return text


def repository_name(text: str) -> str:
    """A name uptake may store a repository under: owner/name, or a plain name."""
    return github_name(text) if "/" in text else _plain_name(text)


def _plain_name(text: str) -> str:
    # A leading '-' would read as an option wherever a name reaches a command line.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", text):
        raise SourceError(f"{text!r} is not a usable repository name")
    return text


def unique_names(refs: list[RepositoryRef]) -> list[RepositoryRef]:
    """Refuse two repositories under one name: their months would overwrite each other."""
    seen: dict[str, str] = {}
    for ref in refs:
        if ref.name in seen and seen[ref.name] != ref.location:
            raise SourceError(
                f"{seen[ref.name]} and {ref.location} would both be mined as {ref.name!r}; "
                "name them with NAME=PATH"
            )
        seen[ref.name] = ref.location
    return list({ref.name: ref for ref in refs}.values())


def _name_from_url(url: str) -> str:
    match = _GITHUB_REMOTE.search(url)
    if match:
        return github_name(f"{match['owner']}/{match['name']}")
    parsed = urlparse(url)
    if (parsed.hostname or "").removeprefix("www.") == "github.com":
        raise SourceError(f"{url!r} is not a GitHub repository URL (github.com/owner/name)")
    stem = Path(parsed.path.rstrip("/")).name.removesuffix(".git")
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", stem or "") or stem in (".", ".."):
        raise SourceError(f"cannot name a repository from {url!r}")
    host = parsed.hostname or "local"
    if not _HOST_NAME.match(host):  # the name becomes a folder under clones/
        raise SourceError(f"cannot name a repository from {url!r}: {host!r} is not a host name")
    return f"{host}/{stem}"


def _name_from_clone(path: Path) -> str:
    result = subprocess.run(
        ["git", "-C", str(path), "config", "--get", "remote.origin.url"],
        capture_output=True,
        text=True,
    )
    match = _GITHUB_REMOTE.search(result.stdout.strip())
    if match:  # the remote is the clone's own say: validated like a name typed by hand
        return github_name(f"{match['owner']}/{match['name']}")
    name = path.resolve().name
    if not name.isprintable() or invalid_text([name]) is not None:
        raise SourceError(
            f"the folder name of {printable(str(path))!r} is not printable UTF-8 text; "
            "name the repository with NAME=PATH"
        )
    return name


def clone_or_update(ref: RepositoryRef, clones_dir: Path) -> Path:
    """A bare, blob-less clone under `clones_dir` (blobs arrive on demand when mined)."""
    if not ref.location.startswith(("http://", "https://", "file://")):
        return Path(ref.location)
    target = (clones_dir / f"{ref.name}.git").resolve()
    if clones_dir.resolve() not in target.parents:
        raise SourceError(f"refusing to clone {ref.name!r} outside {clones_dir}")
    if target.exists():
        command = [
            "git",
            "-C",
            str(target),
            "fetch",
            "--quiet",
            "--filter=blob:none",
            "origin",
            "+refs/heads/*:refs/heads/*",
        ]
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        command = [
            "git",
            "clone",
            "--quiet",
            "--bare",
            "--filter=blob:none",
            ref.location,
            str(target),
        ]
    # No prompt for a user name: a private or deleted repository must fail, not wait.
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        # git's first "fatal:" line says why; the lines after it are advice.
        fatal = [line.removeprefix("fatal: ") for line in lines if line.startswith("fatal: ")]
        said = fatal[0] if fatal else lines[-1] if lines else "no message"
        message = f"git could not fetch {ref.location}: {said}"
        if lasting_clone_failure(result.stderr):
            raise SourceError(message)  # retrying cannot help: recorded at once
        raise OSError(message)
    return target


def lasting_clone_failure(stderr: str) -> bool:
    """Whether git's message says the repository is gone, private or not there at all,
    which no retry changes, rather than unreachable for now."""
    return failure_outcome(stderr) in ("gone", "private", "not_fetched")
