"""Charts of the answer across rivalries (marts.meta_*): a forest plot of every rivalry's
lag and the Kaplan-Meier curve of the time research's favourite takes to win industry.
The report and notebooks/03_across_rivalries.ipynb draw the same charts."""

from __future__ import annotations

import altair as alt
import duckdb

from uptake.charts import WIDTH, has_table, segment_short, with_source, wrapped

OUTCOME_COLOURS = alt.Scale(
    domain=["supported", "contradicted", "open", "order unknown", "no data"],
    range=["#1b7837", "#b2182b", "#2166ac", "#878787", "#cccccc"],
)


def headline_pair(con: duckdb.DuckDBPyConnection, rule: str = "main") -> tuple[str, str] | None:
    """The pair the analysis leads with (marts.meta_analysis.is_headline)."""
    if not has_table(con, "marts", "meta_analysis"):
        return None
    rows = con.execute(
        "select leading_segment, lagging_segment from marts.meta_analysis"
        " where rule = ? and is_headline",
        [rule],
    ).fetchall()
    return tuple(rows[0]) if rows else None


def summary(con: duckdb.DuckDBPyConnection, pair: tuple[str, str], rule: str = "main") -> dict:
    cursor = con.execute(
        "select * from marts.meta_analysis where leading_segment = ? and lagging_segment = ?"
        " and rule = ?",
        [*pair, rule],
    )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return dict(zip(columns, rows[0], strict=True)) if rows else {}


def forest(con: duckdb.DuckDBPyConnection, pair: tuple[str, str], rule: str = "main"):
    """Each rivalry's lag from the research crossover to industry's, with its 95% interval;
    an open rivalry is drawn where its watch stands (censored: the lag is at least that)."""
    frame = con.sql(
        """
        select m.rivalry, m.outcome, m.favourite, m.lag_months, m.censored,
            coalesce(h.lag_low, m.lag_months) as lag_low,
            coalesce(h.lag_high, m.lag_months) as lag_high
        from marts.meta_rivalries as m
        left join marts.hypothesis_results as h
            on h.rivalry = m.rivalry and h.leading_segment = m.leading_segment
            and h.lagging_segment = m.lagging_segment and h.rule = m.rule
        where m.leading_segment = ? and m.lagging_segment = ? and m.rule = ?
            and m.lag_months is not null
        order by m.lag_months
        """,
        params=[*pair, rule],
    ).pl()
    if frame.is_empty():
        return None
    found = summary(con, pair, rule)
    base = alt.Chart(frame).encode(
        y=alt.Y("rivalry:N", title=None, sort=alt.SortField("lag_months"))
    )
    interval = (
        base.transform_filter("!datum.censored")
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X(
                "lag_low:Q",
                title=f"months from the crossover in {segment_short(pair[0])} to the one in {segment_short(pair[1])}",
            ),
            x2="lag_high:Q",
            color=alt.Color("outcome:N", scale=OUTCOME_COLOURS, title=None),
        )
    )
    point = base.mark_point(size=90, filled=True).encode(
        x="lag_months:Q",
        shape=alt.Shape(
            "censored:N",
            scale=alt.Scale(domain=[False, True], range=["circle", "triangle-right"]),
            legend=alt.Legend(title="still open (at least)", orient="right"),
        ),
        color=alt.Color("outcome:N", scale=OUTCOME_COLOURS, title=None),
        tooltip=[
            "rivalry:N",
            "favourite:N",
            "outcome:N",
            "lag_months:Q",
            "lag_low:Q",
            "lag_high:Q",
        ],
    )
    title = _finding(found)
    chart = (interval + point).properties(
        width=WIDTH,
        title=alt.TitleParams(
            title,
            subtitle=wrapped(
                "Dot: the lag; line: its 95% interval; triangle: still open, the lag so far."
            ),
            anchor="start",
        ),
    )
    return with_source(chart, pair)


def survival(con: duckdb.DuckDBPyConnection, pair: tuple[str, str], rule: str = "main"):
    """Kaplan-Meier: the share of rivalries whose industry has not yet followed research."""
    frame = con.sql(
        "select lag_months, survival, survival_low, survival_high, at_risk, events"
        " from marts.meta_survival where leading_segment = ? and lagging_segment = ?"
        " and rule = ? order by lag_months",
        params=[*pair, rule],
    ).pl()
    if frame.is_empty():
        return None
    found = summary(con, pair, rule)
    median = found.get("median_lag_months")
    x = alt.X("lag_months:Q", title=f"months after the crossover in {segment_short(pair[0])}")
    base = alt.Chart(frame).encode(x=x)
    band = base.mark_area(opacity=0.2, interpolate="step-after").encode(
        y=alt.Y(
            "survival_low:Q",
            title="industry not yet following",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        y2="survival_high:Q",
    )
    line = base.mark_line(interpolate="step-after").encode(
        y="survival:Q",
        tooltip=["lag_months:Q", alt.Tooltip("survival:Q", format=".0%"), "at_risk:Q", "events:Q"],
    )
    half = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.datum(0.5))
    title = (
        f"Half of the rivalries' industries followed within {median:.0f} months"
        if median is not None
        else "Fewer than half of the rivalries' industries have followed research"
    )
    chart = (band + line + half).properties(
        width=WIDTH,
        title=alt.TitleParams(
            title,
            subtitle=wrapped(
                "Kaplan-Meier estimate with its 95% band; open rivalries are censored."
            ),
            anchor="start",
        ),
    )
    return with_source(chart, pair)


def _finding(found: dict) -> str:
    decided = (found.get("supported") or 0) + (found.get("contradicted") or 0)
    if not decided:
        return "No rivalry is decided yet"
    return (
        f"Research's favourite won industry in {found['supported']} of {decided} decided"
        f" rivalries; {found.get('open') or 0} still open"
    )
