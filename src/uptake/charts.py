"""Altair charts of the warehouse, shared by `uptake report` and the notebooks.

Every function takes an open DuckDB connection (read-only is enough) and returns an
Altair chart, or None when the warehouse holds nothing to draw; callers say why in
words instead of drawing an empty frame. Months are drawn in UTC so that a month never
slips into the previous one in a browser west of Greenwich.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap

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


# The segment's name inside a sentence ("in papers' code 4 months later").
SEGMENT_SHORT = {
    "research_mentions": "conference papers",
    "research_code": "papers' code",
    "model_hub": "Hub models",
    "oss_imports": "open source",
    "industry_downloads": "PyPI downloads",
}


def segment_short(segment: str) -> str:
    return SEGMENT_SHORT.get(segment, segment)


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
    """One panel per segment on one time axis: each technology's share in percent with its
    95% band, the one-half line, and (when the analysis has run) the crossover month as a
    labelled rule over its 95% interval. Months without data are gaps, not bridged; the
    title states who took the lead where, first and last, and a source line closes it."""
    shares = _with_gaps(_shares(con, rivalry))
    if shares.is_empty():
        return None
    crossings = _crossovers(con, rivalry)
    segments = order_segments(shares["segment"].unique().to_list())
    colours = technology_colours(con, shares["label"].drop_nulls().to_list())
    domain = [_month_start(shares["month"].min()), _month_end(shares["month"].max())]
    panels = []
    for segment in segments:
        rows = shares.filter(pl.col("segment") == segment)
        color = alt.Color("label:N", title=None, legend=alt.Legend(orient="top"), scale=colours)
        base = alt.Chart(rows).encode(x=_month_axis(domain))
        band = base.mark_area(opacity=0.2).encode(
            y=alt.Y(
                "share_low:Q",
                title="share",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1]),
            ),
            y2="share_high:Q",
            color=color,
        )
        sparse = rows["share"].null_count() > 0 or rows.height < 60
        line = base.mark_line(point=alt.OverlayMarkDef(size=14) if sparse else False).encode(
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
            layers += _crossover_marks(crossing, domain[1])
        panels.append(
            alt.layer(*layers).properties(
                width=WIDTH, height=PANEL_HEIGHT, title=segment_label(segment)
            )
        )
    # One time axis for every segment of a rivalry, so a lag between them reads by eye.
    chart = (
        alt.vconcat(*panels)
        .resolve_scale(x="shared")
        .properties(
            title=alt.TitleParams(
                _share_finding(crossings, rivalry),
                subtitle=wrapped(
                    "Share of each technology per segment, with its 95% band; dashed: one "
                    "half; grey band and rule: the crossover month and its 95% interval. "
                    "Gaps are months without data."
                ),
                anchor="start",
            )
        )
    )
    return with_source(chart, segments)


SEGMENT_SOURCES = {
    "research_mentions": "conference papers' framework mentions (He 2019, with updates)",
    "research_code": "papers' code mined by uptake (Paper Copilot lists, He's ICML 2019 list)",
    "model_hub": "Hugging Face Hub models' framework tags",
    "oss_imports": "most-starred Python repositories mined by uptake (EvanLi/Github-Ranking)",
    "industry_downloads": "PyPI downloads (hugovk/top-pypi-packages, BigQuery, pypistats)",
}


def source_line(segments) -> str:
    return (
        "Source: "
        + "; ".join(SEGMENT_SOURCES.get(segment, segment_label(segment)) for segment in segments)
        + ". Chart: uptake."
    )


def with_source(chart, segments) -> alt.VConcatChart:
    """`chart` with a source line under it, as a newspaper chart has."""
    lines = wrapped(source_line(segments), width=120)
    note = (
        alt.Chart(alt.Data(values=[{"text": "\n".join(lines)}]))
        .mark_text(align="left", baseline="top", fontSize=10, color="#555555", lineBreak="\n")
        .encode(text="text:N", x=alt.value(0), y=alt.value(0))
        .properties(width=WIDTH, height=13 * len(lines), view=alt.ViewConfig(stroke=None))
    )
    return alt.vconcat(chart, note, spacing=6)


def wrapped(text: str, width: int = 105) -> list[str]:
    """Lines of `text` that fit the chart's width (Vega does not wrap titles)."""
    return textwrap.wrap(text, width=width)


def _month_axis(domain) -> alt.X:
    return alt.X(
        "utcyearmonth(month):T",
        title=None,
        axis=alt.Axis(format="%Y", tickCount="year"),
        scale=alt.Scale(domain=[d.isoformat() for d in domain]),
    )


def _crossover_marks(crossing: pl.DataFrame, last_month) -> list:
    """The crossover as a rule labelled with the leader and month, over a band spanning its
    95% interval (to the end of the axis when some resamples never crossed)."""
    frame = crossing.with_columns(
        pl.col("crossover_high").fill_null(_month_end(last_month)).alias("band_high"),
        pl.format(
            "{} leads from {}",
            pl.col("leader_label"),
            pl.col("crossover_month").dt.strftime("%Y-%m"),
        ).alias("label"),
        pl.format(
            "95% CI {} to {}",
            pl.col("crossover_low").dt.strftime("%Y-%m"),
            pl.col("crossover_high").dt.strftime("%Y-%m").fill_null("not yet"),
        ).alias("interval"),
    )
    base = alt.Chart(frame)
    band = base.mark_rect(color="gray", opacity=0.15).encode(
        x="utcyearmonth(crossover_low):T", x2="utcyearmonth(band_high):T"
    )
    rule = base.mark_rule(color="black").encode(
        x="utcyearmonth(crossover_month):T",
        tooltip=[
            alt.Tooltip("leader_label:N", title="leader"),
            alt.Tooltip("utcyearmonth(crossover_month):T", title="crossover", format="%Y-%m"),
            alt.Tooltip("interval:N", title="interval"),
        ],
    )
    label = base.mark_text(align="left", baseline="top", dx=4, dy=2, fontSize=11).encode(
        x="utcyearmonth(crossover_month):T", y=alt.value(0), text="label:N"
    )
    return [band, rule, label]


def _share_finding(crossings: pl.DataFrame, rivalry: str) -> str:
    """The chart's title, stated as its finding from marts.crossovers."""
    led = crossings.filter(pl.col("crossover_month").is_not_null()).sort("crossover_month")
    if led.is_empty():
        return f"{rivalry}: share of each technology per segment"
    leaders = led["leader_label"].unique(maintain_order=True).to_list()
    if len(leaders) > 1:
        parts = [
            f"{leader} leads {_segments_phrase(led.filter(pl.col('leader_label') == leader))}"
            for leader in leaders
        ]
        return "; ".join(parts)
    first, last = led.row(0, named=True), led.row(-1, named=True)
    if first["segment"] == last["segment"]:
        return f"{leaders[0]} leads {segment_short(first['segment'])} from {first['crossover_month']:%Y-%m}"
    months = (last["crossover_month"].year - first["crossover_month"].year) * 12 + (
        last["crossover_month"].month - first["crossover_month"].month
    )
    return (
        f"{leaders[0]} took the lead in {segment_short(first['segment'])} "
        f"in {first['crossover_month']:%Y-%m} and in "
        f"{segment_short(last['segment'])} {months} months later"
    )


def _segments_phrase(rows: pl.DataFrame) -> str:
    names = [segment_short(s) for s in rows["segment"].to_list()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _with_gaps(shares: pl.DataFrame) -> pl.DataFrame:
    """Every month between a segment's first and last as a row, null where it has no data,
    so lines and bands break there instead of drawing a straight line across."""
    if shares.is_empty():
        return shares
    grid = (
        shares.group_by("segment", "technology", "label")
        .agg(pl.col("month").min().alias("first"), pl.col("month").max().alias("last"))
        .with_columns(pl.date_ranges("first", "last", interval="1mo").alias("month"))
        .explode("month")
        .drop("first", "last")
    )
    return grid.join(shares, on=["segment", "technology", "label", "month"], how="left").sort(
        "segment", "technology", "month"
    )


def _month_start(day):
    return day.replace(day=1)


def _month_end(day):
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


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
    typical = frame.group_by("segment").agg(pl.col("value").median())["value"]
    span = math.log10(typical.max() / typical.min()) if typical.min() > 0 else 0
    chart = (
        alt.vconcat(*panels)
        .resolve_scale(x="shared")
        .properties(
            title=alt.TitleParams(
                f"Typical monthly volumes differ {10 ** round(span):,}-fold between segments: "
                "compare shares, not counts"
                if len(typical) > 1
                else "Volume per month",
                subtitle=wrapped(
                    "Each technology's monthly volume per segment, log scale; hollow points are "
                    "censored months (below a snapshot's cut-off), drawn at their upper bound."
                ),
                anchor="start",
            )
        )
    )
    return with_source(chart, order_segments(frame["segment"].unique().to_list()))


def coverage(con: duckdb.DuckDBPyConnection) -> alt.VConcatChart | None:
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
    per_segment = _months_per_segment(frame)
    chart = (
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
        .properties(
            width=WIDTH,
            title=alt.TitleParams(
                "Months with data: "
                + ", ".join(
                    f"{segment_short(segment)} {months}" for segment, months in per_segment
                ),
                subtitle="Each segment's sources, month by month; darker: more technologies.",
                anchor="start",
            ),
        )
    )
    return with_source(chart, [segment for segment, _ in per_segment])


def _months_per_segment(frame: pl.DataFrame) -> list[tuple[str, int]]:
    by_segment = (
        frame.with_columns(pl.col("feed").str.split(" (").list.first().alias("segment"))
        .group_by("segment")
        .agg(pl.col("month").n_unique().alias("months"))
    )
    order = order_segments(by_segment["segment"].to_list())
    months = dict(by_segment.iter_rows())
    return [(segment, months[segment]) for segment in order]


def lags(con: duckdb.DuckDBPyConnection, rule: str = "main") -> alt.VConcatChart | None:
    """Each pair's crossover lag (dot, 95% interval as a line) beside its best-aligning lag
    (hollow diamond, its 95% interval as a thin line), titled with how many pairs saw the
    leading segment's favourite followed."""
    if not has_table(con, "marts", "hypothesis_results"):
        return None
    frame = _frame(
        con,
        """
        select rivalry || ': ' || leading_segment || ' -> ' || lagging_segment as pair,
            leading_segment, lagging_segment,
            lag_months, lag_low, coalesce(lag_high, lag_months) as lag_high,
            lag_high is null as unbounded,
            best_alignment_lag, best_alignment_low, best_alignment_high, verdict
        from marts.hypothesis_results
        where rule = ? and lag_months is not null
        order by rivalry, leading_segment, lagging_segment
        """,
        [rule],
    )
    if frame.is_empty():
        return None
    base = alt.Chart(frame).encode(
        y=alt.Y("pair:N", title=None, sort=None, axis=alt.Axis(labelLimit=400))
    )
    verdict = alt.Color(
        "verdict:N",
        title="verdict",
        scale=alt.Scale(
            domain=["supported", "contradicted", "inconclusive"],
            range=["#1b7837", "#b2182b", "#878787"],
        ),
        legend=alt.Legend(orient="top"),
    )
    interval = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(
            "lag_low:Q", title="months from the leading segment's crossover to the lagging one's"
        ),
        x2="lag_high:Q",
        color=verdict,
    )
    point = base.mark_point(filled=True, size=80).encode(
        x="lag_months:Q",
        color=verdict,
        tooltip=["pair:N", "lag_months:Q", "lag_low:Q", "lag_high:Q", "verdict:N"],
    )
    aligned = base.transform_filter("isValid(datum.best_alignment_lag)")
    alignment_interval = aligned.mark_rule(color="#555555", strokeWidth=1, yOffset=6).encode(
        x="best_alignment_low:Q", x2="best_alignment_high:Q"
    )
    alignment = aligned.mark_point(
        shape="diamond", filled=False, size=60, color="#555555", yOffset=6
    ).encode(
        x="best_alignment_lag:Q",
        tooltip=[
            "pair:N",
            alt.Tooltip("best_alignment_lag:Q", title="best-aligning lag"),
            alt.Tooltip("best_alignment_low:Q", title="low"),
            alt.Tooltip("best_alignment_high:Q", title="high"),
        ],
    )
    zero = alt.Chart().mark_rule(color="black", strokeDash=[2, 2]).encode(x=alt.datum(0))
    followed = frame.filter(pl.col("lag_months") > 0).height
    chart = (zero + interval + point + alignment_interval + alignment).properties(
        width=WIDTH,
        title=alt.TitleParams(
            f"The lagging segment crossed after the leading one in {followed} of "
            f"{frame.height} pairs with both crossovers",
            subtitle=wrapped(
                "Dot and thick line: the crossover lag and its 95% interval, coloured by "
                "verdict; hollow diamond and thin line: the best-aligning lag of the share "
                "changes and its 95% interval. Right of the dotted line: the lagging "
                "segment followed."
            ),
            anchor="start",
        ),
    )
    segments = set(frame["leading_segment"]) | set(frame["lagging_segment"])
    return with_source(chart, order_segments(list(segments)))


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
    schema = {
        "segment": pl.String,
        "leader": pl.String,
        "leader_label": pl.String,
        "crossover_month": pl.Date,
        "crossover_low": pl.Date,
        "crossover_high": pl.Date,
    }
    if not has_table(con, "marts", "crossovers"):
        return pl.DataFrame(schema=schema)
    return _frame(
        con,
        """
        select c.segment, c.leader, coalesce(t.label, c.leader) as leader_label,
            c.crossover_month, coalesce(c.crossover_low, c.crossover_month) as crossover_low,
            c.crossover_high
        from marts.crossovers as c
        left join meta.study_technologies as t on t.technology = c.leader
        where c.rivalry = ? and c.rule = 'main' and c.crossover_month is not null
        """,
        [rivalry],
    ).cast(schema)


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(query, params=params).pl()
