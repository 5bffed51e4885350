"""The analysis marts, and writing them all in one transaction.

Every table carries a `rule` column: a run replaces its own rule's rows and keeps the
other rules' (study variants analysed with another rule sit beside 'main'). All tables
are written with CREATE OR REPLACE inside one transaction, so a run that fails leaves
the previous results whole.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from uptake.analysis import meta
from uptake.analysis.crossovers import Crossover
from uptake.analysis.granger import MIN_GRANGER_MONTHS
from uptake.analysis.leadlag import BLOCK_MONTHS
from uptake.analysis.series import month_date
from uptake.analysis.table_docs import TABLE_DOCS
from uptake.analysis.verdicts import PairEvidence, judge, lag_crossover_month
from uptake.warehouse.catalog import write_comments

CROSSOVERS = pa.schema(
    [
        ("rivalry", pa.string()),
        ("segment", pa.string()),
        ("leader", pa.string()),
        ("status", pa.string()),
        ("crossover_month", pa.date32()),
        ("crossover_low", pa.date32()),
        ("crossover_high", pa.date32()),
        ("firm_crossover_month", pa.date32()),
        ("n_months", pa.int64()),
        ("first_month", pa.date32()),
        ("latest_month", pa.date32()),
        ("latest_share", pa.float64()),
        ("reason", pa.string()),
        ("rule", pa.string()),
    ]
)

HYPOTHESIS_RESULTS = pa.schema(
    [
        ("rivalry", pa.string()),
        ("leading_segment", pa.string()),
        ("lagging_segment", pa.string()),
        ("technology", pa.string()),
        ("lead_crossover", pa.date32()),
        ("lag_crossover", pa.date32()),
        ("lag_months", pa.int64()),
        ("lag_low", pa.float64()),
        ("lag_high", pa.float64()),
        ("best_alignment_lag", pa.int64()),
        ("best_alignment_low", pa.float64()),
        ("best_alignment_high", pa.float64()),
        ("granger_f", pa.float64()),
        ("granger_p", pa.float64()),
        ("granger_lags", pa.int64()),
        ("granger_shift", pa.int64()),
        ("n_months", pa.int64()),
        ("oos_rmse_own", pa.float64()),
        ("oos_rmse_with_lead", pa.float64()),
        ("oos_improvement", pa.float64()),
        ("placebo_rate", pa.float64()),
        ("verdict", pa.string()),
        ("reason", pa.string()),
        ("rule", pa.string()),
    ]
)

PLACEBO_RESULTS = pa.schema(
    [
        ("rivalry", pa.string()),
        ("leading_segment", pa.string()),
        ("lagging_segment", pa.string()),
        ("kind", pa.string()),
        ("runs", pa.int64()),
        ("detections", pa.int64()),
        ("rate", pa.float64()),
        ("alpha", pa.float64()),
        ("rule", pa.string()),
    ]
)

ANALYSIS_SETTINGS = pa.schema(
    [
        ("rule", pa.string()),
        ("seed", pa.int64()),
        ("resamples", pa.int64()),
        ("placebo_runs", pa.int64()),
        ("alpha", pa.float64()),
        ("blip_months", pa.int64()),
        ("max_lag_months", pa.int64()),
        ("min_granger_months", pa.int64()),
        ("block_months", pa.int64()),
    ]
)

META_ANALYSIS = pa.schema(
    [
        ("leading_segment", pa.string()),
        ("lagging_segment", pa.string()),
        ("rule", pa.string()),
        ("rivalries", pa.int64()),
        ("supported", pa.int64()),
        ("contradicted", pa.int64()),
        ("open", pa.int64()),
        ("order_unknown", pa.int64()),
        ("no_data", pa.int64()),
        ("share_supported", pa.float64()),
        ("share_low", pa.float64()),
        ("share_high", pa.float64()),
        ("sign_p", pa.float64()),
        ("clusters_decided", pa.int64()),
        ("clusters_supported", pa.int64()),
        ("cluster_sign_p", pa.float64()),
        ("median_lag_months", pa.float64()),
        ("median_lag_low", pa.float64()),
        ("median_lag_high", pa.float64()),
        ("leave_one_out_p_min", pa.float64()),
        ("leave_one_out_p_max", pa.float64()),
        ("survives_leave_one_out", pa.bool_()),
        ("conclusion", pa.string()),
        ("headline", pa.string()),
        ("is_headline", pa.bool_()),
    ]
)

META_RIVALRIES = pa.schema(
    [
        ("leading_segment", pa.string()),
        ("lagging_segment", pa.string()),
        ("rule", pa.string()),
        ("rivalry", pa.string()),
        ("cluster", pa.string()),
        ("favourite", pa.string()),
        ("outcome", pa.string()),
        ("lag_months", pa.int64()),
        ("censored", pa.bool_()),
        ("lead_crossover", pa.date32()),
        ("lag_crossover", pa.date32()),
        ("why", pa.string()),
    ]
)

META_SURVIVAL = pa.schema(
    [
        ("leading_segment", pa.string()),
        ("lagging_segment", pa.string()),
        ("lag_months", pa.float64()),
        ("at_risk", pa.int64()),
        ("events", pa.int64()),
        ("survival", pa.float64()),
        ("survival_low", pa.float64()),
        ("survival_high", pa.float64()),
        ("rule", pa.string()),
    ]
)

TABLES = {
    "marts.crossovers": (CROSSOVERS, "rivalry, segment"),
    "marts.hypothesis_results": (HYPOTHESIS_RESULTS, "rivalry, leading_segment, lagging_segment"),
    "marts.placebo_results": (PLACEBO_RESULTS, "rivalry, leading_segment, lagging_segment, kind"),
    "marts.analysis_settings": (ANALYSIS_SETTINGS, "rule"),
    "marts.meta_analysis": (META_ANALYSIS, "leading_segment, lagging_segment"),
    "marts.meta_rivalries": (META_RIVALRIES, "leading_segment, lagging_segment, rivalry"),
    "marts.meta_survival": (META_SURVIVAL, "leading_segment, lagging_segment, lag_months"),
}


def analysis_rows(result, rules: list[str]) -> dict[str, list[dict]]:
    """Every analysis mart's rows from one AnalysisResult, for write_tables."""
    return {
        "marts.crossovers": result.crossovers,
        "marts.hypothesis_results": result.hypotheses,
        "marts.placebo_results": result.placebos,
        "marts.analysis_settings": [settings_row(result.settings, r) for r in rules],
        "marts.meta_analysis": [
            meta.summary_row(m, m is meta.headline_result(result.meta, m.rule)) for m in result.meta
        ],
        "marts.meta_rivalries": [row for m in result.meta for row in meta.rivalry_rows(m)],
        "marts.meta_survival": [row for m in result.meta for row in meta.survival_rows(m)],
    }


def write_tables(
    con: duckdb.DuckDBPyConnection, rows: dict[str, list[dict]], rules: list[str]
) -> None:
    """Replace the rows of `rules` in every analysis mart, all or nothing."""
    arrow = {
        name: pa.Table.from_pylist(rows[name], schema=schema)
        for name, (schema, _) in TABLES.items()
    }
    keep = {name: _keeps_other_rules(con, name, schema) for name, (schema, _) in TABLES.items()}
    con.execute("begin transaction")
    try:
        for name, (_, order) in TABLES.items():
            view = f"new_{name.split('.')[1]}"
            con.register(view, arrow[name])
            # table names are the constants above, never input
            others = f"union all by name select * from {name} where not list_contains(?, rule)"  # noqa: S608
            con.execute(
                f"create or replace table {name} as "  # noqa: S608 (names are constants above)
                f"select * from (select * from {view} {others if keep[name] else ''}) "
                f"order by rule, {order}",
                [list(rules)] if keep[name] else [],
            )
            con.unregister(view)
            write_comments(con, name, "table", TABLE_DOCS[name])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _keeps_other_rules(con, name: str, schema: pa.Schema) -> bool:
    """Other rules' rows are kept when the table exists with today's columns."""
    table_schema, _, table = name.partition(".")
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [table_schema, table],
        ).fetchall()
    ]
    return columns == schema.names


def crossover_row(c: Crossover, rule: str) -> dict:
    return {
        "rivalry": c.rivalry,
        "segment": c.segment,
        "leader": c.leader,
        "status": c.status,
        "crossover_month": month_date(c.month),
        "crossover_low": month_date(c.low),
        "crossover_high": month_date(c.high),
        "firm_crossover_month": month_date(c.firm_month),
        "n_months": c.n_months,
        "first_month": month_date(c.first_month),
        "latest_month": month_date(c.latest_month),
        "latest_share": c.latest_share,
        "reason": c.reason,
        "rule": rule,
    }


def hypothesis_row(e: PairEvidence, rule: str) -> dict:
    verdict, reason = judge(e)
    c, a, g, f = e.crossover_lag, e.alignment, e.granger, e.forecasts
    return {
        "rivalry": e.rivalry,
        "leading_segment": e.leading,
        "lagging_segment": e.lagging,
        "technology": e.favourite,
        "lead_crossover": month_date(e.lead.month) if e.favourite else None,
        "lag_crossover": month_date(lag_crossover_month(e)),
        "lag_months": c.months if c else None,
        "lag_low": c.low if c else None,
        "lag_high": c.high if c else None,
        "best_alignment_lag": a.lag if a else None,
        "best_alignment_low": a.low if a else None,
        "best_alignment_high": a.high if a else None,
        "granger_f": g.f if g else None,
        "granger_p": g.p if g else None,
        "granger_lags": g.lags if g else None,
        "granger_shift": g.shift if g else None,
        "n_months": g.n_months if g else None,
        "oos_rmse_own": f.rmse_own if f else None,
        "oos_rmse_with_lead": f.rmse_with_lead if f else None,
        "oos_improvement": f.improvement if f else None,
        "placebo_rate": e.placebo_rate,
        "verdict": verdict,
        "reason": reason,
        "rule": rule,
    }


def placebo_rows(e: PairEvidence, rates, settings, rule: str) -> list[dict]:
    return [
        {
            "rivalry": e.rivalry,
            "leading_segment": e.leading,
            "lagging_segment": e.lagging,
            "kind": r.kind,
            "runs": r.runs,
            "detections": r.detections,
            "rate": r.rate,
            "alpha": settings.alpha,
            "rule": rule,
        }
        for r in rates
    ]


def settings_row(settings, rule: str) -> dict:
    return {
        "rule": rule,
        "seed": settings.seed,
        "resamples": settings.resamples,
        "placebo_runs": settings.placebo_runs,
        "alpha": settings.alpha,
        "blip_months": settings.blip_months,
        "max_lag_months": settings.max_lag,
        "min_granger_months": MIN_GRANGER_MONTHS,
        "block_months": BLOCK_MONTHS,
    }
