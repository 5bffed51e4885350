"""The README's generated sections: the command reference (from --help) and the marts.

`python -m uptake.reference` rewrites them in place; a test fails when they drift.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from uptake.models import mart_reference_markdown

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = {"commands": lambda: command_reference(), "marts": lambda: mart_reference_markdown()}


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


def render(readme_text: str) -> str:
    for name, generate in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", flags=re.DOTALL
        )
        if not pattern.search(readme_text):
            raise SystemExit(f"README has no <!-- generated:{name} --> section")
        readme_text = pattern.sub(
            lambda m, g=generate: m[1] + "\n" + g() + "\n" + m[2], readme_text
        )
    return readme_text


if __name__ == "__main__":
    updated = render(README.read_text(encoding="utf-8"))
    README.write_text(updated, encoding="utf-8")
    sys.stdout.write(f"updated {README}\n")
