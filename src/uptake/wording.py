"""Counts in English: "1 repository", "2 repositories", "1,204 new months"."""

from __future__ import annotations

IRREGULAR = {"repository": "repositories", "copy": "copies"}


def counted(number: int, noun: str) -> str:
    """`number` with `noun` (its last word) singular or plural, thousands separated."""
    *words, last = noun.split(" ")
    if number != 1:
        last = IRREGULAR.get(last) or (last[:-1] + "ies" if last.endswith("y") else last + "s")
    return f"{number:,} {' '.join([*words, last])}"
