"""The one import extractor: which modules a Python file or a notebook imports.

`extract_imports` gives what parsing the whole file with `ast` and walking every node
gives (`ast_imports` is that reference) on every file that parses, about ten times
faster, and never raises. `import_scanner` reads most files without parsing them; when
it is unsure the file goes through `ast.parse`, which decides; files that do not parse
(Python 2, syntax errors, not UTF-8, null bytes) are read by the line-based scanner in
`fallback`, and binary or oversized files are skipped, each with the reason.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from uptake.mining import fallback, import_scanner, notebooks

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


def extract_many(
    files: Sequence[tuple[bytes, str]], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[ExtractedImports]:
    """`extract_imports` of each (content, path), the Python files scanned all at once
    (`import_scanner.scan_many`): what a miner with a batch of blobs calls."""
    results: list[ExtractedImports | None] = []
    sources: dict[int, bytes] = {}  # position -> UTF-8 source to scan
    for content, path in files:
        if len(content) > max_bytes or path.lower().endswith(".ipynb"):
            results.append(extract_imports(content, path, max_bytes=max_bytes))
            continue
        if _reads_as_itself(content):
            sources[len(results)] = content
            results.append(None)
            continue
        read = _read_python_file(content)
        if isinstance(read, str):
            sources[len(results)] = read.encode("utf-8", "surrogatepass")
            results.append(None)
        else:
            results.append(read)
    for (position, source), found in zip(
        sources.items(), import_scanner.scan_many(list(sources.values())), strict=True
    ):
        results[position] = (
            _scanned(found)
            if found is not None
            else _parsed_imports(source.decode("utf-8", "surrogatepass"))
        )
    return results


_SCANNED: dict[tuple[frozenset[str], frozenset[str]], ExtractedImports] = {}


def _scanned(found: tuple[frozenset[str], frozenset[str]]) -> ExtractedImports:
    """The result of a file the scanner read: one shared (frozen) object for each set of
    imports, as files in a history or a project import alike."""
    extracted = _SCANNED.get(found)
    if extracted is None:
        if len(_SCANNED) > 10_000:
            _SCANNED.clear()
        extracted = _SCANNED[found] = ExtractedImports(*found, "ast")
    return extracted


def _reads_as_itself(content: bytes) -> bool:
    """Whether `_read_python_file` would give `content`'s own text: ASCII, with no
    carriage return or null byte, and no coding cookie in its first two lines."""
    if not content.isascii() or b"\r" in content or b"\x00" in content:
        return False
    first_newline = content.find(b"\n")
    second_newline = content.find(b"\n", first_newline + 1) if first_newline >= 0 else -1
    return b"coding" not in (content if second_newline < 0 else content[:second_newline])


def technologies_for(roots: Iterable[str], import_roots: Mapping[str, str]) -> frozenset[str]:
    """The technologies that module roots (or modules) belong to, per the study.

    `import_roots` maps a module root to a technology id ({"torch": "pytorch"});
    "tensorflow.compat.v1" maps through its root "tensorflow". Relative imports never map.
    """
    found = (import_roots.get(name.partition(".")[0]) for name in roots)
    return frozenset(technology for technology in found if technology is not None)


def source_imports(text: str) -> ExtractedImports:
    """Imports of decoded source with "\\n" newlines: fast path, else `ast`, else fallback."""
    found = import_scanner.scan(text.encode("utf-8", "surrogatepass"))
    if found is not None:
        return ExtractedImports(*found, "ast")
    return _parsed_imports(text)


def _parsed_imports(text: str) -> ExtractedImports:
    """The imports `ast` finds, or the fallback's when the text does not parse."""
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
            name = import_scanner.imported_name(call, dunder=False) if is_call else None
        elif isinstance(func, ast.Name) and func.id in import_module_names:
            name = import_scanner.imported_name(call, dunder=False)
        elif isinstance(func, ast.Name) and func.id == "__import__":
            name = import_scanner.imported_name(call, dunder=True)
        else:
            name = None
        if name is not None:
            (relative if name.startswith(".") else modules).add(name)
    return frozenset(modules), frozenset(relative)


def _is_name(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _skipped(reason: str) -> ExtractedImports:
    return ExtractedImports(frozenset(), frozenset(), "skipped", reason)


def _python_file_imports(content: bytes) -> ExtractedImports:
    read = _read_python_file(content)
    return source_imports(read) if isinstance(read, str) else read


def _read_python_file(content: bytes) -> str | ExtractedImports:
    """The text of a file Python can read, else what is extracted from it by other means."""
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
        return text
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
    # Cell by cell, as Jupyter runs them: one broken cell leaves the others exact, and a
    # `from __future__` import in a later cell is valid there.
    modules: set[str] = set()
    relative: set[str] = set()
    reasons = []
    for number, cell in enumerate(notebook.cells, start=1):
        found = source_imports(cell)
        modules |= found.modules
        relative |= found.relative
        if found.reason:
            reasons.append(f"cell {number}: {found.reason}")
    method, reason = ("fallback", reasons[0]) if reasons else ("ast", None)
    return ExtractedImports(frozenset(modules), frozenset(relative), method, reason)
