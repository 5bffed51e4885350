"""Altair charts of the warehouse, shared by `uptake report` and the notebooks.

Every function takes an open DuckDB connection (read-only is enough) and returns an
Altair chart, or None when the warehouse holds nothing to draw; callers say why in
words instead of drawing an empty frame. Months are drawn in UTC so that a month never
slips into the previous one in a browser west of Greenwich.
"""

from __future__ import annotations

import altair as alt
import duckdb
import polars as pl
import vl_convert
from altair.utils._importers import vl_version_for_vl_convert

from uptake.analysis.series import order_segments

WIDTH = 640
PANEL_HEIGHT = 150
MONTH = alt.X("utcyearmonth(month):T", title=None, axis=alt.Axis(format="%Y", tickCount="year"))
SEGMENT_LABELS = {
    "research_mentions": "Conference papers mentioning it",
    "research_code": "Papers whose code uses it",
    "model_hub": "New Hugging Face Hub models",
    "oss_imports": "Open-source repositories importing it",
    "industry_downloads": "PyPI downloads",
}


OFFLINE_RENDERER = "uptake_offline"


def render_offline() -> None:
    """Draw every Altair chart in this notebook as an SVG image made here by vl-convert.

    Altair's default renderer loads Vega from a CDN when the page opens, so an executed
    notebook shows "Error loading script" offline and in an HTML export. An SVG needs
    no script: Jupyter, VS Code, GitHub and nbconvert all draw it as it is.
    """
    if OFFLINE_RENDERER not in alt.renderers.names():
        alt.renderers.register(OFFLINE_RENDERER, _svg_mimebundle)
    alt.renderers.enable(OFFLINE_RENDERER)


def _svg_mimebundle(spec: dict, **_metadata) -> dict[str, str]:
    svg = vl_convert.vegalite_to_svg(spec, vl_version=vl_version_for_vl_convert())
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(title)
    return {"image/svg+xml": svg, "text/plain": f"<chart: {title or 'untitled'}>"}


def segment_label(segment: str) -> str:
    return SEGMENT_LABELS.get(segment, segment.replace("_", " "))


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def technology_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not has_table(con, "meta", "study_technologies"):
        return {}
    return dict(con.execute("select technology, label from meta.study_technologies").fetchall())


def technology_colours(con: duckdb.DuckDBPyConnection, labels) -> alt.Scale:
    """The study's colour for each of `labels` (technology labels), in every chart alike;
    only those, so a legend lists what the chart draws."""
    if not has_table(con, "meta", "study_technologies"):
        return alt.Scale()
    colours = dict(
        con.execute(
            "select label, colour from meta.study_technologies where colour is not null"
        ).fetchall()
    )
    shown = sorted(label for label in set(labels) if label in colours)
    if not shown:
        return alt.Scale()
    return alt.Scale(domain=shown, range=[colours[label] for label in shown])


def rivalries_with_shares(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not has_table(con, "marts", "rivalry_shares"):
        return []
    return [
        r[0]
        for r in con.execute(
            "select distinct rivalry from marts.rivalry_shares order by rivalry"
        ).fetchall()
    ]


def share_curves(con: duckdb.DuckDBPyConnection, rivalry: str) -> alt.VConcatChart | None:
    """One panel per segment: each technology's share with its 95% band, the one-half
    line, and the month the analysis found the crossover (when it has run)."""
    shares = _shares(con, rivalry)
    if shares.is_empty():
        return None
    crossings = _crossovers(con, rivalry)
    panels = []
    for segment in order_segments(shares["segment"].unique().to_list()):
        rows = shares.filter(pl.col("segment") == segment)
        color = alt.Color(
            "label:N",
            title=None,
            legend=alt.Legend(orient="top"),
            scale=technology_colours(con, shares["label"].to_list()),
        )
        base = alt.Chart(rows).encode(x=MONTH)
        band = base.mark_area(opacity=0.25).encode(
            y=alt.Y("share_low:Q", title="share", scale=alt.Scale(domain=[0, 1])),
            y2="share_high:Q",
            color=color,
        )
        line = base.mark_line(point=rows.height < 60).encode(
            y="share:Q",
            color=color,
            tooltip=[
                alt.Tooltip("utcyearmonth(month):T", title="month", format="%Y-%m"),
                alt.Tooltip("label:N", title="technology"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("share_low:Q", title="low", format=".1%"),
                alt.Tooltip("share_high:Q", title="high", format=".1%"),
            ],
        )
        half = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.datum(0.5))
        layers = [band, line, half]
        crossing = crossings.filter(pl.col("segment") == segment)
        if not crossing.is_empty():
            layers.append(
                alt.Chart(crossing)
                .mark_rule(color="black")
                .encode(
                    x="utcyearmonth(crossover_month):T",
                    tooltip=[
                        alt.Tooltip("leader:N"),
                        alt.Tooltip(
                            "utcyearmonth(crossover_month):T", title="crossover", format="%Y-%m"
                        ),
                    ],
                )
            )
        panels.append(
            alt.layer(*layers).properties(
                width=WIDTH, height=PANEL_HEIGHT, title=segment_label(segment)
            )
        )
    # One time axis for every segment of a rivalry, so a lag between them reads by eye.
    return (
        alt.vconcat(*panels)
        .resolve_scale(x="shared")
        .properties(title=f"{rivalry}: share of each technology")
    )


def volumes(con: duckdb.DuckDBPyConnection) -> alt.VConcatChart | None:
    """Each rivalry technology's monthly volume per segment on a log scale; censored
    months (below a snapshot's cut-off) are drawn as their upper bound, hollow."""
    if not has_table(con, "marts", "adoption_monthly"):
        return None
    frame = _frame(
        con,
        """
        select a.segment, a.technology, coalesce(t.label, a.technology) as label, a.month,
            coalesce(a.value, a.value_high) as value, a.is_censored
        from marts.adoption_monthly as a
        left join meta.study_technologies as t using (technology)
        where a.technology in (select technology from meta.study_rivalries)
            and coalesce(a.value, a.value_high) > 0
        order by a.segment, a.technology, a.month
        """,
    )
    if frame.is_empty():
        return None
    panels = []
    for segment in order_segments(frame["segment"].unique().to_list()):
        rows = frame.filter(pl.col("segment") == segment)
        base = alt.Chart(rows).encode(
            x=MONTH,
            y=alt.Y(
                "value:Q",
                title="per month",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~s", tickCount=5),
            ),
            color=alt.Color(
                "label:N",
                title=None,
                scale=technology_colours(con, frame["label"].to_list()),
                # every technology of the study, in columns under the panels
                legend=alt.Legend(orient="bottom", columns=4, symbolLimit=0),
            ),
        )
        panels.append(
            (
                base.mark_line(opacity=0.8)
                + base.mark_point(size=12, filled=True).encode(
                    fillOpacity=alt.condition("datum.is_censored", alt.value(0), alt.value(1)),
                    tooltip=[
                        alt.Tooltip("utcyearmonth(month):T", title="month", format="%Y-%m"),
                        alt.Tooltip("label:N", title="technology"),
                        alt.Tooltip("value:Q", format=",.0f"),
                        alt.Tooltip("is_censored:N", title="censored"),
                    ],
                )
            ).properties(width=WIDTH, height=PANEL_HEIGHT, title=segment_label(segment))
        )
    return alt.vconcat(*panels).properties(title="Volume per month, by segment")


def coverage(con: duckdb.DuckDBPyConnection) -> alt.Chart | None:
    """Which months each segment and source has data for, and for how many technologies."""
    if not has_table(con, "marts", "adoption_monthly"):
        return None
    frame = _frame(
        con,
        """
        select segment || ' (' || source || ')' as feed, month,
            count(distinct technology) as technologies
        from marts.adoption_monthly
        group by all
        order by feed, month
        """,
    )
    if frame.is_empty():
        return None
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=MONTH,
            y=alt.Y("feed:N", title=None, axis=alt.Axis(labelLimit=400)),
            color=alt.Color("technologies:Q", scale=alt.Scale(scheme="blues")),
            tooltip=[
                "feed:N",
                alt.Tooltip("utcyearmonth(month):T", title="month", format="%Y-%m"),
                "technologies:Q",
            ],
        )
        .properties(width=WIDTH, title="Data coverage: months with data, per segment and source")
    )


def lags(con: duckdb.DuckDBPyConnection, rule: str = "main") -> alt.LayerChart | None:
    """Each pair's crossover lag with its 95% interval, beside the best-aligning lag."""
    if not has_table(con, "marts", "hypothesis_results"):
        return None
    frame = _frame(
        con,
        """
        select rivalry || ': ' || leading_segment || ' -> ' || lagging_segment as pair,
            lag_months, lag_low, coalesce(lag_high, lag_months) as lag_high,
            best_alignment_lag, verdict
        from marts.hypothesis_results
        where rule = ? and lag_months is not null
        order by rivalry, leading_segment, lagging_segment
        """,
        [rule],
    )
    if frame.is_empty():
        return None
    base = alt.Chart(frame).encode(y=alt.Y("pair:N", title=None, axis=alt.Axis(labelLimit=400)))
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("lag_low:Q", title="months from the leading to the lagging crossover"),
        x2="lag_high:Q",
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="lag_months:Q",
        color=alt.Color(
            "verdict:N",
            scale=alt.Scale(
                domain=["supported", "contradicted", "inconclusive"],
                range=["#1b7837", "#b2182b", "#878787"],
            ),
        ),
        tooltip=["pair:N", "lag_months:Q", "lag_low:Q", "lag_high:Q", "verdict:N"],
    )
    alignment = base.mark_tick(color="gray", thickness=2).encode(
        x="best_alignment_lag:Q",
        tooltip=["pair:N", alt.Tooltip("best_alignment_lag:Q", title="best-aligning lag")],
    )
    return (interval + point + alignment).properties(
        width=WIDTH, title="Crossover lag (dot, 95% interval) and best-aligning lag (tick)"
    )


def _shares(con: duckdb.DuckDBPyConnection, rivalry: str) -> pl.DataFrame:
    if not has_table(con, "marts", "rivalry_shares"):
        return pl.DataFrame()
    return _frame(
        con,
        """
        select s.segment, s.technology, coalesce(t.label, s.technology) as label, s.month,
            s.share, s.share_low, s.share_high
        from marts.rivalry_shares as s
        left join meta.study_technologies as t using (technology)
        where s.rivalry = ?
        order by s.segment, s.technology, s.month
        """,
        [rivalry],
    )


def _crossovers(con: duckdb.DuckDBPyConnection, rivalry: str) -> pl.DataFrame:
    if not has_table(con, "marts", "crossovers"):
        return pl.DataFrame({"segment": []}, schema={"segment": pl.String})
    return _frame(
        con,
        """
        select segment, leader, crossover_month
        from marts.crossovers
        where rivalry = ? and rule = 'main' and crossover_month is not null
        """,
        [rivalry],
    )


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(query, params=params).pl()
