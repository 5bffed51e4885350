"""Content `ast` cannot take as it is: decoding, binary content, why a parse failed, and
the line-based scanner that reads such files instead.

Python 2 files, syntax errors, text that is not UTF-8 and files with null bytes are read
line by line: strings and comments are blanked per line (a triple-quoted string is
followed across lines, so the lines inside a docstring are ignored), lines ending in a
backslash are joined, and each `import`/`from ... import` statement is read at any
indentation, after `;` or after a one-line `if x:`. Literal `importlib.import_module`,
`import_module` and `__import__` calls are read too.
"""

from __future__ import annotations

import io
import re
import tokenize

_MODULE_NAME = re.compile(r"\.*(?:(?!\d)\w+(?:\.(?!\d)\w+)*)?")
_SPACED_DOTS = re.compile(r"\s*\.\s*")
_LINE_TOKENS = re.compile(r"""#|\"\"\"|'''|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")
_STATEMENTS = re.compile(
    r"(?<![\w.])from\s*(?P<source>[.\w]+(?:\s*\.\s*[.\w]+)*|\.[.\s]*)\s*(?<!\w)import(?!\w)"
    r"|(?<![\w.])import\s+(?P<names>[\w.\s,]+)"
)
_DYNAMIC = re.compile(
    r"(?P<call>(?:(?<![\w.])importlib\s*\.\s*|(?<![\w.]))import_module|(?<![\w.])__import__)"
    r"\s*\(\s*(?P<quote>[\"'])(?P<name>[.\w]+)(?P=quote)"
)
_BARE_IMPORT_MODULE = re.compile(r"from\s+importlib\s+import\s[^\n]*\bimport_module\b")
_PYTHON_2_LINE = re.compile(
    r"`|<>|(?<![\w.])(?:[uU][rR][\"']|raise\s+[\w.]+\s*,|print\s*>>|\d+[lL](?!\w))"
)
_PYTHON_3_MESSAGES = {
    "Missing parentheses in call to 'print'": "python 2 print statement",
    "Missing parentheses in call to 'exec'": "python 2 exec statement",
    "multiple exception types must be parenthesized": "python 2 except clause",
    "leading zeros in decimal integer literals": "python 2 octal literal",
}


def is_module_name(name: str) -> bool:
    """A dotted module name, optionally relative ("a.b", ".a", ".."), not empty."""
    return bool(name) and _MODULE_NAME.fullmatch(name) is not None


def scan_lines(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(modules, relative) read line by line from text that may not be valid Python 3."""
    modules: set[str] = set()
    relative: set[str] = set()
    bare_import_module = _BARE_IMPORT_MODULE.search(text) is not None
    open_quote: str | None = None
    continued = ""
    for line in text.split("\n"):
        if open_quote is None and not continued and _reads_as_nothing(line):
            continue
        code, open_quote = blank_strings_and_comments(line, open_quote)
        if "import_module" in code or "__import__" in code:
            _read_dynamic(line, bare_import_module, modules, relative)
        stripped = code.rstrip()
        if stripped.endswith("\\"):
            continued += stripped[:-1] + " "
            continue
        _read_statements(continued + code, modules, relative)
        continued = ""
    _read_statements(continued, modules, relative)
    return frozenset(modules), frozenset(relative)


def _reads_as_nothing(line: str) -> bool:
    """A line that cannot give an import, continue onto the next or open a triple-quoted
    string: blanking it and reading it would change nothing. Most lines of a file are
    such; passing them over reads flask's Python 2 files 2.2x quicker."""
    return "import" not in line and "\\" not in line and '"""' not in line and "'''" not in line


def syntax_error_reason(error: Exception, text: str) -> str:
    """Why `ast.parse` refused `text`, for `ExtractedImports.reason`."""
    if not isinstance(error, SyntaxError):
        if isinstance(error, RecursionError | MemoryError):
            return "too deeply nested for the parser"
        return f"unparseable ({error})"
    where = f" line {error.lineno}" if error.lineno else ""
    message = error.msg or ""
    for known, reason in _PYTHON_3_MESSAGES.items():
        if known in message:
            return reason + where
    lines = text.split("\n")
    line = error.text or (lines[error.lineno - 1] if 0 < (error.lineno or 0) <= len(lines) else "")
    if _PYTHON_2_LINE.search(line):
        return "python 2 syntax" + where
    if isinstance(error, TabError):
        return "inconsistent tabs and spaces" + where
    if isinstance(error, IndentationError):
        return "indentation error" + where
    return "syntax error" + where


def blank_strings_and_comments(line: str, open_quote: str | None) -> tuple[str, str | None]:
    """The line's code with strings as spaces, and the triple quote left open at its end."""
    position = 0
    if open_quote is not None:
        end = line.find(open_quote)
        if end < 0:
            return "", open_quote
        position = end + 3
    pieces = []
    while (token := _LINE_TOKENS.search(line, position)) is not None:
        pieces.append(line[position : token.start()])
        quote = token.group()
        if quote == "#":
            return "".join(pieces), None
        if quote in ('"""', "'''"):
            end = line.find(quote, token.end())
            if end < 0:
                return "".join(pieces), quote
            position = end + 3
        else:
            position = token.end()
        pieces.append(" ")
    pieces.append(line[position:])
    return "".join(pieces), None


def _read_statements(code: str, modules: set[str], relative: set[str]) -> None:
    if "import" not in code:
        return
    for statement in _STATEMENTS.finditer(code):
        if statement["source"] is not None:
            name = "".join(statement["source"].split())
            if is_module_name(name):
                (relative if name.startswith(".") else modules).add(name)
            continue
        for item in statement["names"].split(","):
            words = item.split()
            if "as" in words:
                words = words[: words.index("as")]
            name = _SPACED_DOTS.sub(".", " ".join(words)).partition(" ")[0]
            if is_module_name(name) and not name.startswith("."):
                modules.add(name)


def _read_dynamic(line: str, bare_import_module: bool, modules: set[str], relative: set[str]):
    for call in _DYNAMIC.finditer(line):
        bare = call["call"] == "import_module"
        if bare and not bare_import_module:
            continue
        name = call["name"]
        if is_module_name(name):
            (relative if name.startswith(".") else modules).add(name)


# Bytes that do not occur in text (NUL and the other C0 controls except \t \n \v \f \r
# and ESC, and DEL); more than a few of them, in bytes that are not UTF-8, mean binary.
_NON_TEXT = bytes([*range(0, 9), *range(14, 27), *range(28, 32), 127])
_TEXT_BYTES = bytes(b for b in range(256) if b not in _NON_TEXT)


def looks_binary(content: bytes) -> bool:
    """Judged on the first 8 KiB, like git: many control bytes, or some and not UTF-8."""
    sample = content[:8192]
    share = len(sample.translate(None, _TEXT_BYTES)) / max(len(sample), 1)
    if share > 0.3:
        return True
    return share > 0.01 and not _is_utf8_prefix(sample)


def _is_utf8_prefix(sample: bytes) -> bool:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(sample) - 3  # a character cut by the sample's end
    return True


def decode(content: bytes) -> tuple[str, str | None]:
    """Text as Python decodes it (BOM, PEP 263 cookie, else UTF-8) with "\\n" newlines;
    else the latin-1 reading and the reason it is not valid source."""
    encoding, problem = "utf-8-sig", None
    first_newline = content.find(b"\n")
    second_newline = content.find(b"\n", first_newline + 1) if first_newline >= 0 else -1
    head = content if second_newline < 0 else content[:second_newline]
    if b"coding" in head:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
        except SyntaxError as error:
            encoding, problem = "utf-8-sig", f"bad coding cookie ({error.msg or error})"
    try:
        text = content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        text, problem = content.decode("latin-1"), f"not {name} (decoded as latin-1)"
    return normalise_newlines(text), problem


def normalise_newlines(text: str) -> str:
    """Python reads "\\r\\n" and a lone "\\r" as "\\n"."""
    if "\r" in text:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return text
