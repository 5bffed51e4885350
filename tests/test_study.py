from pathlib import Path

import pytest

from uptake.errors import StudyError
from uptake.study import load_study, normalize_project

ROOT = Path(__file__).resolve().parent.parent

VALID = """\
[study]
name = "tiny"

[technologies.pytorch]
label = "PyTorch"
pypi_projects = ["torch"]

[technologies.tensorflow]
pypi_projects = ["tensorflow"]

[rivalries.pytorch-vs-tensorflow]
technologies = ["pytorch", "tensorflow"]
"""


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_default_study_has_the_public_ids():
    study = load_study(ROOT / "study.toml")

    assert {"pytorch", "tensorflow", "jax"} <= set(study.technologies)
    assert {
        "pytorch-vs-tensorflow",
        "jax-vs-tensorflow",
        "pytorch-vs-jax",
        "pandas-vs-polars",
        "requests-vs-httpx",
        "flask-vs-fastapi",
    } <= set(study.rivalries)
    assert "keras" in study.technologies["tensorflow"].import_roots
    assert study.technologies["tensorflow"].pypi_projects == ("tensorflow",)


def test_valid_study_maps_projects_to_technologies(tmp_path):
    study = load_study(write(tmp_path, VALID))

    assert study.project_technologies() == [("pytorch", "torch"), ("tensorflow", "tensorflow")]
    assert study.technologies["tensorflow"].label == "tensorflow"
    assert study.rivalry_members() == [
        ("pytorch-vs-tensorflow", "pytorch"),
        ("pytorch-vs-tensorflow", "tensorflow"),
    ]


def test_typo_in_a_key_names_the_key_and_its_line(tmp_path):
    path = write(tmp_path, VALID.replace('pypi_projects = ["torch"]', 'pypi_project = ["torch"]'))

    with pytest.raises(StudyError) as error:
        load_study(path)

    assert str(error.value) == (
        f"{path}:6: unknown key 'pypi_project' in [technologies.pytorch] "
        "(did you mean 'pypi_projects'?)"
    )


def test_rivalry_naming_an_unknown_technology_points_at_its_line(tmp_path):
    path = write(tmp_path, VALID.replace('["pytorch", "tensorflow"]', '["pytorch", "tensorflw"]'))

    with pytest.raises(
        StudyError,
        match=r"study\.toml:12: rivalry 'pytorch-vs-tensorflow' names unknown technology 'tensorflw' \(did you mean 'tensorflow'\?\)",
    ):
        load_study(path)


def test_toml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, VALID.replace('label = "PyTorch"', 'label = "PyTorch'))

    with pytest.raises(StudyError, match=r"not valid TOML: .*line 5"):
        load_study(path)


@pytest.mark.parametrize(
    "replacement, message",
    [
        (
            'pypi_projects = "torch"',
            "'pypi_projects' in [technologies.pytorch] must be a list of non-empty strings",
        ),
        ('technologies = ["pytorch"]', "must list at least two technology ids"),
        ("[technologies.PyTorch]", "technology id 'PyTorch' must be lower-case"),
    ],
)
def test_wrong_values_are_named(tmp_path, replacement, message):
    original = {
        'pypi_projects = "torch"': 'pypi_projects = ["torch"]',
        'technologies = ["pytorch"]': 'technologies = ["pytorch", "tensorflow"]',
        "[technologies.PyTorch]": "[technologies.pytorch]",
    }[replacement]
    path = write(tmp_path, VALID.replace(original, replacement, 1))

    with pytest.raises(StudyError) as error:
        load_study(path)

    assert message in str(error.value)


def test_missing_study_file_says_how_to_choose_one(tmp_path):
    with pytest.raises(StudyError, match="does not exist; pass --study PATH"):
        load_study(tmp_path / "nope.toml")


def test_project_names_are_normalised_like_pypi():
    assert normalize_project("Tensorflow_GPU") == "tensorflow-gpu"
    assert normalize_project("zope.interface") == "zope-interface"
    assert normalize_project("a__-.b") == "a-b"


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#ggg000", "'; drop"])
def test_a_colour_that_is_not_rrggbb_is_named_with_its_line(tmp_path, colour):
    text = VALID.replace('label = "PyTorch"\n', f'label = "PyTorch"\ncolour = "{colour}"\n')

    with pytest.raises(StudyError, match=r"study.toml:6: 'colour' in \[technologies.pytorch\]"):
        load_study(write(tmp_path, text))


def test_every_technology_gets_a_colour_and_rivals_differ():
    study = load_study(ROOT / "study.toml")

    for rivalry in study.rivalries.values():
        colours = [study.technologies[t].colour for t in rivalry.technologies]
        assert len(set(colours)) == len(colours), rivalry.id


def test_technologies_without_a_colour_get_distinct_defaults(tmp_path):
    study = load_study(write(tmp_path, VALID))

    colours = [t.colour for t in study.technologies.values()]
    assert colours == ["#4e79a7", "#f28e2b"]
