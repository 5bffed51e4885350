"""Robustness: the analysis again under alternative counting rules, beside the main one.

The main result reads research_mentions as the SQL models build it: the published
framework-mentions table. Where the warehouse holds the per-paper lists
(marts.conference_mentions), two more rules are run on the same code, and their rows
carry the rule's name (prefixed by the run's rule when that is not 'main'):

- 'listed_papers': papers of the per-paper lists whose text contains one of the
  technology's words, summed over the editions held in a month.
- 'unaffiliated_papers': the same without Google- or Facebook-affiliated papers (words
  google.com, fb.com, google brain), as He (2019) counted.

The lists cover fewer editions than the table (up to mid-2019 in the real data), so
these series are shorter; a rule with no data for a rivalry gives no rows for it.
Only research_mentions and the pairs it is part of are recomputed. Rules that need
another study (Keras counted apart from TensorFlow) are run by building a warehouse
with that study and calling analyze(..., rule="keras_apart") on it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from uptake.analysis.series import ShareSeries, StudyShares, month_number, wilson_interval

RESEARCH_RULES = {
    "listed_papers": "listed_papers_mentioning",
    "unaffiliated_papers": "unaffiliated_papers_mentioning",
}
SEGMENT = "research_mentions"


def research_mentions_variants(con, shares: StudyShares, rule: str):
    """(rule name, shares with research_mentions recounted) for each rule with data."""
    available = _columns(con, "marts", "conference_mentions")
    for name, column in RESEARCH_RULES.items():
        if column not in available or not shares.rivalries:
            continue
        counts = _monthly_counts(con, column)
        variant = _with_research_mentions(shares, counts)
        if any(key[1] == SEGMENT for key in variant.series):
            yield (name if rule == "main" else f"{rule}, {name}"), variant


def _monthly_counts(con, column: str) -> dict[str, dict[int, float]]:
    rows = con.execute(
        f"select technology, edition_month, sum({column}) from marts.conference_mentions "  # noqa: S608 (column from RESEARCH_RULES)
        f"where {column} is not null group by technology, edition_month"
    ).fetchall()
    counts: dict[str, dict[int, float]] = {}
    for technology, month, value in rows:
        counts.setdefault(technology, {})[month_number(month)] = float(value)
    return counts


def _with_research_mentions(shares: StudyShares, counts) -> StudyShares:
    series = {k: v for k, v in shares.series.items() if k[1] != SEGMENT}
    for rivalry, technologies in shares.rivalries.items():
        if not all(t in counts for t in technologies):
            continue
        months = sorted(set.intersection(*(set(counts[t]) for t in technologies)))
        values = np.array([[counts[t][m] for m in months] for t in technologies])
        total = values.sum(axis=0)
        keep = total > 0
        if not keep.any():
            continue
        for technology, row in zip(technologies, values, strict=True):
            share = row[keep] / total[keep]
            low, high = wilson_interval(share, total[keep])
            series[(rivalry, SEGMENT, technology)] = ShareSeries(
                rivalry,
                SEGMENT,
                technology,
                np.array(months, dtype=np.int64)[keep],
                share,
                low,
                high,
                total[keep],
                True,
            )
    with_data = dict(shares.technologies_with_data)
    with_data[SEGMENT] = set(counts)
    return replace(shares, series=series, technologies_with_data=with_data)


def _columns(con, schema: str, table: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()
    }
