"""Robustness under another study: Keras counted apart from TensorFlow."""

import shutil
from pathlib import Path

from click.testing import CliRunner

from uptake.analysis.study_variants import counted_apart, nested_technologies
from uptake.cli import cli
from uptake.study import load_study
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent


def test_the_default_study_counts_keras_inside_tensorflow_and_only_there():
    study = load_study(ROOT / "study.toml")

    assert nested_technologies(study) == {"keras": "tensorflow"}


def test_counting_keras_apart_takes_its_vocabulary_out_of_tensorflow_only():
    study = load_study(ROOT / "study.toml")

    variant = counted_apart(study, "keras")

    tensorflow = variant.technologies["tensorflow"]
    assert tensorflow.import_roots == ("tensorflow",)
    assert tensorflow.paper_words == ("tensorflow",)
    assert tensorflow.pwc_frameworks == ("tf", "tensorflow")
    assert tensorflow.pypi_projects == ("tensorflow",)
    assert variant.technologies["keras"] == study.technologies["keras"]
    others = set(study.technologies) - {"tensorflow"}
    assert all(variant.technologies[t] == study.technologies[t] for t in others)


def test_analyze_writes_the_keras_apart_rows_beside_the_main_ones(demo_warehouse, tmp_path):
    db = tmp_path / "variants.duckdb"
    shutil.copy(demo_warehouse, db)
    with Warehouse.open(db, read_only=True) as warehouse:
        main_before = warehouse.con.execute(
            "select * from marts.hypothesis_results where rule = 'main' order by all"
        ).fetchall()

    result = CliRunner().invoke(
        cli, ["--db", str(db), "analyze", "--resamples", "200", "--placebo-runs", "40"]
    )

    assert result.exit_code == 0, result.output
    assert "Also under a study variant: keras_apart" in result.stdout
    with Warehouse.open(db, read_only=True) as warehouse:
        con = warehouse.con
        assert (
            con.execute(
                "select * from marts.hypothesis_results where rule = 'main' order by all"
            ).fetchall()
            == main_before
        )
        keras_apart = con.execute(
            "select lead_crossover, lag_crossover, lag_months, verdict "
            "from marts.hypothesis_results where rule = 'keras_apart' "
            "and rivalry = 'pytorch-vs-tensorflow' "
            "and leading_segment = 'research_mentions' and lagging_segment = 'industry_downloads'"
        ).fetchall()
        # The demo's research figures count the words pytorch and tensorflow only, and
        # downloads never counted keras: counting Keras apart changes nothing here.
        assert [(f"{a:%Y-%m}", f"{b:%Y-%m}", lag, v) for a, b, lag, v in keras_apart] == [
            ("2019-06", "2024-03", 57, "supported")
        ]
        assert con.execute(
            "select count(*) from marts.analysis_settings where rule = 'keras_apart'"
        ).fetchall() == [(1,)]
    assert not list(tmp_path.glob("uptake-variant-*"))
