from datetime import date
from pathlib import Path

import pytest

from tests.test_top_pypi import load_paths, snapshot
from uptake.errors import ModelError
from uptake.models import LAYER_READS, build_models, discover_models
from uptake.study import load_study

ROOT = Path(__file__).resolve().parent.parent


def build(warehouse, study_path=ROOT / "study.toml"):
    warehouse.sync_study(load_study(study_path))
    return build_models(warehouse.con)


def test_models_build_in_dependency_order():
    names = [m.name for m in discover_models() if m.kind != "test"]

    assert names.index("staging.stg_conference__papers") < names.index(
        "intermediate.int_conference_papers"
    )
    assert names.index("intermediate.int_downloads_monthly") < names.index(
        "marts.downloads_monthly"
    )
    assert names.index("marts.downloads_monthly") < names.index("marts.adoption_monthly")
    assert names.index("marts.adoption_monthly") < names.index("marts.rivalry_shares")
    assert names.index("marts.rivalry_shares") < names.index("marts.rivalry_leaders")


def test_every_mart_documents_its_grain_and_every_column(warehouse):
    build(warehouse)

    for model in discover_models():
        if model.kind != "table":
            continue
        columns = [r[0] for r in warehouse.con.execute(f"describe {model.name}").fetchall()]
        assert model.grain, model.name
        assert list(model.columns) == columns, model.name


def test_downloads_monthly_places_snapshots_and_censors_absent_projects(warehouse, tmp_path):
    # Two weekly snapshots measuring January, one measuring March; jax below the cut-off in one.
    (tmp_path / "a.json").write_bytes(
        snapshot("2018-02-10 09:00:00", [("torch", 100), ("tensorflow", 300), ("x", 10)])
    )
    (tmp_path / "b.json").write_bytes(
        snapshot(
            "2018-02-12 09:00:00", [("torch", 200), ("tensorflow", 500), ("jax", 40), ("y", 20)]
        )
    )
    (tmp_path / "c.json").write_bytes(
        snapshot("2024-04-01 08:13:25", [("Torch", 90), ("tensorflow", 10), ("jax", 5)])
    )
    load_paths(warehouse, [tmp_path])

    build(warehouse)

    rows = warehouse.con.execute(
        """
        select project, month, downloads, downloads_low, downloads_high, is_censored, censor_limit, n_observations
        from marts.downloads_monthly where project in ('torch', 'jax') order by project, month
        """
    ).fetchall()
    assert rows == [
        ("jax", date(2018, 1, 1), None, 20.0, 25.0, True, 10, 2),
        ("jax", date(2024, 3, 1), 5.0, 5.0, 5.0, False, None, 1),
        ("torch", date(2018, 1, 1), 150.0, 150.0, 150.0, False, None, 2),
        ("torch", date(2024, 3, 1), 90.0, 90.0, 90.0, False, None, 1),
    ]


def test_rivalry_shares_carry_censoring_bounds(warehouse, tmp_path):
    (tmp_path / "a.json").write_bytes(
        snapshot("2024-04-01 08:13:25", [("tensorflow", 300), ("x", 100)])
    )
    load_paths(warehouse, [tmp_path])

    build(warehouse)

    share = warehouse.con.execute(
        """
        select round(share, 6), round(share_low, 6), round(share_high, 6) from marts.rivalry_shares
        where rivalry = 'jax-vs-tensorflow' and technology = 'jax'
        """
    ).fetchone()
    # jax is below the cut-off of 100: its value is 50 (the middle), between 0 and 100.
    assert share == (round(50 / 350, 6), 0.0, 0.25)


def test_real_data_pytorch_leads_pypi_downloads_from_march_2024_and_not_before(
    warehouse, shared_data
):
    load_paths(warehouse, [shared_data / "top-pypi-packages"])

    build(warehouse)

    shares = warehouse.con.execute(
        """
        select month, share from marts.rivalry_shares
        where rivalry = 'pytorch-vs-tensorflow' and segment = 'industry_downloads' and technology = 'pytorch'
        order by month
        """
    ).fetchall()
    above = [month for month, share in shares if share > 0.5]
    first_of_unbroken_run = next(
        month for month, _ in shares if all(share > 0.5 for m, share in shares if m >= month)
    )
    assert first_of_unbroken_run == date(2024, 3, 1)
    assert above[0] == date(2024, 3, 1)
    leader = warehouse.con.execute(
        "select leader, status, leading_since from marts.rivalry_leaders "
        "where rivalry = 'pytorch-vs-tensorflow' and segment = 'industry_downloads'"
    ).fetchone()
    assert leader == ("pytorch", "crossed over", date(2024, 3, 1))


def test_building_twice_gives_identical_marts(warehouse, shared_data):
    load_paths(warehouse, [shared_data / "top-pypi-packages"])
    build(warehouse)
    first = mart_fingerprints(warehouse)

    build(warehouse)

    assert mart_fingerprints(warehouse) == first


def mart_fingerprints(warehouse) -> dict[str, str]:
    tables = [
        r[0]
        for r in warehouse.con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    ]
    return {
        table: warehouse.con.execute(
            f"select md5(string_agg(t::varchar, '|' order by t::varchar)) from marts.{table} as t"
        ).fetchone()[0]
        for table in tables
    }


def write_models(root: Path, files: dict[str, str]) -> Path:
    for name, sql in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(sql)
    for folder in ("staging", "marts", "tests"):
        (root / folder).mkdir(exist_ok=True)
    return root


def test_a_failing_data_test_shows_the_rows_and_rolls_the_build_back(warehouse, tmp_path):
    root = write_models(
        tmp_path / "sql",
        {
            "marts/numbers.sql": "select * from (values (1), (2), (2)) as t (n)",
            "tests/numbers_are_unique.sql": "-- n is unique.\nselect n, count(*) as copies from marts.numbers group by n having count(*) > 1",
        },
    )

    with pytest.raises(ModelError) as error:
        build_models(warehouse.con, root)

    assert "data test tests.numbers_are_unique failed" in str(error.value)
    assert "n=2, copies=2" in str(error.value)
    assert not warehouse.table_exists("marts.numbers")


def test_reference_to_a_missing_model_is_named(tmp_path):
    root = write_models(tmp_path / "sql", {"marts/a.sql": "select * from staging.stg_nothing"})

    with pytest.raises(
        ModelError, match=r"references staging.stg_nothing, which no file in sql/staging/ defines"
    ):
        discover_models(root)


def test_models_referencing_each_other_in_a_cycle_are_refused(tmp_path):
    root = write_models(
        tmp_path / "sql",
        {"marts/a.sql": "select * from marts.b", "marts/b.sql": "select * from marts.a"},
    )

    with pytest.raises(ModelError, match="cycle"):
        discover_models(root)


def test_a_model_must_be_one_select(tmp_path):
    root = write_models(tmp_path / "sql", {"marts/a.sql": "delete from raw.x"})

    with pytest.raises(ModelError, match="exactly one SELECT"):
        discover_models(root)


def test_layers_read_downwards_only():
    for model in discover_models():
        if model.kind == "test":
            continue
        layer = model.name.split(".")[0]
        read = {reference.split(".")[0] for reference in model.references}
        assert read <= LAYER_READS[layer], model.name
    assert LAYER_READS["staging"] == {"raw"}
    assert "marts" not in LAYER_READS["intermediate"]


@pytest.mark.parametrize(
    ("path", "sql", "message"),
    [
        (
            "intermediate/int_a.sql",
            "select * from marts.b",
            r"int_a.sql: intermediate models cannot read marts.b \(intermediate reads "
            r"intermediate, meta, staging\)",
        ),
        (
            "staging/stg_a.sql",
            "select * from staging.stg_b",
            r"stg_a.sql: staging models cannot read staging.stg_b \(staging reads raw\)",
        ),
        ("staging/stg_a.sql", "select * from meta.study_rivalries", "cannot read meta"),
    ],
)
def test_a_model_reading_upwards_is_refused_before_anything_is_built(tmp_path, path, sql, message):
    root = write_models(
        tmp_path / "sql",
        {path: sql, "marts/b.sql": "select 1 as x", "staging/stg_b.sql": "select 1 as x"},
    )

    with pytest.raises(ModelError, match=message):
        discover_models(root)


NUMBERS_MODEL = """-- Numbers.
-- grain: one row per n
-- tests: unique(n); not_null(n);
--     accepted_values(kind: odd, even)
-- n: a number
-- kind: odd or even

select * from (values {rows}) as t (n, kind)
"""


def test_header_tests_become_data_tests_named_after_the_model():
    steps = discover_models()
    names = {step.name for step in steps if step.kind == "test"}

    assert {
        "tests.repos__unique",
        "tests.repos__not_null",
        "tests.repos__accepted_values_mining_outcome",
        "tests.repo_imports_monthly__unique",
        "tests.repo_imports_monthly__not_null",
        "tests.repo_imports_monthly_counts_hold",
        "tests.adoption_monthly__accepted_values_segment",
    } <= names


@pytest.mark.parametrize(
    ("rows", "failing", "shown"),
    [
        ("(1, 'odd'), (1, 'odd')", "tests.numbers__unique", "n=1, n_rows=2"),
        ("(1, 'odd'), (null, 'even')", "tests.numbers__not_null", "n=None"),
        ("(1, 'odd'), (2, 'prime')", "tests.numbers__accepted_values_kind", "kind='prime'"),
    ],
)
def test_a_failing_header_test_names_itself_and_shows_the_rows(
    warehouse, tmp_path, rows, failing, shown
):
    root = write_models(tmp_path / "sql", {"marts/numbers.sql": NUMBERS_MODEL.format(rows=rows)})

    with pytest.raises(ModelError) as error:
        build_models(warehouse.con, root)

    assert f"data test {failing} failed" in str(error.value)
    assert shown in str(error.value)
    assert not warehouse.table_exists("marts.numbers")


def test_valid_rows_pass_every_header_test(warehouse, tmp_path):
    root = write_models(
        tmp_path / "sql",
        {"marts/numbers.sql": NUMBERS_MODEL.format(rows="(1, 'odd'), (2, 'even'), (3, null)")},
    )

    result = build_models(warehouse.con, root)

    assert result.tests_passed == [
        "tests.numbers__unique",
        "tests.numbers__not_null",
        "tests.numbers__accepted_values_kind",
    ]


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        ("unique_ish(n)", r"unknown test 'unique_ish\(n\)'; declare unique\(...\), not_null"),
        ("unique(m)", "columns the header does not document: m"),
        ("accepted_values(kind:)", "lists no accepted values"),
    ],
)
def test_a_malformed_header_test_is_refused(tmp_path, tests, message):
    sql = NUMBERS_MODEL.format(rows="(1, 'odd')").replace(
        "-- tests: unique(n); not_null(n);\n--     accepted_values(kind: odd, even)",
        f"-- tests: {tests}",
    )
    root = write_models(tmp_path / "sql", {"marts/numbers.sql": sql})

    with pytest.raises(ModelError, match=message):
        discover_models(root)


def test_wilson_interval_is_one_macro_with_published_values(warehouse):
    warehouse.con.execute((ROOT / "sql" / "macros" / "wilson_interval.sql").read_text())

    rows = warehouse.con.execute(
        "select round(wilson_low(s, n), 3), round(wilson_high(s, n), 3) "
        "from (values (0.75, 4), (0.75, 400), (0.0, 10), (1.0, 10)) as t (s, n)"
    ).fetchall()

    # 3/4 -> [0.301, 0.954]; 300/400 -> [0.705, 0.790]; 0/10 -> [0, 0.278]; 10/10 -> [0.722, 1].
    assert rows == [(0.301, 0.954), (0.705, 0.79), (0.0, 0.278), (0.722, 1.0)]
    for mart in ("rivalry_shares", "model_hub_support"):
        sql = (ROOT / "sql" / "marts" / f"{mart}.sql").read_text()
        assert "wilson_low(" in sql and "1.959964" not in sql, mart


def test_rivalry_shares_give_count_segments_a_wilson_interval(warehouse):
    # Unit test of one model: given these adoption rows, expect these shares.
    con = warehouse.con
    con.execute("insert into meta.study_rivalries values ('a-vs-b', 'a'), ('a-vs-b', 'b')")
    con.execute(
        """
        create table marts.adoption_monthly as select * from (values
            ('research_mentions', 'a', date '2019-06-01', 3.0, 3.0, 3.0, false, true, 4, 'x'),
            ('research_mentions', 'b', date '2019-06-01', 1.0, 1.0, 1.0, false, true, 4, 'x'),
            ('research_mentions', 'a', date '2019-07-01', 300.0, 300.0, 300.0, false, true, 400, 'x'),
            ('research_mentions', 'b', date '2019-07-01', 100.0, 100.0, 100.0, false, true, 400, 'x'),
            ('research_mentions', 'a', date '2019-08-01', 5.0, 5.0, 5.0, false, true, 5, 'x')
        ) as t (segment, technology, month, value, value_low, value_high, is_censored, is_count,
                n_observations, source)
        """
    )
    con.execute((ROOT / "sql" / "macros" / "wilson_interval.sql").read_text())
    sql = (ROOT / "sql" / "marts" / "rivalry_shares.sql").read_text()

    rows = con.execute(
        f"select month, share, round(share_low, 3), round(share_high, 3), interval_method, n_total "
        f"from ({sql}) where technology = 'a' order by month"
    ).fetchall()

    # Published 95% Wilson intervals: 3/4 -> [0.301, 0.954]; 300/400 -> [0.705, 0.790].
    assert rows == [
        (date(2019, 6, 1), 0.75, 0.301, 0.954, "wilson_95", 4.0),
        (date(2019, 7, 1), 0.75, 0.705, 0.790, "wilson_95", 400.0),
    ]  # 2019-08 is left out: b has no value that month
