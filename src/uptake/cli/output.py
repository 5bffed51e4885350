"""Formatting query results for the terminal, CSV or JSON, and the options that choose it."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json

import click

FORMATS_HELP = (
    "table: aligned columns to read; csv: a header row, then one line per row; "
    "json: an array of objects, dates in ISO 8601."
)
# The same --format on every command that prints rows.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help=FORMATS_HELP,
)
# The same -q on every command that shows a progress bar.
quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress bar (shown while stderr is a terminal)."
)


def format_rows(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue()
    if fmt == "json":
        return (
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows],
                default=_json_value,
                indent=2,
            )
            + "\n"
        )
    return format_table(columns, rows)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """A plain aligned table: numbers right, text left, like sqlite-utils' default."""
    cells = [[_text(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(row[i], int | float | decimal.Decimal) or row[i] is None for row in rows)
        and rows
        for i in range(len(columns))
    ]

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out) + "\n"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return str(value)


def _json_value(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)
