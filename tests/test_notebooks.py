"""The analyst notebooks: stored clean, parameterised the papermill way, and they run."""

import base64
import hashlib
import json
import re
from pathlib import Path

import duckdb
import nbformat
import papermill
import pytest
from nbconvert import HTMLExporter

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OVERVIEW = NOTEBOOKS / "01_adoption_overview.ipynb"
RESEARCH = NOTEBOOKS / "02_research_to_industry.ipynb"
ACROSS = NOTEBOOKS / "03_across_rivalries.ipynb"


def execute(notebook: Path, output: Path, **parameters) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        cwd=str(NOTEBOOKS),
        kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(output, as_version=4)


def outputs(notebook: nbformat.NotebookNode, mime: str) -> list[str]:
    return [
        output["data"][mime]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if mime in output.get("data", {})
    ]


def charts(notebook: nbformat.NotebookNode) -> int:
    """Charts drawn in the notebook itself, after checking that they need no network."""
    assert_offline(notebook)
    return sum(is_chart(svg) for svg in outputs(notebook, "image/svg+xml"))


def is_chart(svg: str) -> bool:
    # vl-convert's SVG of a Vega scenegraph: marks drawn, not an empty frame
    return svg.lstrip().startswith("<svg") and 'class="mark-' in svg


def assert_offline(notebook: nbformat.NotebookNode) -> None:
    """No output and nothing in the HTML export loads a chart library from the network,
    and every chart drawn in the notebook is drawn in its export too."""
    html_outputs = "\n".join(outputs(notebook, "text/html"))
    assert "<script" not in html_outputs and "vegaEmbed" not in html_outputs
    drawn = sum(is_chart(svg) for svg in outputs(notebook, "image/svg+xml"))
    exported, _ = HTMLExporter().from_notebook_node(notebook)
    assert "Error loading script" not in exported
    assert "vega" not in " ".join(re.findall(r"<script[^>]*\bsrc=[^>]*>", exported)).lower()
    assert "cdn.jsdelivr.net" not in exported
    # nbconvert embeds each SVG output as a data: image, drawn without any script
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', exported)
    assert sum(is_chart(base64.b64decode(image).decode()) for image in images) == drawn


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", [OVERVIEW, RESEARCH, ACROSS], ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs_and_name_the_database_in_a_parameters_cell(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    parameters = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1 and parameters[0].source.startswith("db = ")
    assert "connect_sandboxed(db)" in "".join(cell.source for cell in code)
    assert notebook.metadata.kernelspec.name == "python3"


def test_the_overview_draws_every_rivalry_and_the_coverage(demo_warehouse, tmp_path):
    before = sha256(demo_warehouse)

    notebook = execute(OVERVIEW, tmp_path / "overview.ipynb", db=str(demo_warehouse))

    # coverage, the 18 rivalries' share curves, volumes
    assert charts(notebook) == 20
    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert "**pytorch-vs-tensorflow** (industry_downloads): PyTorch leads since 2024-03" in prose
    assert "**pytorch-vs-tensorflow** (research_mentions): PyTorch leads since 2019-06" in prose
    assert sha256(demo_warehouse) == before  # read-only


def test_the_research_to_industry_notebook_computes_its_prose(demo_warehouse, tmp_path):
    notebook = execute(RESEARCH, tmp_path / "research.ipynb", db=str(demo_warehouse))

    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert "- research_mentions: **pytorch** since **2019-06**" in prose
    assert "- industry_downloads: **pytorch** since **2024-03**" in prose
    assert "industry_downloads crossed to **pytorch** 57 months after research_mentions" in prose
    assert "**supported**: research_mentions crossed to pytorch in 2019-06" in prose
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        counts = con.execute(
            "select verdict, count(*) from marts.hypothesis_results where rule = 'main' "
            "group by verdict order by verdict"
        ).fetchall()
    assert {verdict for verdict, _ in counts} == {
        "contradicted", "inconclusive", "no data", "supported"
    }  # fmt: skip
    assert (
        "108 pairs of segments over 18 rivalries: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts)
        + "."
    ) in prose
    assert charts(notebook) == 3  # the curves, the moved curve, the lags


def test_the_research_notebook_takes_another_rivalry_as_a_parameter(demo_warehouse, tmp_path):
    notebook = execute(
        RESEARCH, tmp_path / "flask.ipynb", db=str(demo_warehouse), rivalry="flask-vs-fastapi"
    )

    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert "No crossover lag: no data: research_mentions has no data for fastapi, flask" in prose
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert json.dumps("flask-vs-fastapi") in injected[0].source


def test_the_across_rivalries_notebook_states_the_marts_answer(demo_warehouse, tmp_path):
    import duckdb

    before = sha256(demo_warehouse)
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        headline, supported, decided = con.execute(
            "select headline, supported, supported + contradicted from marts.meta_analysis"
            " where rule = 'main' and is_headline"
        ).fetchone()

    notebook = execute(ACROSS, tmp_path / "across.ipynb", db=str(demo_warehouse))

    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert f"**{headline}**" in prose
    assert f"By rivalry: {supported} of {decided} supported" in prose
    assert charts(notebook) == 2  # the forest plot and the Kaplan-Meier curve
    assert sha256(demo_warehouse) == before  # read-only


def test_the_across_rivalries_notebook_takes_a_pair_as_parameters(demo_warehouse, tmp_path):
    notebook = execute(
        ACROSS,
        tmp_path / "oss.ipynb",
        db=str(demo_warehouse),
        leading="oss_imports",
        lagging="industry_downloads",
    )

    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert "decided from oss_imports to industry_downloads" in prose


def test_hostile_notebook_parameters_are_data_and_change_nothing(demo_warehouse, tmp_path):
    """Every notebook parameter reaches SQL only as a bound value, through the sandbox."""
    before = sha256(demo_warehouse)
    hostile = "x'; drop table marts.meta_analysis; --"

    notebook = execute(
        ACROSS,
        tmp_path / "hostile.ipynb",
        db=str(demo_warehouse),
        leading=hostile,
        lagging="industry_downloads",
        rule=hostile,
    )

    prose = "\n".join(outputs(notebook, "text/markdown"))
    assert "No meta-analysis for this pair and rule" in prose
    assert sha256(demo_warehouse) == before
