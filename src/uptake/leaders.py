"""Who leads each rivalry, in words, from marts.rivalry_leaders."""

from __future__ import annotations

import duckdb


def leader_lines(con: duckdb.DuckDBPyConnection, segment: str) -> list[str]:
    rows = con.execute(
        """
        select l.rivalry, l.status, l.leader, t.label, l.leading_since, l.latest_month, l.latest_share,
            l.first_month
        from marts.rivalry_leaders as l
        left join meta.study_technologies as t on t.technology = l.leader
        where l.segment = ?
        order by l.rivalry
        """,
        [segment],
    ).fetchall()
    if not rows:
        return ["  (no data for this segment yet)"]
    width = max(len(r[0]) for r in rows)
    lines = []
    for rivalry, status, leader, label, since, latest, share, first in rows:
        if leader is None:
            text = f"no technology above one half in {latest:%Y-%m}"
        elif status == "led throughout":
            text = (
                f"{label} has led throughout, since {first:%Y-%m} ({share:.1%} in {latest:%Y-%m})"
            )
        else:
            text = f"{label} leads since {since:%Y-%m} ({share:.1%} in {latest:%Y-%m})"
        lines.append(f"  {rivalry.ljust(width)}  {text}")
    return lines
