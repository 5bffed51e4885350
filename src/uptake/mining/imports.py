"""The one import extractor: which modules a Python file or a notebook imports.

`extract_imports` answers what parsing the whole file with `ast` and walking every node
would answer (`ast_imports` is that reference), about ten times faster, and never
raises. The fast path blanks strings and comments with one regular expression (so
`import x` inside a docstring or a comment is never a statement), reads each remaining
`import` keyword with a small parser, and checks the code for the signs of a file
Python 3 cannot parse (unbalanced brackets or quotes, Python 2 statements, stray
characters, merge-conflict markers). Whenever it is unsure (an import statement that
does not read cleanly, any such sign) the file goes through `ast.parse`, which decides;
files that do not parse are read by the line-based fallback scanner.

What counts as an import:

- `import a.b as c` and `import a, b` give the modules "a.b", "a" and "b";
  `from a.b import c` gives "a.b" (the module, not the names taken from it).
- `from . import x`, `from .m import y` and `from ..pkg import z` give the relative
  imports ".", ".m" and "..pkg", kept apart and never mapped to technologies.
- Imports anywhere: in functions, classes, `try`/`except`, `if TYPE_CHECKING:`.
- Calls whose name is a literal string: `importlib.import_module("x")`,
  `import_module("x")` in a file that does `from importlib import import_module`
  anywhere, and `__import__("x")`. A name starting with dots
  (`import_module(".x", package=...)`), or `__import__` with a literal `level`, is
  relative.
"""

from __future__ import annotations

import ast
import codecs
import keyword
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from uptake.mining import fallback, notebooks

DEFAULT_MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class ExtractedImports:
    """The imports of one file, and how they were found.

    `method` is "ast" (results equal the `ast` reference; the file parses or shows none
    of the signs of a syntax error the fast path checks for), "fallback" (read line by
    line, `reason` says why) or "skipped" (not read: binary, over the size limit, or a
    notebook in another language).
    """

    modules: frozenset[str]
    relative: frozenset[str]
    method: str
    reason: str | None = None

    @property
    def roots(self) -> frozenset[str]:
        """Top-level names of `modules`: "torch" for "torch.nn"."""
        return frozenset(module.partition(".")[0] for module in self.modules)


def extract_imports(
    content: bytes, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> ExtractedImports:
    """The modules `content` imports; `path` only says whether it is a notebook (.ipynb)."""
    if len(content) > max_bytes:
        return _skipped(f"over size limit ({len(content)} bytes)")
    if path.lower().endswith(".ipynb"):
        return _notebook_imports(content)
    return _python_file_imports(content)


def technologies_for(roots: Iterable[str], import_roots: Mapping[str, str]) -> frozenset[str]:
    """The technologies that module roots (or modules) belong to, per the study.

    `import_roots` maps a module root to a technology id ({"torch": "pytorch"});
    "tensorflow.compat.v1" maps through its root "tensorflow". Relative imports never map.
    """
    found = (import_roots.get(name.partition(".")[0]) for name in roots)
    return frozenset(technology for technology in found if technology is not None)


def source_imports(text: str) -> ExtractedImports:
    """Imports of decoded source with "\\n" newlines: fast path, else `ast`, else fallback."""
    found = _fast_imports(text.encode("utf-8", "surrogatepass"))
    if found is not None:
        return ExtractedImports(*found, "ast")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        modules, relative = fallback.scan_lines(text)
        return ExtractedImports(
            modules, relative, "fallback", fallback.syntax_error_reason(error, text)
        )
    return ExtractedImports(*ast_imports(tree), "ast")


def ast_imports(tree: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    """The reference: (modules, relative) from a walk over every node of a parsed file."""
    modules: set[str] = set()
    relative: set[str] = set()
    importlib_names = {"importlib"}
    import_module_names: set[str] = set()
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.name)
                if alias.name == "importlib" and alias.asname:
                    importlib_names.add(alias.asname)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative.add("." * node.level + (node.module or ""))
            else:
                modules.add(node.module)
                if node.module == "importlib":
                    import_module_names.update(
                        a.asname or a.name for a in node.names if a.name == "import_module"
                    )
        elif isinstance(node, ast.Call):
            calls.append(node)
    for call in calls:
        func = call.func
        if isinstance(func, ast.Attribute):
            is_call = func.attr == "import_module" and _is_name(func.value, importlib_names)
            name = _imported_name(call, dunder=False) if is_call else None
        elif isinstance(func, ast.Name) and func.id in import_module_names:
            name = _imported_name(call, dunder=False)
        elif isinstance(func, ast.Name) and func.id == "__import__":
            name = _imported_name(call, dunder=True)
        else:
            name = None
        if name is not None:
            (relative if name.startswith(".") else modules).add(name)
    return frozenset(modules), frozenset(relative)


def _is_name(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _imported_name(call: ast.Call, *, dunder: bool) -> str | None:
    """The literal module name of an import_module (or, `dunder`, `__import__`) call."""
    name = _literal_argument(call, 0, "name", str)
    if name is None:
        return None
    if dunder and (level := _literal_argument(call, 4, "level", int)):
        name = "." * level + name
    return name if fallback.is_module_name(name) else None


def _literal_argument(call: ast.Call, position: int, keyword_name: str, kind: type):
    if len(call.args) > position:
        node = call.args[position]
    else:
        node = next((k.value for k in call.keywords if k.arg == keyword_name), None)
    if isinstance(node, ast.Constant) and type(node.value) is kind:
        return node.value
    return None


def _skipped(reason: str) -> ExtractedImports:
    return ExtractedImports(frozenset(), frozenset(), "skipped", reason)


def _python_file_imports(content: bytes) -> ExtractedImports:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = fallback.normalise_newlines(content.decode("utf-16"))
        except UnicodeDecodeError:
            return _skipped("binary content")
        return _fallback(text, "utf-16 encoded (Python reads utf-8)")
    if b"\x00" in content:
        if fallback.looks_binary(content):
            return _skipped("binary content")
        return _fallback(fallback.decode(content.replace(b"\x00", b""))[0], "null bytes")
    text, problem = fallback.decode(content)
    if problem is None:
        return source_imports(text)
    if fallback.looks_binary(content):
        return _skipped("binary content")
    return _fallback(text, problem)


def _fallback(text: str, reason: str) -> ExtractedImports:
    modules, relative = fallback.scan_lines(text)
    return ExtractedImports(modules, relative, "fallback", reason)


def _notebook_imports(content: bytes) -> ExtractedImports:
    try:
        notebook = notebooks.read_notebook(content)
    except notebooks.InvalidNotebook as error:
        text = content.decode("utf-8", errors="replace")
        return _fallback(notebooks.recover_code_lines(text), str(error))
    if notebook.language != "python":
        return _skipped(f"notebook language is {notebook.language}")
    whole = source_imports("\n".join(notebook.cells))
    if whole.method == "ast":
        return whole
    modules: set[str] = set()
    relative: set[str] = set()
    reasons = []
    for number, cell in enumerate(notebook.cells, start=1):
        found = source_imports(cell)
        modules |= found.modules
        relative |= found.relative
        if found.reason:
            reasons.append(f"cell {number}: {found.reason}")
    return ExtractedImports(frozenset(modules), frozenset(relative), "fallback", reasons[0])


# --- the fast path, over UTF-8 bytes ---------------------------------------------------

# Strings (any prefix, single or triple quoted, escapes, backslash-newline inside) and
# comments. No groups, so that `re` skips ahead to the next quote or hash in C.
_STRINGS_AND_COMMENTS = re.compile(
    rb"#[^\n]*"
    rb'|"(?:""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""|[^"\\\n]*(?:\\.[^"\\\n]*)*")'
    rb"|'(?:''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''|[^'\\\n]*(?:\\.[^'\\\n]*)*')",
    re.DOTALL,
)
_BLANK = b"\x00"  # stands for a string or a comment (decoded source has no NUL)
_NAME_BYTES = frozenset(b"_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_BYTES |= frozenset(range(128, 256))  # UTF-8 of a non-ASCII identifier character
_FROM_CLAUSE = re.compile(rb"(?:^|(?<=[\s;:]))from(?=[\s.\\])(?P<source>(?:[.\w \t\f]|\\\n)*)\Z")
_MODULE_PATH = re.compile(
    rb"\s*(?P<dots>(?:\.\s*)*)(?P<name>[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)?\s*"
)
_DOTTED_NAME = re.compile(rb"\s*[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*\s*")
_IMPORT_NAMES = re.compile(rb"(?:[ \t\f]|\\\n)+(?P<names>(?:[.\w, \t\f\x00]|\\\n)*)")
_AS_ALIAS = re.compile(rb"(?P<name>.*?)\s+as\s+(?P<alias>[A-Za-z_]\w*)\s*", re.DOTALL)
_KEYWORDS = frozenset(keyword.kwlist)
_KEYWORD_BYTES = frozenset(word.encode() for word in keyword.kwlist)
_SIMPLE_FROM = re.compile(rb"[ \t]*from[ \t]+(?P<dots>\.*)[ \t]*(?P<source>[A-Za-z_][\w.]*)?[ \t]+")
_SIMPLE_NAME = rb"[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+[A-Za-z_]\w*)?"
_SIMPLE_IMPORT = re.compile(
    rb"import[ \t]+(?P<names>%s(?:[ \t]*,[ \t]*%s)*)[ \t]*\x00?(?=\n|\Z)"
    % (_SIMPLE_NAME, _SIMPLE_NAME)
)
# Searched over the code with strings and comments blanked; each starts with a literal
# so that `re` finds candidates in C, the lookbehind after it checks a word starts there.
_NOT_PYTHON_3_11 = (
    re.compile(rb"print(?<![\w.]print)[ \t]+[\w\x00]"),
    re.compile(rb"exec(?<![\w.]exec)[ \t]+[\w\x00]"),
    re.compile(rb"except(?<![\w.]except)[ \t]+[\w.]+[ \t]*,"),
    re.compile(rb"raise(?<![\w.]raise)[ \t]+[\w.]+[ \t]*,"),
    re.compile(rb"0(?<![\w.]0)(?<![eE][+-]0)\d*[1-9]\d*(?![\w.])"),  # 0777
    re.compile(rb"def(?<![\w.]def)[ \t]+\w+[ \t]*\["),  # generics of Python 3.12
    re.compile(rb"class(?<![\w.]class)[ \t]+\w+[ \t]*\["),
    re.compile(rb"type(?<![\w.]type)[ \t]+\w+[ \t]*(?:=(?!=)|\[[^\]\n]*\][ \t]*=)"),
)
_STRAY_SEQUENCES = (b"<>", b"<<<<<<<", b"{%")
_CHECKED_BYTES = b"()[]{}\\\n!=`$?\"'"
_UNCHECKED_BYTES = bytes(b for b in range(256) if b not in _CHECKED_BYTES)
_MODULE_NAMES: dict[bytes, str | None] = {}  # validated names, shared by all files


def _fast_imports(source: bytes) -> tuple[frozenset[str], frozenset[str]] | None:
    """(modules, relative) as the `ast` reference finds them, or None when unsure."""
    code = _STRINGS_AND_COMMENTS.sub(_BLANK, source)
    if _shows_syntax_error(code):
        return None
    modules: set[str] = set()
    relative: set[str] = set()
    importlib_imported = False
    position = code.find(b"import")
    while position >= 0:
        end = position + 6
        if not (
            (position and code[position - 1] in _NAME_BYTES)
            or (end < len(code) and code[end] in _NAME_BYTES)
        ):
            module = _read_simple_statement(code, position, modules, relative)
            if module is None:
                module = _read_statement(code, position, modules, relative)
            if module is None:
                return None
            importlib_imported = importlib_imported or module == "importlib"
        position = code.find(b"import", end)
    if b"import_module" in code or b"__import__" in code:
        calls = _dynamic_imports(source, code, importlib_imported)
        if calls is None:
            return None
        for name in calls:
            (relative if name.startswith(".") else modules).add(name)
    return frozenset(modules), frozenset(relative)


def _read_simple_statement(code: bytes, position: int, modules: set[str], relative: set[str]):
    """`_read_statement` for the usual one-line statements (a quick regex), else None."""
    line_start = code.rfind(b"\n", 0, position) + 1
    if line_start >= 2 and code[line_start - 2] == 92:  # a backslash continuation
        return None
    segment = code[line_start:position]
    if segment.strip():
        clause = _SIMPLE_FROM.fullmatch(segment)
        if clause is None:
            return None
        name = _module_name(clause["source"]) if clause["source"] else ""
        if name is None or not (name or clause["dots"]):
            return None
        if clause["dots"]:
            relative.add(clause["dots"].decode() + name)
            return ""
        modules.add(name)
        return name
    statement = _SIMPLE_IMPORT.match(code, position)
    if statement is None:
        return None
    added = []
    for item in statement["names"].split(b","):
        words = item.split()
        if len(words) == 3 and words[2] in _KEYWORD_BYTES:
            return None
        name = _module_name(words[0])
        if name is None:
            return None
        added.append(name)
    modules.update(added)
    return ""


def _read_statement(code: bytes, position: int, modules: set[str], relative: set[str]):
    """Add the modules of the import statement whose keyword is at `position`.

    Returns the module of an absolute `from` statement ("" for the others), None if the
    statement does not read cleanly.
    """
    before = code[position - 1] if position else 10
    line_start = code.rfind(b"\n", 0, position) + 1
    while line_start >= 2 and code[line_start - 2] == 92:  # a backslash continuation
        line_start = code.rfind(b"\n", 0, line_start - 2) + 1
    segment = code[line_start:position]
    if b"from" in segment and (clause := _FROM_CLAUSE.search(segment)):
        found = _MODULE_PATH.fullmatch(clause["source"].replace(b"\\\n", b" "))
        if before not in b" \t\f\n." or found is None or not (found["dots"] or found["name"]):
            return None
        name = _module_name(found["name"]) if found["name"] else ""
        level = found["dots"].count(b".")
        if name is None:
            return None
        if level:
            relative.add("." * level + name)
            return ""
        modules.add(name)
        return name
    statement_before = segment.replace(b"\\\n", b" ").rstrip()
    if statement_before and statement_before[-1] not in b";:":
        return None
    names = _IMPORT_NAMES.match(code, position + 6)
    if names is None or code[names.end() : names.end() + 1] not in (b"", b"\n", b";"):
        return None
    for item in names["names"].replace(b"\\\n", b" ").replace(_BLANK, b" ").split(b","):
        aliased = _AS_ALIAS.fullmatch(item) if b"as" in item else None
        if aliased is not None:
            if aliased["alias"].decode() in _KEYWORDS:
                return None
            item = aliased["name"]
        name = _module_name(item)
        if name is None:
            return None
        modules.add(name)
    return ""


def _module_name(spaced: bytes) -> str | None:
    """The dotted name as `ast` gives it ("a.b" for "a . b"), None if it is not one."""
    if spaced in _MODULE_NAMES:
        return _MODULE_NAMES[spaced]
    name: str | None = None
    if _DOTTED_NAME.fullmatch(spaced):
        name = "".join(spaced.decode().split())
        if not _KEYWORDS.isdisjoint(name.split(".")):
            name = None
    if len(_MODULE_NAMES) > 100_000:
        _MODULE_NAMES.clear()
    _MODULE_NAMES[spaced] = name
    return name


def _shows_syntax_error(code: bytes) -> bool:
    """Signs of source Python 3.11 cannot parse; a false alarm only costs an `ast.parse`."""
    checked = code.translate(None, _UNCHECKED_BYTES)
    if any(char in checked for char in (b'"', b"'", b"`", b"$", b"?")):
        return True  # a quote the string pattern could not close, or a stray character
    if checked.count(b"\\") != checked.count(b"\\\n") or checked.count(b"!") != checked.count(
        b"!="
    ):
        return True
    if any(checked.count(opening) != checked.count(closing) for opening, closing in _BRACKETS):
        return True
    if any(sequence in code for sequence in _STRAY_SEQUENCES):
        return True
    return any(pattern.search(code) for pattern in _NOT_PYTHON_3_11)


_BRACKETS = ((b"(", b")"), (b"[", b"]"), (b"{", b"}"))
_DYNAMIC_CALLEE = re.compile(rb"(?<![\w])(?:import_module|__import__)(?!\w)")
_CALLEE_PREFIX = re.compile(rb"(?:(?<![\w.])(?P<owner>[A-Za-z_]\w*)\s*)?\.\s*\Z")
_PARENTHESES = re.compile(rb"[()]")
_FSTRING_PREFIX = re.compile(rb"[fF][rR]?\x00|[rR][fF]\x00")
_IMPORTLIB_ALIAS = re.compile(rb"(?<![\w.])(?:import_module|importlib)\s+as(?!\w)")


def _dynamic_imports(source: bytes, code: bytes, importlib_imported: bool) -> list[str] | None:
    """Literal names of import_module/__import__ calls in `code`, None when unsure.

    Only each call is parsed (its blanked strings put back); anything less plain than
    `__import__(...)`, `importlib.import_module(...)` or `import_module(...)` is left to
    `ast`: an alias of importlib or import_module, a parenthesised callee, or one of
    these names inside an f-string.
    """
    if _IMPORTLIB_ALIAS.search(code):
        return None
    markers = (b"import_module", b"__import__")
    in_strings = sum(map(source.count, markers)) > sum(map(code.count, markers))
    if in_strings and _FSTRING_PREFIX.search(code):
        return None
    blanked: list[bytes] | None = None
    names = []
    for callee in _DYNAMIC_CALLEE.finditer(code):
        opening = callee.end()
        while code[opening : opening + 1].isspace():
            opening += 1
        following = code[opening : opening + 1]
        if following == b")":
            return None
        if following != b"(":
            continue
        dunder = callee.group() == b"__import__"
        prefix = _CALLEE_PREFIX.search(code, max(0, callee.start() - 200), callee.start())
        if prefix is not None:
            if prefix["owner"] is None:
                return None  # `(importlib).import_module(...)` and the like
            if dunder or prefix["owner"] != b"importlib":
                continue
        elif not dunder and not importlib_imported:
            continue  # not importlib's: nothing binds the name import_module to it
        closing = _closing_parenthesis(code, opening)
        if closing is None:
            return None
        arguments = code[opening : closing + 1]
        if _BLANK not in arguments:
            continue  # no literal argument
        if not dunder and prefix is None:
            return None  # which names `from importlib import ...` binds: ask `ast`
        if blanked is None:
            blanked = _STRINGS_AND_COMMENTS.findall(source)
        name = _call_literal_name(arguments, blanked, code.count(_BLANK, 0, opening), dunder)
        if name is False:
            return None
        if name is not None:
            names.append(name)
    return names


def _closing_parenthesis(code: bytes, opening: int) -> int | None:
    depth = 0
    for parenthesis in _PARENTHESES.finditer(code, opening):
        depth += 1 if parenthesis.group() == b"(" else -1
        if depth == 0:
            return parenthesis.start()
    return None


def _call_literal_name(arguments: bytes, blanked: list[bytes], first: int, dunder: bool):
    """The imported name of `f(arguments)`, its strings put back; False if it won't parse."""
    pieces = arguments.split(_BLANK)
    restored = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        restored += (blanked[first + index], piece)
    try:
        expression = (b"f" + b"".join(restored)).decode("utf-8", "surrogatepass")
        call = ast.parse(expression, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return _imported_name(call, dunder=dunder) if isinstance(call, ast.Call) else False
