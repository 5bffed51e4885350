"""Charts and report text at the bar of a newspaper's data desk: each chart states its
finding, keeps one colour per technology and one time axis per rivalry, labels its
crossovers with their intervals, leaves gaps as gaps, reads in percent and names its
sources; the report says "no data" where there is none and explains each verdict."""

import json
import re

import duckdb
import pytest

from tests.test_report import demo_report  # noqa: F401 (fixture)
from uptake import charts
from uptake.report import page


@pytest.fixture(scope="module")
def con(demo_warehouse):
    with duckdb.connect(str(demo_warehouse), read_only=True) as connection:
        yield connection


def layers_of(spec: dict) -> list[dict]:
    """Every unit or layer spec inside a (nested) concat or layer spec."""
    found = []
    for key in ("vconcat", "hconcat", "concat", "layer"):
        for child in spec.get(key, []):
            found.append(child)
            found += layers_of(child)
    return found


def datasets(spec: dict) -> dict[str, list[dict]]:
    return spec.get("datasets", {})


def test_share_curves_state_the_finding_in_percent_on_one_time_axis(con):
    spec = charts.share_curves(con, "pytorch-vs-tensorflow").to_dict()
    chart = spec["vconcat"][0]

    title = chart["title"]
    assert title["text"] == (
        "PyTorch took the lead in open source in 2018-08 and in PyPI downloads 67 months later"
    )
    assert chart["resolve"]["scale"]["x"] == "shared"
    panels = chart["vconcat"]
    assert len(panels) == 4
    domains = {json.dumps(p["layer"][0]["encoding"]["x"]["scale"]["domain"]) for p in panels}
    assert len(domains) == 1  # the same months on every panel
    y = panels[0]["layer"][0]["encoding"]["y"]
    assert y["axis"]["format"] == ".0%" and y["scale"]["domain"] == [0, 1]


def test_share_curves_use_the_study_colours(con):
    spec = charts.share_curves(con, "pytorch-vs-tensorflow").to_dict()
    colours = dict(
        con.execute(
            "select label, colour from meta.study_technologies where technology in ('pytorch', 'tensorflow')"
        ).fetchall()
    )

    scales = [
        layer["encoding"]["color"]["scale"]
        for layer in layers_of(spec)
        if "color" in layer.get("encoding", {}) and "scale" in layer["encoding"]["color"]
    ]
    assert scales
    for scale in scales:
        assert dict(zip(scale["domain"], scale["range"], strict=True)) == colours


def test_crossovers_are_labelled_rules_over_their_interval(con):
    spec = charts.share_curves(con, "pytorch-vs-tensorflow").to_dict()
    layers = layers_of(spec)

    texts = [
        row["label"]
        for layer in layers
        if layer.get("mark", {}).get("type") == "text" and "name" in layer.get("data", {})
        for row in datasets(spec)[layer["data"]["name"]]
        if "label" in row
    ]
    assert "PyTorch leads from 2019-06" in texts and "PyTorch leads from 2024-03" in texts
    bands = [
        layer
        for layer in layers
        if layer.get("mark", {}).get("type") == "rect"
        and layer["encoding"]["x2"]["field"] == "band_high"
    ]
    assert len(bands) == 4  # one interval per segment that crossed
    with_crossover = next(
        rows
        for rows in datasets(spec).values()
        if rows and rows[0].get("segment") == "industry_downloads" and "band_high" in rows[0]
    )
    assert with_crossover[0]["crossover_low"] <= "2024-03-01" <= with_crossover[0]["band_high"]


def test_months_without_data_are_gaps_not_bridges(con):
    spec = charts.share_curves(con, "pytorch-vs-tensorflow").to_dict()
    code = [
        row
        for rows in datasets(spec).values()
        for row in rows
        if row.get("segment") == "research_code" and "share" in row
    ]

    months = {row["month"] for row in code}
    assert any(row["share"] is None for row in code)  # conference months only: gaps
    assert len(months) > 48  # every month from the first to the last, with or without data


def test_every_chart_ends_with_its_source_line(con):
    for chart in (charts.share_curves(con, "pandas-vs-polars"), charts.lags(con)):
        spec = chart.to_dict()
        note = spec["vconcat"][-1]
        [row] = note["data"]["values"]
        assert row["text"].startswith("Source: ") and "Chart: uptake." in row["text"]
    shares = charts.share_curves(con, "pandas-vs-polars").to_dict()
    assert "hugovk/top-pypi-packages" in shares["vconcat"][-1]["data"]["values"][0]["text"]


def test_the_lag_chart_draws_the_best_aligning_interval_apart_from_the_grid(con):
    spec = charts.lags(con).to_dict()
    layers = layers_of(spec)

    diamond = [layer for layer in layers if layer.get("mark", {}).get("shape") == "diamond"]
    assert diamond and diamond[0]["mark"]["filled"] is False
    interval = [
        layer
        for layer in layers
        if layer.get("encoding", {}).get("x2", {}).get("field") == "best_alignment_high"
    ]
    assert interval
    assert re.match(
        r"The lagging segment crossed after the leading one in \d+ of \d+ pairs",
        spec["vconcat"][0]["title"]["text"],
    )


def test_the_report_says_no_data_where_there_is_none_and_explains_each_verdict(demo_report):  # noqa: F811
    html = demo_report.read_text()

    assert '<td class="verdict-no-data">no data</td>' in html
    assert "<th>Granger test</th>" in html and "<th>forecast</th>" in html
    assert "<th>crossover test</th>" in html
    # study labels in prose, not raw ids; each no-data pair listed once, grouped
    answers = html[html.index("<h3>Rivalry by rivalry</h3>") : html.index("<h2>Verdicts")]
    assert "research_code" not in answers and "industry_downloads" not in answers
    assert (
        "papers&#x27; code crossed to PyTorch in 2019-10 and PyPI downloads in 2024-03" in answers
    )
    assert re.search(
        r"conference papers &rarr; PyPI downloads: <span class=\"verdict-no-data\">no data</span> for \d+ rivalries",
        html,
    )
    # crossovers: no "?" placeholders, rules by their meaning
    crossovers = html[html.index("<h2>Crossovers</h2>") :]
    assert " to ?)" not in crossovers and "(? to" not in crossovers
    assert '<div class="table-wrap">' in html


def test_words_replace_ids_but_leave_rivalry_names_whole():
    words = page.Words({"pytorch": "PyTorch", "research_code": "papers' code"})

    assert words.prose("research_code crossed to pytorch; pytorch-vs-tensorflow") == (
        "papers' code crossed to PyTorch; pytorch-vs-tensorflow"
    )
    assert words.rule("keras_apart") == "keras counted apart"
    assert page.Words().prose("research_code") == "research_code"
