"""Build the SQL models (staging views, mart tables) and run their data tests."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from uptake import api
from uptake.flows_support import journaled_run


# Not cached: the inputs that matter are the warehouse's contents, not the arguments.
@task(cache_policy=NO_CACHE)
def build(db: str | None, study: str | None) -> dict:
    result = api.build(db, study=study)
    return {"built": result.built, "tests_passed": result.tests_passed}


@flow(name="build-models")
@journaled_run("build-models")
def build_models(db: str | None = None, study: str | None = None) -> dict:
    """Sync the study into meta, build every model, run every data test."""
    result = build(db, study)
    get_run_logger().info(
        "built %d models, %d data tests passed", len(result["built"]), len(result["tests_passed"])
    )
    create_markdown_artifact(
        key="build-models",
        markdown="\n".join(
            [
                "# Models built",
                *[f"- `{name}`" for name in result["built"]],
                f"\n{len(result['tests_passed'])} data tests passed.",
            ]
        ),
        description="SQL models built by uptake",
    )
    return result


if __name__ == "__main__":
    build_models()
