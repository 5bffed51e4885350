"""Property tests: on generated Python, extract_imports gives what a plain `ast` walk gives.

Sources are built from import statements (every form, odd spacing, continuations,
semicolons, one-liners, dynamic imports) mixed with noise that mentions imports
without making any (strings, docstrings, comments, f-strings, bytes), nested in
functions, classes, `try`, `if`, `with` and `for` blocks.
"""

import ast
import json
import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from uptake.mining import import_scanner, notebooks
from uptake.mining.imports import extract_imports, extract_many

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODULE_NAME = re.compile(r"\.*(?:(?!\d)\w+(?:\.(?!\d)\w+)*)?")


def reference(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """(modules, relative): every Import and ImportFrom of a walk over the whole tree,
    and import_module/__import__ calls with a literal name, through their bindings."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    modules, relative = set(), set()
    importlib_names, import_module_names = {"importlib"}, set()
    for node in nodes:
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
            importlib_names.update(
                a.asname for a in node.names if a.name == "importlib" and a.asname
            )
        elif isinstance(node, ast.ImportFrom) and node.level:
            relative.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module)
            if node.module == "importlib":
                import_module_names.update(
                    a.asname or a.name for a in node.names if a.name == "import_module"
                )
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value
            if not (
                func.attr == "import_module"
                and isinstance(owner, ast.Name)
                and owner.id in importlib_names
            ):
                continue
            dunder = False
        elif isinstance(func, ast.Name) and func.id in import_module_names:
            dunder = False
        elif isinstance(func, ast.Name) and func.id == "__import__":
            dunder = True
        else:
            continue
        name = argument(node, 0, "name")
        if not (isinstance(name, ast.Constant) and type(name.value) is str):
            continue
        name = name.value
        level = argument(node, 4, "level") if dunder else None
        if isinstance(level, ast.Constant) and type(level.value) is int and level.value:
            name = "." * level.value + name
        if name and MODULE_NAME.fullmatch(name):
            (relative if name.startswith(".") else modules).add(name)
    return frozenset(modules), frozenset(relative)


def argument(call: ast.Call, position: int, keyword: str):
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


# --- strategies ---------------------------------------------------------------------------

IDENTIFIERS = st.sampled_from(
    ["os", "sys", "torch", "nn", "np", "tensorflow", "keras", "compat", "v1", "a", "b2",
     "_private", "importlib", "import_module", "match", "case", "type", "print", "exec",
     "imports", "fromage", "as_", "asx", "café", "ｔorch", "__future__"]
)  # fmt: skip
GAP = st.sampled_from([" ", " ", " ", "  ", "\t", " \\\n    ", " \\\n"])
DOTS = st.sampled_from(["", "", "", ".", "..", "...", ". .", "....."])


@st.composite
def dotted(draw) -> str:
    parts = draw(st.lists(IDENTIFIERS, min_size=1, max_size=3))
    dot = draw(st.sampled_from([".", ".", ".", " . ", ".\\\n"]))
    return dot.join(parts)


@st.composite
def import_statement(draw) -> str:
    gap = draw(GAP)
    names = draw(st.lists(dotted(), min_size=1, max_size=3))
    items = [n + draw(st.sampled_from(["", "", f"{gap}as{gap}alias"])) for n in names]
    return f"import{gap}" + f",{draw(GAP)}".join(items)


@st.composite
def from_statement(draw) -> str:
    dots = draw(DOTS)
    module = draw(dotted()) if not dots or draw(st.booleans()) else ""
    before = draw(GAP) if not dots else draw(st.sampled_from(["", " ", " \\\n "]))
    after = draw(GAP) if module else draw(st.sampled_from(["", " ", "\\\n"]))
    targets = draw(st.lists(IDENTIFIERS, min_size=1, max_size=3))
    if draw(st.booleans()):
        what = "(\n    " + ",\n    ".join(targets) + draw(st.sampled_from(["", ","])) + "\n)"
    else:
        what = draw(st.sampled_from([", ".join(targets), "*", f"{targets[0]} as t"]))
    return f"from{before}{dots}{module}{after}import {what}"


@st.composite
def dynamic_import(draw) -> str:
    name = draw(dotted()).replace("\\\n", "").replace(" ", "")
    quote = draw(st.sampled_from(["'", '"', "'''", "r'"]))
    literal = f"{quote}{name}{quote[-1] * (3 if quote == chr(39) * 3 else 1)}"
    return draw(
        st.sampled_from(
            [
                f"importlib.import_module({literal})",
                f"importlib . import_module(\n    {literal}, package=__name__)",
                f"import_module({literal})",
                f"im({literal})",
                f"il.import_module({literal})",
                f"__import__({literal})",
                f"__import__({literal}, globals(), locals(), [], {draw(st.integers(0, 2))})",
                f"__import__(name={literal}, level=1)",
                f"importlib.import_module('.' + {literal})",
                f"importlib.import_module('.{name}', package='p')",
                f'x = f"{{__import__({literal}).sep}}"',
                f"self.import_module({literal})",
                "importlib.import_module(variable)",
                f"(__import__)({literal})",
                f"values = [import_module, {literal}]",
            ]
        )
    )


BINDINGS = st.sampled_from(
    [
        "import importlib",
        "from importlib import import_module",
        "from importlib import import_module as im",
        "from importlib import (util,\n    import_module)",
        "import importlib as il",
        "from .importlib import import_module",
        "def import_module(name): pass",
    ]
)

NOISE = st.sampled_from(
    [
        "x = 1",
        'print("import os")',
        "s = 'from fake import y'",
        '"""Docstring.\n\nimport fake_doc\nfrom fake_doc import x\n"""',
        "'''\n>>> import fake_doctest\n'''",
        "# import fake_comment",
        "y = 2  # from fake import z",
        'f"{x} import fake_fstring {y!r:>10}"',
        'b"import fake_bytes"',
        'rb"from fake import raw"',
        '("import fake_concat"\n "from fake import concat")',
        '"a \\" import fake_escaped"',
        "'it\\'s import fake'",
        '"""a \\""" import fake_triple"""',
        "values = [\n    1,\n    2,\n]",
        "print >>sys.stderr, 'valid in Python 3 too'",
        "print (x)",
        "type = match = case = 1",
        "importer = reimport_it = importlib_x = 3",
        "lambda: 0",
        "d = {'a': 1, **e}",
        "z = a if b else c",
        "assert x, 'import fake_assert'",
        "pass",
        "r'\\\\'",
        "x = 1; y = 2",
    ]
)


@st.composite
def simple_statement(draw) -> str:
    kind = draw(st.integers(0, 9))
    if kind < 3:
        return draw(import_statement())
    if kind < 5:
        return draw(from_statement())
    if kind < 6:
        return draw(st.one_of(dynamic_import(), BINDINGS))
    if kind < 7:
        first, second = draw(import_statement()), draw(st.one_of(NOISE, from_statement()))
        return f"{first}{draw(st.sampled_from([';', '; ', ' ; ']))}{second}"
    if kind < 8:
        header = draw(st.sampled_from(["if x: ", "while 0: ", "for i in y: ", "with z: "]))
        return header + draw(st.one_of(import_statement(), from_statement()))
    return draw(NOISE)


def indent(lines: list[str], unit: str) -> list[str]:
    return [unit + line if line else line for line in lines]


@st.composite
def block(draw, depth: int, unit: str) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            lines += draw(compound(depth, unit))
        else:
            lines += draw(simple_statement()).split("\n")
    return lines


@st.composite
def compound(draw, depth: int, unit: str) -> list[str]:
    body = indent(draw(block(depth + 1, unit)), unit)
    other = indent(draw(block(depth + 1, unit)), unit)
    shape = draw(st.integers(0, 6))
    if shape == 0:
        decorator = draw(st.sampled_from([[], ["@decorator"], ["@decorator(arg='import x')"]]))
        return [*decorator, "def f(a, b='import fake_default'):", *body]
    if shape == 1:
        return ["class C(Base):", unit + '"""import fake_class_doc"""', *body]
    if shape == 2:
        return ["try:", *body, "except ImportError:", *other]
    if shape == 3:
        return ["if TYPE_CHECKING:", *body, "else:", *other]
    if shape == 4:
        return ["async def g():", *body]
    if shape == 5:
        return ["with open('import fake') as handle:", *body]
    return ["for item in items:", *body, "else:", *other]


@st.composite
def python_sources(draw) -> str:
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    lines = draw(block(0, unit))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.slow
@SETTINGS
@given(python_sources())
def test_extract_imports_equals_the_ast_reference(source):
    assume(parses(source))

    result = extract_imports(source.encode(), "generated.py")
    fast = import_scanner.scan(source.replace("\r\n", "\n").encode())

    expected = reference(source)
    assert (result.modules, result.relative) == expected
    assert result.method == "ast"
    assert fast is None or fast == expected  # the fast path is exact, or defers to ast
    assert import_scanner.scan_many([source.replace("\r\n", "\n").encode()]) == [fast]
    assert extract_many([(source.encode(), "generated.py")]) == [result]


@pytest.mark.slow
@SETTINGS
@given(python_sources(), st.data())
def test_damaged_sources_never_raise_and_stay_exact_when_they_parse(source, data):
    cut = data.draw(st.integers(0, len(source)))
    insert = data.draw(st.sampled_from(["", '"', "'''", "(", ")", "\\", "print x\n", "\t", "#"]))
    damaged = source[:cut] + insert + source[cut + data.draw(st.integers(0, 3)) :]

    result = extract_imports(damaged.encode(), "damaged.py")

    assert result.method in {"ast", "fallback"}
    assert extract_many([(damaged.encode(), "damaged.py")]) == [result]
    if parses(damaged):
        assert result.method == "ast"
        assert (result.modules, result.relative) == reference(damaged)


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(st.lists(python_sources(), min_size=1, max_size=3), st.data())
def test_notebooks_equal_the_reference_on_their_code_cells(cells, data):
    assume(parses("\n".join(cells)))
    magics = ["!pip install torch", "%matplotlib inline", "%time x = 1", "%%time"]
    with_magics = [
        f"{data.draw(st.sampled_from(magics))}\n{cell}" if data.draw(st.booleans()) else cell
        for cell in cells
    ]
    document = {
        "nbformat": 4,
        "metadata": {},
        "cells": [
            {"cell_type": "code", "source": data.draw(st.sampled_from([c, c.splitlines(True)]))}
            for c in with_magics
        ],
    }

    result = extract_imports(json.dumps(document).encode(), "generated.ipynb")

    assert (result.modules, result.relative) == reference("\n".join(cells))
    assert result.method == "ast"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["a.py", "a.ipynb"]))
def test_any_bytes_never_raise(content, path):
    result = extract_imports(content, path)

    assert result.method in {"ast", "fallback", "skipped"}
    assert (result.method == "ast") == (result.reason is None)
    assert extract_many([(content, path)]) == [result]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_never_raises_and_is_exact_when_it_parses(text):
    result = extract_imports(text.encode("utf-8", "surrogatepass"), "a.py")

    assert result.method in {"ast", "fallback", "skipped"}
    assert extract_many([(text.encode("utf-8", "surrogatepass"), "a.py")]) == [result]
    if result.method == "ast" and "coding" not in text and parses(text):
        assert (result.modules, result.relative) == reference(text)


# Pieces where the whole-file patterns' Polars spellings (`scan_many`) could part from
# `re`'s (`scan`): quotes of every kind and where they close, escapes, comments, newlines,
# and each sign of code Python 3.11 cannot parse, with the characters around them that
# decide.
SOUP = st.sampled_from(
    ['"', "'", '"""', "'''", '""', "''", '""""', "\\", "\\\n", "\n", "#", " ", "\t",
     "x", "_", ".", ",", "=", "==", "(", ")", "[", "]", "+", "-", "e", "E", "0", "07", "0777",
     "1", "print", "exec", "except", "raise", "def", "class", "type", "import", "from", "os",
     "f", "r", "b", "\x00", "\x80", "é", "\xff", "$", "<>", "!=", "!", "! =", "`", "?",
     "{", "}", "{%", "<<<<<<<", "\\ \n", "\n\t", "\n  "]
)  # fmt: skip
# A sign, or a look-alike, after what decides whether a word starts there.
SIGNS = st.tuples(
    st.sampled_from(["", " ", "\n", "x", "_", "1", ".", "(", ",", "e", "E", "e+", "E-", "x-"]),
    st.sampled_from(
        ["print x", "print\t'", "print (x)", "exec code", "except E, e", "except E:",
         "raise E, 'm'", "raise E('m')", "0777", "07", "00", "0_7", "0.7", "0e7", "0777.",
         "def f[T]", "def f(x)", "class C[T]", "class C(B)", "type X = int", "type X == 1",
         "type X[T] = T", "type X[T] == T", "type X =", "type(X)", "éprint x", "é0777"]
    ),
    st.sampled_from(["", " ", "\n", "x", ".", ",", "1", "=", "]", "é"]),
).map("".join)  # fmt: skip
SOUP = st.one_of(SOUP, SIGNS)
LONE_SURROGATE = st.just("\ud800")  # text `scan_many` cannot hand Polars as UTF-8


# Pieces of the lines the fallback reads: statements, dynamic imports, what continues a
# line or opens a string, and what a line may be otherwise.
FALLBACK_SOUP = st.one_of(
    SOUP,
    st.sampled_from(
        ["import ", "from ", " import ", "import", "as ", ";", "if x: ", "\\\n",
         "importlib.import_module('m')", "__import__('n')", "import_module('k')",
         "from importlib import import_module\n", "print x\n", "os.path", "..", "from a \\\n",
         "'''\n", '"""\n', "x = '''a\n", "# import c\n", "\\ \n", "x = 1 \\ # c\n"]
    ),
    st.sampled_from(["import b\n", "from m import n\n", "\n"]),
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(FALLBACK_SOUP, max_size=60).map("".join))
def test_the_fallback_passing_lines_over_reads_like_blanking_every_line(text):
    """`scan_lines` skips the lines `_reads_as_nothing` says cannot matter; blanking and
    reading every line instead must give the same imports."""

    from uptake.mining import fallback

    with mock.patch.object(fallback, "_reads_as_nothing", lambda line: False):
        every_line = fallback.scan_lines(text)

    assert fallback.scan_lines(text) == every_line


# How `scan_many` runs its patterns: rurex a source at a time (a small batch), Polars
# over the batch (a large one), Polars for any batch when rurex is not installed.
ENGINES = {
    "rurex": {"SMALL_BATCH_BYTES": 10**12},
    "polars": {"SMALL_BATCH_BYTES": 0},
    "polars without rurex": {"_rust_patterns": lambda: None},
}


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(SOUP, LONE_SURROGATE), max_size=40).map("".join), min_size=1, max_size=4
    )
)
def test_scan_many_reads_like_scan(engine, texts):
    sources = [text.encode("utf-8", "surrogatepass") for text in texts]

    with mock.patch.multiple(import_scanner, **ENGINES[engine]):
        scanned = import_scanner.scan_many(sources)

    assert scanned == [import_scanner.scan(s) for s in sources]


def test_scan_many_runs_a_small_batch_through_rurex_and_a_large_one_through_polars():
    small = [b"import os\n"] * 3
    large = [b"import os\n" + b"x = 1\n" * 50_000] * 2
    with mock.patch.object(import_scanner, "_scan_with", wraps=import_scanner._scan_with) as rust:
        assert import_scanner.scan_many(small) == [(frozenset({"os"}), frozenset())] * 3
        assert rust.call_count == 3
        assert import_scanner.scan_many(large) == [(frozenset({"os"}), frozenset())] * 2
        assert rust.call_count == 3  # sum of sizes over SMALL_BATCH_BYTES: Polars


@settings(max_examples=1500, deadline=None)
@given(st.lists(SOUP, max_size=60).map("".join))
def test_the_polars_patterns_match_what_re_matches(text):
    import polars as pl

    source = text.encode()
    code = import_scanner._STRINGS_AND_COMMENTS.sub(b"\x00", source)
    blanked = pl.Series([text]).str.replace_all(import_scanner._STRINGS_AND_COMMENTS_POLARS, "\x00")
    version_signs = blanked.str.contains(import_scanner._NOT_PYTHON_3_11_POLARS)[0]
    python_3_11 = any(p.search(code) for p in import_scanner._NOT_PYTHON_3_11)

    assert blanked.cast(pl.Binary).to_list() == [code]
    if code.isascii():  # else Unicode `\w` may part from `re`'s, but non-ASCII is a sign
        assert version_signs == python_3_11
    polars_signs = import_scanner.syntax_signs(blanked)[0]
    assert polars_signs == (python_3_11 or import_scanner._shows_syntax_error(code))


@settings(max_examples=1500, deadline=None)
@given(st.lists(SOUP, max_size=60).map("".join))
def test_the_rust_patterns_run_by_rurex_match_what_polars_matches(text):
    import polars as pl

    blank, signs = import_scanner._rust_patterns()
    source = text.encode()
    blanked = pl.Series([text]).str.replace_all(import_scanner._STRINGS_AND_COMMENTS_POLARS, "\x00")
    code = blank.sub(b"\x00", source)

    assert code == blanked.cast(pl.Binary)[0]
    assert (signs.search(code) is not None) == blanked.str.contains(
        import_scanner._SYNTAX_SIGNS_POLARS
    )[0]


# Lines a cell may hold: magics behind every kind of leading whitespace (`str.isspace`
# counts more than spaces and tabs), magics inside brackets and strings, and plain code.
CELL_LINES = st.lists(
    st.sampled_from(
        ["import os", "x = (1,", "% 2)", "'''", "!ls", "%time f()", "  !pip install x", "pass"]
    )
    | st.builds(
        lambda spaces, rest: "".join(spaces) + rest,
        st.lists(st.sampled_from([" ", "\t", "\x0c", "\x0b", "\x1c", "\x85", "\u00a0", "\u2028"])),
        st.sampled_from(["!ls", "%matplotlib inline", "x = 1", "", "# !not a magic"]),
    ),
    max_size=6,
)


@settings(max_examples=500, deadline=None)
@given(CELL_LINES)
def test_a_cell_the_magic_line_pattern_passes_over_has_no_line_to_blank(lines):
    text = "\n".join(lines)
    assume(not notebooks._MAGIC_LINE.search(text))

    assert notebooks.magic_lines_as_pass(text.split("\n")) == text.split("\n")


def test_the_magic_line_pattern_finds_magics_behind_any_leading_whitespace():
    for space in (" ", "\t", "\x0c", "\x85", "\u00a0", "\u2028"):
        lines = ["x = 1", f"{space}!ls"]
        assert notebooks._MAGIC_LINE.search("\n".join(lines))
        assert notebooks.magic_lines_as_pass(lines)[1] == f"{space}pass"
