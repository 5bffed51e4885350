"""`uptake report`: a page that renders offline in a real browser, with every chart."""

import re
import shutil
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import chromium
from uptake.cli import cli
from uptake.study import load_study
from uptake.warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
DEMO_CHARTS = {
    "lags",
    "volumes",
    "coverage",
    "across-forest",
    "across-km",
    *(f"shares-{rivalry}" for rivalry in load_study(ROOT / "study.toml").rivalries),
}
# One figure per chart: its container div, the spec, the caption.
FIGURE = re.compile(r'<figure id="figure-([^"]+)">(.*?)</figure>', re.DOTALL)


def report(db: Path, output: Path, *options: str):
    return CliRunner().invoke(
        cli,
        ["--db", str(db), *options, "report", "--report-dir", str(output)],
        catch_exceptions=False,
    )


@pytest.fixture(scope="module")
def demo_report(demo_warehouse, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("report")
    result = report(demo_warehouse, output)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(output / "index.html")
    return output / "index.html"


def rendered_figures(dom: str) -> dict[str, str]:
    return {slug: body for slug, body in FIGURE.findall(dom)}


def test_every_chart_renders_in_headless_chromium_with_no_network(demo_report, tmp_path):
    page = chromium.render(demo_report, tmp_path / "profile")

    figures = rendered_figures(page.dom)
    assert set(figures) == DEMO_CHARTS
    for slug, body in figures.items():
        assert 'data-rendered="true"' in body, f"{slug} did not render"
        assert "<svg" in body, f"{slug} has no SVG"
        assert "failed to render" not in body
    assert page.console == []
    shot = chromium.screenshot(demo_report, tmp_path / "profile", tmp_path / "report.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page is a few kB


def test_a_chart_that_cannot_render_says_so_on_the_page_and_the_console(demo_report, tmp_path):
    broken = tmp_path / "index.html"
    html = demo_report.read_text()
    # A spec Vega-Lite rejects: the page must show the failure, not a silent blank.
    html = re.sub(
        r'(<script type="application/json" id="spec-lags">).*?(</script>)',
        r'\1{"mark": "no-such-mark", "data": {"values": []}}\2',
        html,
        flags=re.DOTALL,
    )
    broken.write_text(html)

    page = chromium.render(broken, tmp_path / "profile")

    figures = rendered_figures(page.dom)
    assert "This chart failed to render" in figures["lags"]
    assert 'data-rendered="true"' in figures["volumes"]
    error = re.search(r'data-error="([^"]+)"', figures["lags"]).group(1)
    assert len(page.console) == 1 and error.replace("&#39;", "'") in page.console[0]


def test_the_page_fetches_nothing(demo_report):
    html = demo_report.read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL)

    assert all("src=" not in attributes for attributes, _ in scripts)
    assert re.findall(r"<(?:link|img|iframe|object|embed)\b", markup) == []
    assert any("vegaEmbed" in body for _, body in scripts)  # inlined, not referenced
    links = re.findall(r'<a href="([^"]+)"', markup)
    assert links and all(link.startswith("charts/") for link in links)
    for link in links:
        assert (demo_report.parent / link).is_file()


def test_every_chart_is_also_saved_as_svg_and_png(demo_report):
    charts = demo_report.parent / "charts"

    assert {p.stem for p in charts.glob("*.svg")} == DEMO_CHARTS
    assert {p.stem for p in charts.glob("*.png")} == DEMO_CHARTS
    for slug in DEMO_CHARTS:
        assert (charts / f"{slug}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (charts / f"{slug}.svg").read_text().lstrip().startswith("<svg")


def test_the_page_states_the_verdict_and_the_real_crossovers(demo_report):
    html = demo_report.read_text()

    # The rivalry's line follows the pair the answer across rivalries counts (papers' code);
    # the conference mentions' verdict is listed with every other pair.
    assert (
        '<strong>pytorch-vs-tensorflow</strong>: <span class="verdict-supported">supported</span>: '
        "papers&#x27; code crossed to PyTorch in 2019-10 and PyPI downloads in 2024-03, "
        "53 months later"
    ) in html
    assert (
        "pytorch-vs-tensorflow, conference papers &rarr; PyPI downloads: "
        '<span class="verdict-supported">supported</span>: conference papers crossed to '
        "PyTorch in 2019-06 and PyPI downloads in 2024-03, 57 months later"
    ) in html
    assert "PyPI under-counts PyTorch before about 2019" in html
    assert "<th>source</th>" in html and "<td>top_pypi</td>" in html  # freshness


def test_an_empty_warehouse_gets_a_report_that_says_what_is_missing(tmp_path):
    db = tmp_path / "empty.duckdb"
    Warehouse.open(db).close()

    result = report(db, tmp_path / "out")

    assert result.exit_code == 0, result.output
    assert "no models yet" in result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert "The warehouse has no models yet" in html
    assert "No verdicts yet." in html and "Nothing to draw yet." in html
    assert list((tmp_path / "out" / "charts").iterdir()) == []


def test_a_rivalry_with_no_data_is_named_not_drawn(demo_warehouse, tmp_path):
    db = tmp_path / "with_missing.duckdb"
    shutil.copy(demo_warehouse, db)
    study = tmp_path / "study.toml"
    study.write_text(
        (ROOT / "study.toml").read_text()
        + '\n[technologies.alphalib]\nlabel = "AlphaLib"\nimport_roots = ["alphalib"]\n'
        'pypi_projects = ["alphalib"]\npwc_frameworks = ["alphalib"]\npaper_words = ["alphalib"]\n'
        '\n[technologies.betalib]\nlabel = "BetaLib"\nimport_roots = ["betalib"]\n'
        'pypi_projects = ["betalib"]\npwc_frameworks = ["betalib"]\npaper_words = ["betalib"]\n'
        '\n[rivalries.alphalib-vs-betalib]\ntechnologies = ["alphalib", "betalib"]\n'
    )
    runner = CliRunner()
    for command in (["build"], ["analyze", "--resamples", "50", "--placebo-runs", "10"]):
        outcome = runner.invoke(cli, ["--db", str(db), "--study", str(study), *command])
        assert outcome.exit_code == 0, outcome.output

    result = report(db, tmp_path / "out")

    assert result.exit_code == 0, result.output
    with Warehouse.open(db, read_only=True) as warehouse:
        # The demo's compact snapshots list only the projects they were made for: alphalib
        # is unknown there, not censored below the cut-off. (MXNet and Chainer would not do:
        # a few mined papers' repositories import them.)
        assert warehouse.con.execute(
            "select count(*) from marts.downloads_monthly where project = 'alphalib'"
        ).fetchall() == [(0,)]
    assert "alphalib-vs-betalib has no shares in any segment" in result.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    assert "alphalib-vs-betalib has no shares in any segment" in html
    assert "PyPI downloads has no data for AlphaLib, BetaLib" in html
    assert not (tmp_path / "out" / "charts" / "shares-alphalib-vs-betalib.svg").exists()


def test_the_answer_takes_papers_code_where_no_conference_table_counts_the_rivalry():
    from uptake.report import _answers

    def verdict(rivalry, leading, lead_crossover, lagging="industry_downloads", rule="main"):
        return {
            "rivalry": rivalry,
            "leading_segment": leading,
            "lagging_segment": lagging,
            "lead_crossover": lead_crossover,
            "rule": rule,
        }

    hypotheses = [
        verdict("a-vs-b", "research_mentions", "2019-06"),
        verdict("a-vs-b", "research_code", "2021-05"),
        verdict("c-vs-d", "research_mentions", None),  # no conference counts them
        verdict("c-vs-d", "research_code", "2022-04"),
        verdict("c-vs-d", "research_code", "2022-04", lagging="oss_imports"),
        verdict("e-vs-f", "research_mentions", None),  # no research data at all
        verdict("a-vs-b", "research_code", "2020-01", rule="keras_apart"),
    ]
    chosen = [(h["rivalry"], h["leading_segment"]) for h in _answers(hypotheses)]
    assert chosen == [
        ("a-vs-b", "research_mentions"),
        ("c-vs-d", "research_code"),
        ("e-vs-f", "research_mentions"),
    ]


def test_the_page_leads_with_the_answer_across_rivalries(demo_report, demo_warehouse):
    with Warehouse.open(demo_warehouse, read_only=True) as warehouse:
        headline, still_open = warehouse.con.execute(
            "select headline, open from marts.meta_analysis where rule = 'main' and is_headline"
        ).fetchone()
    html = demo_report.read_text()

    answer = html.index("<h2>The answer</h2>")
    # the sentence of marts.meta_analysis, with the study's words for the segments
    worded = headline.replace("research_code", "papers' code").replace(
        "industry_downloads", "PyPI downloads"
    )
    assert html.index(f'<p class="headline"><strong>{escape(worded)}</strong></p>') > answer
    assert html.count("<h3>Still open</h3>") == (1 if still_open else 0)
    assert html.index('id="figure-across-forest"') < html.index('id="figure-lags"')


def test_each_technology_is_drawn_in_its_study_colour(demo_report):
    spec = (demo_report.parent / "charts" / "shares-pytorch-vs-tensorflow.svg").read_text()

    assert "#d62728" in spec and "#1f77b4" in spec  # PyTorch red, TensorFlow blue


def test_the_answer_follows_the_counted_pair_and_says_where_the_count_reads_otherwise():
    from uptake.report import _answers, page

    def verdict(rivalry, leading, lead_crossover, result):
        return {
            "rivalry": rivalry,
            "leading_segment": leading,
            "lagging_segment": "industry_downloads",
            "lead_crossover": lead_crossover,
            "rule": "main",
            "verdict": result,
            "reason": f"{result}: the lag",
        }

    hypotheses = [
        verdict("a-vs-b", "research_mentions", "2019-06", "supported"),
        verdict("a-vs-b", "research_code", "2019-10", "supported"),
        verdict("c-vs-d", "research_mentions", None, "no data"),
        verdict("c-vs-d", "research_code", "2025-06", "inconclusive"),
        verdict("e-vs-f", "research_mentions", "2018-01", "supported"),
        verdict("e-vs-f", "research_code", None, "no data"),  # counted pair without data
    ]
    outcomes = {"a-vs-b": "supported", "c-vs-d": "supported", "e-vs-f": "no data"}

    answers = _answers(hypotheses, ("research_code", "industry_downloads"), outcomes)

    assert [(h["rivalry"], h["leading_segment"], h.get("counted_as")) for h in answers] == [
        ("a-vs-b", "research_code", "supported"),
        ("c-vs-d", "research_code", "supported"),
        ("e-vs-f", "research_mentions", None),
    ]
    html = page._answers(answers, page.Words())
    assert html.count("Counted as") == 1  # only where the verdict reads otherwise
    assert 'c-vs-d</strong>: <span class="verdict-inconclusive">' in html
    assert 'Counted as <span class="verdict-supported">supported</span>' in html
