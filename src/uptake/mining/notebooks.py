"""Jupyter notebooks as Python: the code cells, with IPython's own syntax blanked.

Reads nbformat 4 ("cells", "source") and nbformat 3 ("worksheets", "input"), sources as
one string or a list of lines. A line that starts a statement with `!` (shell) or `%`
(line magic) becomes `pass` at its indentation, so a block whose body was a magic still
parses; a `%` line continuing an open bracket (`% (a, b))` after a format string) is
Python and is kept. A cell whose first line is a cell magic running another language
(`%%bash`, `%%html`, `%%writefile notes.txt`, ...) is left out; the other cell magics
(`%%time`, `%%capture`, `%%writefile model.py`) keep their Python body.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass

from uptake.errors import UptakeError
from uptake.mining.fallback import blank_strings_and_comments

_OTHER_LANGUAGE_CELL_MAGICS = frozenset(
    ("bash", "sh", "script", "system", "cmd", "powershell", "perl", "ruby", "R")
    + ("html", "HTML", "javascript", "js", "latex", "markdown", "svg", "sql")
)
_WRITE_FILE_MAGICS = ("writefile", "file")
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
# A line that may start with `!` or `%` once its leading whitespace (`str.isspace`, as
# `lstrip` strips) is skipped; `\s` may also cross a newline, which only finds more.
_MAGIC_LINE = re.compile(r"^\s*[!%]", re.MULTILINE)


class InvalidNotebook(UptakeError):
    """The content is not a notebook document; the message is the extraction's reason."""


@dataclass(frozen=True)
class Notebook:
    cells: tuple[str, ...]  # the Python of each code cell, IPython syntax blanked
    language: str  # the kernel's language, lower case ("python" when not recorded)


def read_notebook(content: bytes) -> Notebook:
    """The code cells of an .ipynb document; InvalidNotebook if it is not one."""
    try:
        document = json.loads(content.removeprefix(codecs.BOM_UTF8))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidNotebook("invalid notebook JSON") from error
    if not isinstance(document, dict):
        raise InvalidNotebook("invalid notebook JSON (not an object)")
    cells = document.get("cells")
    if cells is None:  # nbformat 3
        worksheets = document.get("worksheets") or []
        if not isinstance(worksheets, list):
            raise InvalidNotebook("invalid notebook JSON (worksheets is not a list)")
        cells = [c for w in worksheets if isinstance(w, dict) for c in w.get("cells") or []]
    if not isinstance(cells, list):
        raise InvalidNotebook("invalid notebook JSON (cells is not a list)")
    sources = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", cell.get("input", ""))
            if isinstance(source, list) and all(isinstance(line, str) for line in source):
                source = "".join(source)
            if not isinstance(source, str):
                raise InvalidNotebook("invalid notebook JSON (a cell's source is not text)")
            sources.append(python_of_cell(source))
    return Notebook(tuple(sources), _language(document.get("metadata")))


def python_of_cell(source: str) -> str:
    """The cell's code with `!` and `%` lines as `pass`; "" for another language's cell."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    first_line = next((line for line in lines if line.strip()), "")
    first = first_line.strip()
    if first.startswith("%%"):
        words = first[2:].split()
        name = words[0] if words else ""
        writes_other_file = name in _WRITE_FILE_MAGICS and not (
            len(words) > 1 and words[-1].endswith(".py")
        )
        if name in _OTHER_LANGUAGE_CELL_MAGICS or writes_other_file:
            return ""
    leading = first_line[: len(first_line) - len(first_line.lstrip())]
    if leading:  # IPython dedents a cell whose first line is indented
        lines = [line[len(leading) :] if line.startswith(leading) else line for line in lines]
    if _MAGIC_LINE.search(text):  # most cells have no such line, and need no walk over theirs
        lines = magic_lines_as_pass(lines)
    return "\n".join(lines)


def magic_lines_as_pass(lines: list[str]) -> list[str]:
    """The lines with each `!` or `%` line that starts a statement as `pass`."""
    lines = list(lines)
    depth, open_quote, continued = 0, None, False
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        starts_statement = depth <= 0 and open_quote is None and not continued
        if starts_statement and stripped.startswith(("!", "%")):
            lines[number] = line[: len(line) - len(stripped)] + "pass"
            continue
        code, open_quote = blank_strings_and_comments(line, open_quote)
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        continued = code.rstrip().endswith("\\")
    return lines


def recover_code_lines(text: str) -> str:
    """The text of every JSON string in a broken notebook, one per line, for the fallback."""
    strings = []
    for literal in _JSON_STRING.findall(text):
        try:
            strings.append(json.loads(literal))
        except ValueError:
            continue
    return "\n".join(strings)


def _language(metadata: object) -> str:
    if not isinstance(metadata, dict):
        return "python"
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(section)
        if isinstance(value, dict) and isinstance(value.get(key), str):
            return _language_name(value[key])
    language = metadata.get("language")
    return _language_name(language) if isinstance(language, str) else "python"


def _language_name(name: str) -> str:
    name = name.strip().lower()
    return "python" if name.startswith("python") or not name else name
