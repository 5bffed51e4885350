"""Analyse the warehouse: crossovers, lead/lag between segments, verdicts, into marts.*."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from uptake import api
from uptake.analysis import DEFAULT_RESAMPLES, DEFAULT_SEED
from uptake.flows_support import journaled_run


# Not cached: the result depends on the warehouse's contents, not only on the arguments.
@task(cache_policy=NO_CACHE)
def analyse(db: str | None, study: str | None, resamples: int, seed: int) -> dict:
    analysis = api.analyze(db, study=study, resamples=resamples, seed=seed)
    result = analysis.result
    return {
        "message": result.message,
        "variant_rules": analysis.variant_rules,
        "crossovers": len(result.crossovers),
        "verdicts": [
            {
                k: row[k]
                for k in (
                    "rivalry",
                    "leading_segment",
                    "lagging_segment",
                    "rule",
                    "verdict",
                    "reason",
                )
            }
            for row in result.hypotheses
        ],
    }


@flow(name="analyze")
@journaled_run("analyze")
def analyze(
    db: str | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    study: str | None = None,
) -> dict:
    """Write marts.crossovers, marts.hypothesis_results and marts.placebo_results."""
    result = analyse(db, study, resamples, seed)
    counts = {}
    for row in result["verdicts"]:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    get_run_logger().info("verdicts: %s", counts or result["message"])
    create_markdown_artifact(
        key="analyze",
        markdown="\n".join(
            [
                "# Verdicts",
                "",
                "| rivalry | leading | lagging | rule | verdict | reason |",
                "|---|---|---|---|---|---|",
                *[
                    f"| {r['rivalry']} | {r['leading_segment']} | {r['lagging_segment']} "
                    f"| {r['rule']} | {r['verdict']} | {r['reason']} |"
                    for r in result["verdicts"]
                ],
                "",
                result["message"] or f"{result['crossovers']} crossovers written.",
            ]
        ),
        description="uptake's lead/lag analysis",
    )
    return result


if __name__ == "__main__":
    analyze()
