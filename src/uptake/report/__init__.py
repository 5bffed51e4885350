"""`uptake report`: one self-contained HTML page of the answer, its evidence and caveats.

The page holds the verdicts, the charts, the crossovers, data freshness and caveats,
read from the warehouse read-only. It renders with no network at all: the Vega,
Vega-Lite and Vega-Embed scripts are inlined, each chart's data is inlined in its spec.
Each chart is also written as SVG and PNG beside the page, for papers and slides.
What the warehouse lacks (no marts, no analysis, a rivalry without data) is said in
words where the numbers would be.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import vl_convert
from altair.utils._importers import vl_version_for_vl_convert

from uptake import charts, meta_charts
from uptake.analysis import HYPOTHESIS_SEGMENTS
from uptake.report import page
from uptake.report.vega_bundle import vega_embed_bundle
from uptake.secrets import redact
from uptake.status import source_status

PNG_SCALE = 2


@dataclass
class Report:
    path: Path
    charts: dict[str, dict[str, Path]] = field(default_factory=dict)  # slug -> format -> file
    notes: list[str] = field(default_factory=list)  # what the warehouse lacks, in words


def write_report(con: duckdb.DuckDBPyConnection, output_dir: Path, *, title: str) -> Report:
    """Write `output_dir`/index.html and `output_dir`/charts/*.{svg,png}."""
    output_dir = Path(output_dir)
    chart_dir = output_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    report = Report(path=output_dir / "index.html")

    has_marts = charts.has_table(con, "marts", "rivalry_shares")
    has_analysis = charts.has_table(con, "marts", "hypothesis_results")
    if not has_marts:
        report.notes.append(
            "The warehouse has no models yet: load a source and run `uptake build` "
            "(or `uptake demo` for the bundled figures)."
        )
    elif not has_analysis:
        report.notes.append(
            "The analysis has not run on this warehouse: run `uptake analyze` for "
            "crossovers, lags and verdicts."
        )

    figures = []
    for slug, caption, chart in _charts(con, report.notes):
        spec = chart.to_dict()
        report.charts[slug] = _save_chart(spec, chart_dir / slug)
        figures.append(page.Figure(slug=slug, caption=caption, spec=spec))

    hypotheses = _rows(con, HYPOTHESES_SQL) if has_analysis else []
    html = page.render(
        title=title,
        generated_at=dt.datetime.now(dt.UTC),
        across=_across(con),
        answers=_answers(hypotheses, *_headline_outcomes(con)),
        hypotheses=[h for h in hypotheses if h["rule"] == "main"],
        robustness=[h for h in hypotheses if h["rule"] != "main"],
        crossovers=_rows(con, CROSSOVERS_SQL) if has_analysis else [],
        freshness=source_status(con),
        corpus_coverage=_rows(con, CORPUS_COVERAGE_SQL) if _has_outcomes(con) else [],
        caveats=_caveats(con),
        notes=report.notes,
        figures=figures,
        vega_script=vega_embed_bundle(),
        words=page.Words(
            {**charts.SEGMENT_SHORT, **charts.technology_labels(con), "main": "main rule"}
        ),
    )
    _write_atomically(report.path, redact(html))
    return report


HYPOTHESES_SQL = """
    select h.*, coalesce(t.label, h.technology) as favourite
    from marts.hypothesis_results as h
    left join meta.study_technologies as t using (technology)
    order by h.rule <> 'main', h.rule, h.rivalry, h.leading_segment, h.lagging_segment
"""
CORPUS_COVERAGE_SQL = """
    select
        array_to_string(cohorts, ' + ') as cohort,
        count(*) as tried,
        count(*) filter (where mining_outcome = 'mined') as mined,
        count(*) filter (where mining_outcome = 'no_python') as no_python,
        count(*) filter (where mining_outcome in ('gone', 'private')) as gone_or_private,
        count(*) filter (where mining_outcome = 'not_fetched') as not_fetched,
        count(*) filter (where mining_outcome in ('empty', 'unreadable', 'failed')) as other_failures
    from marts.repos
    where mining_outcome is not null
    group by cohorts
    order by cohort
"""
CROSSOVERS_SQL = """
    select c.*, coalesce(t.label, c.leader) as leader_label
    from marts.crossovers as c
    left join meta.study_technologies as t on t.technology = c.leader
    where c.rule = 'main'
    order by c.rivalry, c.segment
"""


def _has_outcomes(con) -> bool:
    return charts.has_table(con, "marts", "repos") and bool(
        con.execute("select count(*) from marts.repos where mining_outcome is not null").fetchone()[
            0
        ]
    )


def _answers(
    hypotheses: list[dict],
    headline: tuple[str, str] | None = None,
    outcomes: dict[str, str] | None = None,
) -> list[dict]:
    """Per rivalry, research against industry: the pair the answer across rivalries counts
    (`headline`) where the rivalry has research data in it, else conference mentions where
    the rivalry has them, else papers' code (mined). A headline pair's row carries
    `counted_as`, the rivalry's outcome in that count (`outcomes`), which compares point
    crossovers where the verdict asks their interval to exclude zero: the page says so
    where the two differ."""
    research, industry = HYPOTHESIS_SEGMENTS
    main = [h for h in hypotheses if h["rule"] == "main" and h["lagging_segment"] == industry]
    answers = []
    for rivalry in dict.fromkeys(h["rivalry"] for h in main):
        pairs = {h["leading_segment"]: h for h in main if h["rivalry"] == rivalry}
        counted = pairs.get(headline[0]) if headline and headline[1] == industry else None
        if counted is not None and counted["lead_crossover"] is not None:
            answers.append({**counted, "counted_as": (outcomes or {}).get(rivalry)})
            continue
        mentions, code = pairs.get(research), pairs.get("research_code")
        has_mentions = mentions is not None and mentions["lead_crossover"] is not None
        answer = mentions if has_mentions or code is None else code
        if answer is not None:
            answers.append(answer)
    return answers


def _headline_outcomes(con) -> tuple[tuple[str, str] | None, dict[str, str]]:
    """The pair the answer across rivalries counts, and each rivalry's outcome there."""
    pair = meta_charts.headline_pair(con)
    if pair is None:
        return None, {}
    rows = con.execute(
        "select rivalry, outcome from marts.meta_rivalries"
        " where leading_segment = ? and lagging_segment = ? and rule = 'main'",
        list(pair),
    ).fetchall()
    return pair, dict(rows)


def _across(con) -> page.Across | None:
    """The answer across rivalries: the headline pair's meta-analysis, its open cases,
    and the same pair under every other counting rule."""
    pair = meta_charts.headline_pair(con)
    if pair is None:
        return None
    return page.Across(
        summary=meta_charts.summary(con, pair),
        open_cases=_rows(
            con,
            """
            select m.rivalry, coalesce(t.label, m.favourite) as research_favourite,
                m.lag_months as months_waiting, m.why
            from marts.meta_rivalries as m
            left join meta.study_technologies as t on t.technology = m.favourite
            where m.leading_segment = ? and m.lagging_segment = ? and m.rule = 'main'
                and m.outcome = 'open'
            order by m.lag_months desc
            """,
            list(pair),
        ),
        by_rule=_rows(
            con,
            """
            select rule, supported, contradicted, open, sign_p, conclusion,
                survives_leave_one_out
            from marts.meta_analysis
            where leading_segment = ? and lagging_segment = ?
            order by rule <> 'main', rule
            """,
            list(pair),
        ),
    )


def _charts(con, notes: list[str]):
    pair = meta_charts.headline_pair(con)
    if pair is not None:
        for slug, draw in (
            ("across-forest", meta_charts.forest),
            ("across-km", meta_charts.survival),
        ):
            chart = draw(con, pair)
            if chart is not None:
                caption = f"Across rivalries, {pair[0]} to {pair[1]}: " + (
                    "each rivalry's lag" if slug == "across-forest" else "time to follow"
                )
                yield slug, caption, chart
    lag_chart = charts.lags(con)
    if lag_chart is not None:
        yield "lags", "Crossover lags between segments, with 95% intervals", lag_chart
    for rivalry in _study_rivalries(con):
        chart = charts.share_curves(con, rivalry)
        if chart is None:
            notes.append(f"{rivalry} has no shares in any segment: no source holds data for it.")
            continue
        yield f"shares-{_slug(rivalry)}", f"{rivalry}: shares by segment", chart
    for slug, caption, chart in (
        ("volumes", "Monthly volumes by segment (log scale; hollow = censored)", charts.volumes),
        ("coverage", "Months with data per segment and source", charts.coverage),
    ):
        drawn = chart(con)
        if drawn is not None:
            yield slug, caption, drawn


def _study_rivalries(con) -> list[str]:
    if charts.has_table(con, "meta", "study_rivalries"):
        study = [
            r[0]
            for r in con.execute(
                "select distinct rivalry from meta.study_rivalries order by rivalry"
            ).fetchall()
        ]
        if study:
            return study
    return charts.rivalries_with_shares(con)


def _caveats(con) -> list[str]:
    segments = set()
    if charts.has_table(con, "marts", "adoption_monthly"):
        segments = {
            r[0]
            for r in con.execute("select distinct segment from marts.adoption_monthly").fetchall()
        }
    caveats = []
    if "industry_downloads" in segments:
        caveats += [
            "PyPI under-counts PyTorch before about 2019: its wheels were long served mostly "
            "from download.pytorch.org and conda, so early industry shares understate it.",
            "A project missing from a top-PyPI snapshot was below that snapshot's cut-off: it "
            "is censored (bounded by zero and the cut-off), never counted as zero.",
            "PyPI download counts shift with collection changes (2021-04 abnormally low, a "
            "~3x jump from 2021-05, the move to ClickHouse in 2025-07); shares, not counts, "
            "are compared.",
        ]
    if "research_mentions" in segments:
        caveats.append(
            "Conference mentions exist only in the months conferences are held; crossovers "
            "use those months only, and lead/lag tests carry values forward between them."
        )
    if "model_hub" in segments:
        caveats.append(
            "A Hub model tagged with two frameworks counts for both in the model_hub shares."
        )
    caveats.append(
        "Intervals are 95%: Wilson intervals for counts, censoring bounds for volumes, "
        "bootstrap resamples of the counts for crossover months and lags."
    )
    return caveats


def _rows(con, query: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(query, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _save_chart(spec: dict, stem: Path) -> dict[str, Path]:
    vl_version = vl_version_for_vl_convert()
    svg = stem.with_suffix(".svg")
    png = stem.with_suffix(".png")
    _write_atomically(svg, vl_convert.vegalite_to_svg(spec, vl_version=vl_version))
    _write_atomically(png, vl_convert.vegalite_to_png(spec, vl_version=vl_version, scale=PNG_SCALE))
    return {"svg": svg, "png": png}


def _write_atomically(path: Path, content: str | bytes) -> None:
    mode = "wb" if isinstance(content, bytes) else "w"
    encoding = None if isinstance(content, bytes) else "utf-8"
    with tempfile.NamedTemporaryFile(
        mode, encoding=encoding, dir=path.parent, delete=False, suffix=".part"
    ) as part:
        part.write(content)
    os.chmod(part.name, 0o666 & ~_umask())  # temporary files are private; reports are not
    os.replace(part.name, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"
