"""The study: which technologies to follow and which rivalries to test.

Validated once, where it is read, so every later step can trust it; an error names
the file, the line and the offending key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from uptake.errors import StudyError

# \Z, not $: "$" also matches before a final newline, which would let "pytorch\n" through.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*\Z")
# What each list may hold: PyPI names (PEP 508) and dotted Python module names. Free
# text (framework labels, paper words) only has to be printable.
_LIST_PATTERNS = {
    "pypi_projects": (
        re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])\Z"),
        "PyPI project names (letters, digits, '.', '-', '_')",
    ),
    "import_roots": (
        re.compile(r"^[^\W\d]\w*(\.[^\W\d]\w*)*\Z"),
        "Python module names (such as 'torch' or 'google.cloud')",
    ),
}
TECHNOLOGY_LISTS = ("import_roots", "pypi_projects", "pwc_frameworks", "paper_words")
TECHNOLOGY_KEYS = {"label", "colour", *TECHNOLOGY_LISTS}
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}\Z")
# Colours for technologies the study gives none, in order (Tableau 10, colour-blind safer
# than Vega's default for the first few).
DEFAULT_COLOURS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
RIVALRY_KEYS = {"technologies", "label"}
TOP_LEVEL_KEYS = {"study", "technologies", "rivalries"}


@dataclass(frozen=True)
class Technology:
    id: str
    label: str
    colour: str = "#888888"  # how every chart draws it
    import_roots: tuple[str, ...] = ()
    pypi_projects: tuple[str, ...] = ()
    pwc_frameworks: tuple[str, ...] = ()
    paper_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rivalry:
    id: str
    technologies: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Study:
    name: str
    path: Path
    technologies: dict[str, Technology] = field(default_factory=dict)
    rivalries: dict[str, Rivalry] = field(default_factory=dict)

    def pypi_projects(self) -> list[str]:
        """Every PyPI project the study follows, normalised, without repeats, sorted."""
        return sorted(
            {normalize_project(p) for t in self.technologies.values() for p in t.pypi_projects}
        )

    def project_technologies(self) -> list[tuple[str, str]]:
        """(technology, normalised project) pairs, the mapping the SQL models join on."""
        return sorted(
            {
                (t.id, normalize_project(p))
                for t in self.technologies.values()
                for p in t.pypi_projects
            }
        )

    def rivalry_members(self) -> list[tuple[str, str]]:
        """(rivalry, technology) pairs."""
        return [(r.id, t) for r in self.rivalries.values() for t in r.technologies]


def normalize_project(name: str) -> str:
    """PEP 503 normalisation: PyPI treats `Tensorflow_GPU` and `tensorflow-gpu` as one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def default_study_path() -> Path:
    """`./study.toml` when there is one, else the study shipped with the package."""
    local = Path("study.toml")
    if local.is_file():
        return local
    return Path(str(resources.files("uptake") / "default_study.toml"))


def load_study(path: str | Path | None = None) -> Study:
    path = Path(path) if path is not None else default_study_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StudyError(f"study file {path} does not exist; pass --study PATH") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"study file {path} cannot be read: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{path}: not valid TOML: {exc}") from None
    return _StudyValidator(path, text).validate(document)


class _StudyValidator:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def fail(self, message: str, table: str | None = None, key: str | None = None):
        line = self._locate(table, key)
        where = f"{self.path}:{line}" if line else str(self.path)
        raise StudyError(f"{where}: {message}")

    def _locate(self, table: str | None, key: str | None) -> int | None:
        """The 1-based line of `key` inside `[table]` (or of the table header itself)."""
        start = 0
        if table is not None:
            header = re.compile(
                r"^\s*\[\s*" + re.escape(table).replace(r"\.", r"\s*\.\s*") + r"\s*\]"
            )
            for number, text in enumerate(self.lines):
                if header.match(text):
                    start = number
                    break
            else:
                return None
            if key is None:
                return start + 1
        if key is None:
            return None
        key_pattern = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
        for number in range(start, len(self.lines)):
            if number > start and self.lines[number].lstrip().startswith("[") and table:
                break
            if key_pattern.match(self.lines[number]):
                return number + 1
        return start + 1 if table else None

    def validate(self, document: dict) -> Study:
        for key in document:
            if key not in TOP_LEVEL_KEYS:
                self.fail(
                    f"unknown top-level key '{key}' (expected one of: study, technologies, rivalries)",
                    key=key,
                )
        meta = document.get("study", {})
        if not isinstance(meta, dict):
            self.fail("'study' must be a table", key="study")
        name = meta.get("name", self.path.stem)
        technologies = self._technologies(document.get("technologies"))
        rivalries = self._rivalries(document.get("rivalries", {}), technologies)
        return Study(name=str(name), path=self.path, technologies=technologies, rivalries=rivalries)

    def _technologies(self, raw) -> dict[str, Technology]:
        if not isinstance(raw, dict) or not raw:
            self.fail("the study names no technologies: add a [technologies.<id>] table")
        technologies = {}
        for tech_id, spec in raw.items():
            table = f"technologies.{tech_id}"
            if not ID_PATTERN.match(tech_id):
                self.fail(
                    f"technology id '{tech_id}' must be lower-case letters, digits, '-', '_' or '.'",
                    table,
                )
            if not isinstance(spec, dict):
                self.fail(f"'{table}' must be a table", table)
            for key in spec:
                if key not in TECHNOLOGY_KEYS:
                    hint = _closest(key, TECHNOLOGY_KEYS)
                    self.fail(f"unknown key '{key}' in [{table}]{hint}", table, key)
            lists = {}
            for key in TECHNOLOGY_LISTS:
                value = spec.get(key, [])
                if not isinstance(value, list) or not all(
                    isinstance(v, str) and v.strip() for v in value
                ):
                    self.fail(
                        f"'{key}' in [{table}] must be a list of non-empty strings", table, key
                    )
                values = tuple(v.strip() for v in value)
                self._check_values(table, key, values)
                lists[key] = values
            label = spec.get("label", tech_id)
            if not isinstance(label, str):
                self.fail(f"'label' in [{table}] must be a string", table, "label")
            colour = spec.get("colour", DEFAULT_COLOURS[len(technologies) % len(DEFAULT_COLOURS)])
            if not isinstance(colour, str) or not COLOUR_PATTERN.match(colour):
                self.fail(
                    f"'colour' in [{table}] must be a colour like \"#1f77b4\", not {colour!r}",
                    table,
                    "colour",
                )
            technologies[tech_id] = Technology(
                id=tech_id, label=label, colour=colour.lower(), **lists
            )
        return technologies

    def _check_values(self, table: str, key: str, values: tuple[str, ...]) -> None:
        pattern, what = _LIST_PATTERNS.get(key, (None, ""))
        for value in values:
            if pattern is not None and not pattern.match(value):
                self.fail(f"{value!r} in '{key}' of [{table}] is not one of {what}", table, key)
            if not value.isprintable():
                self.fail(f"{value!r} in '{key}' of [{table}] has control characters", table, key)

    def _rivalries(self, raw, technologies) -> dict[str, Rivalry]:
        if not isinstance(raw, dict):
            self.fail("'rivalries' must be a table of [rivalries.<id>] tables", key="rivalries")
        rivalries = {}
        for rivalry_id, spec in raw.items():
            table = f"rivalries.{rivalry_id}"
            if not ID_PATTERN.match(rivalry_id):
                self.fail(
                    f"rivalry id '{rivalry_id}' must be lower-case letters, digits, '-', '_' or '.'",
                    table,
                )
            if not isinstance(spec, dict):
                self.fail(f"'{table}' must be a table", table)
            for key in spec:
                if key not in RIVALRY_KEYS:
                    self.fail(
                        f"unknown key '{key}' in [{table}]{_closest(key, RIVALRY_KEYS)}", table, key
                    )
            members = spec.get("technologies")
            if not isinstance(members, list) or len(members) < 2:
                self.fail(
                    f"'technologies' in [{table}] must list at least two technology ids",
                    table,
                    "technologies",
                )
            for member in members:
                if member not in technologies:
                    hint = _closest(str(member), technologies)
                    self.fail(
                        f"rivalry '{rivalry_id}' names unknown technology '{member}'{hint}",
                        table,
                        "technologies",
                    )
            if len(set(members)) != len(members):
                self.fail(f"rivalry '{rivalry_id}' lists a technology twice", table, "technologies")
            rivalries[rivalry_id] = Rivalry(
                id=rivalry_id, technologies=tuple(members), label=str(spec.get("label", rivalry_id))
            )
        return rivalries


def _closest(word: str, choices) -> str:
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{match[0]}'?)" if match else ""
