"""The docs build strictly, and their examples run: every Python and console example in
docs/ and the README, except those marked `<!-- not run: reason -->` (network, a server,
clones that are not in the checkout), runs offline in a scratch project beside the real
data, starting from the demo's warehouse."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, SHARED_DATA

DOC_PAGES = sorted((PROJECT_ROOT / "docs").rglob("*.md")) + [PROJECT_ROOT / "README.md"]
BLOCK = re.compile(
    r"(<!-- not run: (?P<reason>[^>]*?) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```", re.DOTALL
)
# A documented failure: the lines the page shows after the command say so.
SHOWN_FAILURE = re.compile(r"^(Error|partial|nothing .*rejected)|exit status [1-9]", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    page: Path
    lang: str
    body: str
    not_run: str | None


def examples(lang: str) -> list[Example]:
    found = []
    for page in DOC_PAGES:
        for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
            if match["lang"] == lang:
                found.append(Example(page, lang, match["body"], match["reason"]))
    return found


def page_id(page: Path) -> str:
    return str(page.relative_to(PROJECT_ROOT))


def test_the_docs_site_builds_strictly(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )

    assert built.returncode == 0, built.stderr
    assert "WARNING" not in built.stderr
    site = tmp_path / "site"
    assert (site / "index.html").exists()
    for page in ("python-api", "reference/marts", "reference/commands", "mining"):
        assert (site / page / "index.html").exists(), page
    assert "marts.repo_imports_monthly" in (site / "reference/marts/index.html").read_text()


def test_every_example_not_run_says_why_and_most_run():
    everything = examples("console") + examples("python")
    skipped = [e for e in everything if e.not_run is not None]

    assert all(len(e.not_run) > 20 for e in skipped), [e.not_run for e in skipped]
    assert len(skipped) < len(everything) / 2


@pytest.fixture
def scratch_project(demo_warehouse, tmp_path) -> Path:
    """A project folder like a checkout after `make demo`: .venv, notebooks, the demo's
    warehouse in data/, and ../shared/data beside it."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(SHARED_DATA)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    for name in (".venv", "notebooks"):
        (project / name).symlink_to(PROJECT_ROOT / name)
    shutil.copy(demo_warehouse, project / "data" / "uptake.duckdb")
    return project


def console_script(body: str) -> tuple[str, list[tuple[str, str]]]:
    """A bash script running every `$ ` command of `body`, keeping each one's status
    (and giving it back to the next line, so a documented `echo $?` shows it)."""
    commands, shown, lines = [], [], body.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("$ "):
            commands.append(line[2:])
            following = []
            for later in lines[i + 1 :]:
                if later.startswith("$ "):
                    break
                following.append(later)
            shown.append((line[2:], "\n".join(following)))
    script = []
    for n, command in enumerate(commands):
        script.append(command)
        script.append(f"status=$?; echo $status > .status.{n}; ( exit $status )")
    return "\n".join(script) + "\n", shown


def runnable(lang: str) -> list:
    return [
        pytest.param(e, id=f"{page_id(e.page)}:{n}")
        for n, e in enumerate(examples(lang))
        if e.not_run is None
    ]


@pytest.mark.parametrize("example", runnable("console"))
def test_console_example_runs(example, scratch_project):
    script, shown = console_script(example.body)
    ran = subprocess.run(
        ["bash", "-c", script],
        cwd=scratch_project,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING", "NO_MKDOCS_2_WARNING": "1"},
    )

    for n, (command, output) in enumerate(shown):
        status = int((scratch_project / f".status.{n}").read_text())
        documented_failure = SHOWN_FAILURE.search(output) or re.search(r"^[1-9]$", output, re.M)
        assert status == 0 or documented_failure, (
            f"{command!r} exited {status}\n{ran.stdout[-2000:]}\n{ran.stderr[-2000:]}"
        )


def test_python_examples_run(scratch_project):
    pages = {}
    for example in examples("python"):
        if example.not_run is None:
            pages.setdefault(example.page, []).append(example.body)
    assert {page_id(p) for p in pages} >= {"README.md", "docs/python-api.md"}

    for page, bodies in pages.items():
        ran = subprocess.run(
            [sys.executable, "-c", "\n".join(bodies)],
            cwd=scratch_project,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert ran.returncode == 0, (page_id(page), ran.stderr[-3000:])
        if page.name == "python-api.md":
            assert "demo (research): 568,122 rows, 0 rejected" in ran.stdout
            assert "Across 18 rivalries: Of 8 rivalries" in ran.stdout
            assert (scratch_project / "reports" / "api-example" / "index.html").exists()
