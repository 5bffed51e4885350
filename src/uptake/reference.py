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

    parts = []
    for name, command in [("", cli), *sorted(cli.commands.items())]:
        with click.Context(
            command, info_name=f"uptake {name}".strip(), terminal_width=88, max_content_width=88
        ) as ctx:
            help_text = command.get_help(ctx)
        parts.append(
            f"#### `uptake {name}`\n\n```\n{help_text}\n```\n"
            if name
            else f"```\n{help_text}\n```\n"
        )
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
