"""Hostile strings and documents: small, built in memory; large ones built at test time.

Every shell payload would create a file named PWNED (in the current folder, or where
`sentinel` says) if anything ever ran it, so a test asserts that no PWNED file exists.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

PWNED = "PWNED"
SQL_DROP = "'; drop table {table}; --"
DEEP = 100_000  # nesting depth of the deep JSON documents
LONE_SURROGATE = "\udcff"  # what json.loads makes of "\\udcff", and os.fsdecode of b"\xff"
INVALID_UTF8 = b"\xff\xfe\xc3\x28"  # a stray byte, a BOM-like pair, a broken 2-byte sequence


def shell_payloads(sentinel: Path) -> list[str]:
    """Strings a shell would run, each creating `sentinel`/PWNED."""
    target = sentinel / PWNED
    return [
        f"$(touch {target})",
        f"; touch {target}",
        f"`touch {target}`",
        f"| touch {target}",
        f"&& touch {target}",
        f"x\ntouch {target}",
    ]


def repository_names(sentinel: Path, table: str) -> list[str]:
    """What `uptake mine` and the github_imports flow might be handed as repositories.

    Names that are not UTF-8 are left out: Prefect cannot even send them as a flow's
    parameters (tests/test_hostile_input.py covers them where they are parsed)."""
    target = sentinel / PWNED
    return [
        *shell_payloads(sentinel),
        f"owner/name; touch {target}",
        f"owner/$(touch {target})",
        f"lab=$(touch {target})",
        f"--upload-pack=touch {target}",
        f"-c core.sshCommand='touch {target}'",
        SQL_DROP.format(table=table),
        f"owner/name{SQL_DROP.format(table=table)}",
        "../../../etc/passwd",
        "..",
        "owner/..",
        "../..=https://github.com/owner/name",
        "https://github.com/../../etc",
        f"https://github.com/owner/name;touch {target}",
        "http://../escape.git",
        f"file:///nonexistent/$(touch {target})",
        "ext::sh -c touch% PWNED",
        "",
    ]


def deeply_nested_array(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


def deeply_nested_object(key: str = "a", depth: int = DEEP) -> str:
    return f'{{"{key}": ' * depth + "1" + "}" * depth


def json_with_lone_surrogate(document: object) -> str:
    """`document` as JSON whose strings carry the escape \\udcff (valid JSON, invalid text)."""
    return json.dumps(document).replace("@SURROGATE@", "\\udcff")


def gzip_bomb(path: Path, prefix: bytes, inflated_bytes: int, filler: bytes = b" ") -> Path:
    """A small .gz file inflating to about `inflated_bytes`: `prefix`, then `filler` repeated.

    Built from one compressed 16 MB member repeated (gzip readers inflate concatenated
    members as one stream), so a 2 GB bomb is a 2 MB file written in milliseconds.
    """
    block = 16 << 20
    member = gzip.compress(filler * (block // len(filler)), compresslevel=9)
    with open(path, "wb") as out:
        out.write(gzip.compress(prefix))
        for _ in range(max(1, inflated_bytes // block)):
            out.write(member)
    return path


def sparse_file(path: Path, size: int = 2 << 30) -> Path:
    """A file of `size` bytes (zeros) that takes no disk space."""
    with open(path, "wb") as out:
        out.truncate(size)
    return path


def symlink_loop(folder: Path, first: str, second: str) -> tuple[Path, Path]:
    """Two links pointing at each other: opening either fails with ELOOP."""
    a, b = folder / first, folder / second
    a.symlink_to(b.name)
    b.symlink_to(a.name)
    return a, b
