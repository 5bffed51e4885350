"""The docs' generated pages: the command reference (from --help) and the marts (from
the models' headers).

`python -m uptake.reference` rewrites their generated sections in place; a test fails
when they drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from uptake.models import mart_reference_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"
# section name -> (the page holding it, what generates it)
SECTIONS = {
    "commands": (DOCS / "reference" / "commands.md", lambda: command_reference()),
    "marts": (DOCS / "reference" / "marts.md", lambda: mart_reference_markdown()),
}


def command_reference() -> str:
    from uptake.cli import cli

    width = {"terminal_width": 88, "max_content_width": 88}
    root = cli.make_context("uptake", [], resilient_parsing=True, **width)
    parts = [f"```\n{cli.get_help(root)}\n```\n"]
    for name, command in sorted(cli.commands.items()):
        # A child context inherits the group's settings (help option names), as at run time.
        ctx = click.Context(command, info_name=name, parent=root, **width)
        parts.append(f"#### `uptake {name}`\n\n```\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


def render(name: str, page_text: str) -> str:
    """`page_text` with its `<!-- generated:name -->` section regenerated."""
    generate = SECTIONS[name][1]
    pattern = re.compile(
        rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", flags=re.DOTALL
    )
    if not pattern.search(page_text):
        raise SystemExit(f"no <!-- generated:{name} --> section in {SECTIONS[name][0]}")
    return pattern.sub(lambda m: m[1] + "\n" + generate() + "\n" + m[2], page_text)


if __name__ == "__main__":
    for name, (page, _) in SECTIONS.items():
        page.write_text(render(name, page.read_text(encoding="utf-8")), encoding="utf-8")
        sys.stdout.write(f"updated {page}\n")
