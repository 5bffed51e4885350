"""The fast path of the import extractor: imports read without parsing the whole file.

`scan(source)` gives the (modules, relative) imports that `ast.parse` and a walk over
every node would give (`uptake.mining.imports.ast_imports`), or None when it cannot be
sure, and then the caller parses. Over UTF-8 bytes:

1. One regular expression blanks every string and comment to a NUL byte, so the rest
   is code: `import x` in a docstring or a comment can no longer look like a statement.
2. The code is checked for the signs of a file Python 3.11 cannot parse: quotes the
   pattern could not close, unbalanced brackets, a backslash not ending a line, `!`
   not in `!=`, stray `` ` `` `$` `?`, `<>`, merge-conflict markers, Jinja's `{%`,
   lines indented with tabs and lines indented with spaces, non-ASCII outside strings,
   Python 2 `print x`/`exec x`/`except E, e`/`raise E, "m"`/`0777`, and Python 3.12
   generics and `type` aliases. Any sign: None.
3. Each `import` keyword is read with a quick regular expression for the usual
   one-line statements, else a small parser (continuations, `;`, `if x: import y`).
   A statement that does not read cleanly (say, a keyword as a name): None. What a line
   of usual statements gives is remembered, for the next file that has the same line.
4. Files naming `import_module` or `__import__` get each such call parsed alone, its
   blanked strings put back, following the bindings the reference follows.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re

from uptake.mining import fallback

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
# The same two for Polars (Rust's `regex`, over UTF-8 text), which has no lookarounds:
# `(?:^|[^\w.])word` for a word's start, and a quote inside a triple-quoted string spelt
# out as one not opening its closing quotes. Its classes are Unicode (`\w` takes `é`, `.`
# a whole character), which changes nothing: a string spans the same bytes, and any
# non-ASCII character left in code is a sign of its own.
_STRINGS_AND_COMMENTS_POLARS = (
    r"#[^\n]*"
    r'|"(?:""(?:[^"\\]|\\(?s:.)|""?(?:[^"\\]|\\(?s:.)))*"""|[^"\\\n]*(?:\\(?s:.)[^"\\\n]*)*")'
    r"|'(?:''(?:[^'\\]|\\(?s:.)|''?(?:[^'\\]|\\(?s:.)))*'''|[^'\\\n]*(?:\\(?s:.)[^'\\\n]*)*')"
)
_WORD_START = r"(?:^|[^\w.])"
_NOT_PYTHON_3_11_POLARS = "|".join(
    (
        _WORD_START + r"print[ \t]+[\w\x00]",
        _WORD_START + r"exec[ \t]+[\w\x00]",
        _WORD_START + r"except[ \t]+[\w.]+[ \t]*,",
        _WORD_START + r"raise[ \t]+[\w.]+[ \t]*,",
        r"(?:^|[^\w.+-]|(?:^|[^eE])[+-])0[0-9]*[1-9][0-9]*(?:$|[^\w.])",
        _WORD_START + r"def[ \t]+\w+[ \t]*\[",
        _WORD_START + r"class[ \t]+\w+[ \t]*\[",
        _WORD_START + r"type[ \t]+\w+[ \t]*(?:=(?:$|[^=])|\[[^\]\n]*\][ \t]*=)",
    )
)
# `_shows_syntax_error`'s signs, but for brackets and indents (counts and literal
# searches), in one pattern with `_NOT_PYTHON_3_11_POLARS`. `_shows_syntax_error`
# compares counts over the checked bytes alone: there, a backslash must come right before
# a newline and a `!` right before a `=`, so here the next checked byte after each decides.
_CHECKED = r"()\[\]{}!=`$?\x22\x27\\"  # _CHECKED_BYTES as a class body, less newline
_SYNTAX_SIGNS_POLARS = "|".join(
    (
        _NOT_PYTHON_3_11_POLARS,
        r"[^\x00-\x7f]|[`$?\x22\x27]|<>|<<<<<<<|\{%",
        rf"\\[^{_CHECKED}\n]*(?:[{_CHECKED}]|$)",
        rf"![^{_CHECKED}\n]*(?:[{_CHECKED.replace('=', '')}\n]|$)",
    )
)
_CHECKED_BYTES = b"()[]{}\\\n!=`$?\"'"
_UNCHECKED_BYTES = bytes(b for b in range(256) if b not in _CHECKED_BYTES)
_ALLOWED_CHECKED_BYTES = b"()[]{}\\\n!="  # any other checked byte in code is a sign
_MODULE_NAMES: dict[bytes, str | None] = {}  # validated names, shared by all files
# What the import statements on a line give, for the lines that decide it alone (see
# `_read_line`), shared by all files: real code repeats its import lines across files and
# across the versions of a file. Longer lines are read afresh, so that keys stay small.
_KNOWN_LINES: dict[bytes, tuple[tuple[str, ...], tuple[str, ...], int, int, bool]] = {}
_LONGEST_KNOWN_LINE = 200


def scan(source: bytes) -> tuple[frozenset[str], frozenset[str]] | None:
    """(modules, relative) as the `ast` reference finds them, or None when unsure."""
    code = _STRINGS_AND_COMMENTS.sub(_BLANK, source)
    if _shows_syntax_error(code) or any(pattern.search(code) for pattern in _NOT_PYTHON_3_11):
        return None
    names_calls = b"import_module" in source or b"__import__" in source  # in code or f-string
    return _read_imports(source, code, code.count(b"import"), names_calls)


# Measured on the blobs of 20 corpus repositories (bench/bench_pydriller.py): below this
# many bytes, rurex a source at a time is quicker than Polars' call and thread costs.
SMALL_BATCH_BYTES = 256_000


def scan_many(sources: list[bytes]) -> list[tuple[frozenset[str], frozenset[str]] | None]:
    """`scan` of each source, with the whole-file regular expressions run by Rust's
    `regex`: about five times quicker than `re` on them.

    The patterns are `_STRINGS_AND_COMMENTS` and `_NOT_PYTHON_3_11` without the
    lookarounds Rust's `regex` lacks; over UTF-8 they match what `re` matches over its
    bytes, which the property tests check against `scan`. A small batch is scanned a
    source at a time by rurex, whose compiled patterns last from call to call, when it
    is installed (the "fast" extra); a larger one, or without rurex, all at once by
    Polars, which compiles them at each call but spreads the sources over every core.
    A source that is not UTF-8 (text with a lone surrogate) goes through `scan`.
    """
    if not sources:
        return []
    rust_patterns = _rust_patterns()
    if rust_patterns is not None and sum(map(len, sources)) < SMALL_BATCH_BYTES:
        return [_scan_with(rust_patterns, source) for source in sources]
    return _scan_in_polars(sources)


def warm_up() -> None:
    """Pay the first-call costs of both ways of scanning (loading, compiling patterns)."""
    sample = b"import os\nname = 'x'  # warm\n"
    _scan_in_polars([sample])
    rust_patterns = _rust_patterns()
    if rust_patterns is not None:
        _scan_with(rust_patterns, sample)


def _scan_in_polars(sources: list[bytes]) -> list[tuple[frozenset[str], frozenset[str]] | None]:
    import polars as pl

    try:
        texts = pl.Series(sources, dtype=pl.Binary).cast(pl.String)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        # Not UTF-8 (a lone surrogate): Polars strings hold nothing else.
        return _scan_utf8_apart(sources)
    blank, read = _polars_expressions()
    found = texts.to_frame("text").with_columns_seq(blank).select_seq(*read)
    return [
        None if signs else _read_imports(source, blanked, spellings, calls)
        for source, blanked, signs, spellings, calls in zip(
            sources, *(column.to_list() for column in found), strict=True
        )
    ]


@functools.cache
def _rust_patterns():
    """rurex's compiled (blank, signs) patterns, or None when rurex is not installed."""
    try:
        import rurex
    except ImportError:
        return None
    return (
        rurex.compile(_STRINGS_AND_COMMENTS_POLARS.encode()),
        rurex.compile(_SYNTAX_SIGNS_POLARS.encode()),
    )


def _scan_with(rust_patterns, source: bytes) -> tuple[frozenset[str], frozenset[str]] | None:
    """`scan` of one source, its whole-file expressions run by rurex as Polars runs them."""
    if not source.isascii() and not _is_utf8(source):
        return scan(source)
    blank, signs = rust_patterns
    code = blank.sub(_BLANK, source)
    if (
        signs.search(code) is not None
        or _unbalanced(code)
        or (b"\n\t" in code and b"\n " in code)  # `syntax_signs`' mixed indents
    ):
        return None
    names_calls = b"import_module" in source or b"__import__" in source
    return _read_imports(source, code, code.count(b"import"), names_calls)


@functools.cache
def _polars_expressions():
    """What `scan_many` asks Polars, built once: the code with strings and comments
    blanked, then from it and the text: the code's bytes, whether it shows syntax signs,
    how many times "import" is spelt (to stop reading after the last), and whether the
    text names import_module or __import__ (in code or an f-string)."""
    import polars as pl

    text, code = pl.col("text"), pl.col("code")
    blank = text.str.replace_all(_STRINGS_AND_COMMENTS_POLARS, _BLANK.decode()).alias("code")
    read = (
        code.cast(pl.Binary),
        syntax_signs(code).alias("signs"),
        code.str.count_matches("import").alias("spellings"),
        text.str.contains("import_module|__import__").alias("calls"),
    )
    return blank, read


def _scan_utf8_apart(sources: list[bytes]) -> list[tuple[frozenset[str], frozenset[str]] | None]:
    """`scan_many` of the UTF-8 sources, `scan` of the others, in the sources' order."""
    utf8 = [_is_utf8(source) for source in sources]
    valid = [source for source, is_utf8 in zip(sources, utf8, strict=True) if is_utf8]
    scanned = iter(scan_many(valid))
    return [
        next(scanned) if is_utf8 else scan(source)
        for source, is_utf8 in zip(sources, utf8, strict=True)
    ]


def _is_utf8(source: bytes) -> bool:
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def syntax_signs(code):
    """Whether code (a Polars string series or expression, strings and comments blanked)
    shows a sign `_shows_syntax_error` or `_NOT_PYTHON_3_11` sees."""
    count = code.str.count_matches
    unbalanced = (
        (count(r"\(") != count(r"\)"))
        | (count(r"\[") != count(r"\]"))
        | (count(r"\{") != count(r"\}"))
    )
    mixed_indents = code.str.contains("\n\t", literal=True) & code.str.contains("\n ", literal=True)
    return code.str.contains(_SYNTAX_SIGNS_POLARS) | unbalanced | mixed_indents


def _read_imports(
    source: bytes, code: bytes, spellings: int, names_calls: bool
) -> tuple[frozenset[str], frozenset[str]] | None:
    """The imports of `source`, whose strings and comments `code` blanks, in which "import"
    is spelt `spellings` times; `names_calls`: `source` names import_module or __import__.
    """
    modules: set[str] = set()
    relative: set[str] = set()
    importlib_froms = 0  # `from importlib import ...` statements
    known_lines = _KNOWN_LINES
    position = code.find(b"import") if spellings else -1
    while position >= 0:
        line_start = position if position == 0 or code[position - 1] == 10 else None
        if line_start is None:
            line_start = code.rfind(b"\n", 0, position) + 1
        line_end = code.find(b"\n", position)
        if line_end < 0:
            line_end = len(code)
        continued = line_start >= 2 and code[line_start - 2] == 92  # after a backslash
        line = read = None
        if not continued and line_end - line_start <= _LONGEST_KNOWN_LINE:
            line = code[line_start:line_end]
            read = known_lines.get(line)
        if read is None:
            read = _read_line(code, line_start, position, line_end, continued)
            if read is None:
                return None
            if line is not None and read[4]:
                if len(known_lines) > 20_000:
                    known_lines.clear()
                known_lines[line] = read
        line_modules, line_relative, line_importlib_froms, line_spellings, _ = read
        modules.update(line_modules)
        if line_relative:
            relative.update(line_relative)
        importlib_froms += line_importlib_froms
        spellings -= line_spellings
        position = code.find(b"import", line_end) if spellings else -1  # none past the last
    if names_calls:
        calls = _dynamic_imports(source, code, importlib_froms)
        if calls is None:
            return None
        for name in calls:
            (relative if name.startswith(".") else modules).add(name)
    return frozenset(modules), frozenset(relative)


def _read_line(code: bytes, line_start: int, position: int, line_end: int, continued: bool):
    """(modules, relative, `from importlib` statements, spellings of "import", whether the
    line alone decides) of the import statements whose keywords are on this line, from
    `position` (its first "import") on; None if one does not read cleanly.

    The line alone decides when every statement read as a usual one-line statement: then
    the same line (not continuing the one before) reads the same in any file.
    """
    modules: set[str] = set()
    relative: set[str] = set()
    importlib_froms = spellings = 0
    alone = not continued
    while position >= 0:
        spellings += 1
        end = position + 6
        if not (
            (position and code[position - 1] in _NAME_BYTES)
            or (end < len(code) and code[end] in _NAME_BYTES)
        ):
            module = None
            if not continued:
                module = _read_simple_statement(code, line_start, position, modules, relative)
            if module is None:
                alone = False
                module = _read_statement(code, position, modules, relative)
            if module is None:
                return None
            importlib_froms += module == "importlib"
        position = code.find(b"import", end, line_end)
    return tuple(modules), tuple(relative), importlib_froms, spellings, alone


def _read_simple_statement(
    code: bytes, line_start: int, position: int, modules: set[str], relative: set[str]
):
    """`_read_statement` for the usual one-line statements (a quick regex), else None;
    the line must not continue the one before."""
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
    """Signs of source Python 3.11 cannot parse, but for `_NOT_PYTHON_3_11`'s; a false
    alarm only costs an `ast.parse`."""
    if not code.isascii():
        return True  # a non-ASCII identifier (rare), or a character Python rejects
    checked = code.translate(None, _UNCHECKED_BYTES)
    if checked.translate(None, _ALLOWED_CHECKED_BYTES):
        return True  # a quote the string pattern could not close, or a stray character
    count = checked.count
    if count(b"\\") != count(b"\\\n") or count(b"!") != count(b"!="):
        return True
    if _unbalanced(checked):
        return True
    if b"<>" in code or b"<<<<<<<" in code or b"{%" in code:
        return True
    return b"\n\t" in code and b"\n " in code  # indented with tabs and with spaces


def _unbalanced(code: bytes) -> bool:
    """Brackets opened and closed in different numbers (quickest over the checked bytes)."""
    checked = code.translate(None, _UNCHECKED_BYTES)
    count = checked.count
    return count(b"(") != count(b")") or count(b"[") != count(b"]") or count(b"{") != count(b"}")


_CALLEE_PREFIX = re.compile(rb"(?:(?<![\w.\x80-\xff])(?P<owner>[A-Za-z_]\w*)\s*)?\.\s*\Z")
_SPACES = re.compile(rb"\s*")
_PARENTHESISED_CALLEE = re.compile(rb"\)\s*\(")
_PARENTHESES = re.compile(rb"[()]")
_FSTRING_PREFIX = re.compile(rb"[fF][rR]?\x00|[rR][fF]\x00")
_IMPORTLIB_AS = re.compile(rb"importlib\s+as(?!\w)")
_FROM_IMPORTLIB = re.compile(
    rb"from(?<![\w.]from)[ \t]+importlib[ \t]+import[ \t]*(?P<targets>\([^)]*\)|(?:[^\n;\\]|\\\n)*)"
)


def _dynamic_imports(source: bytes, code: bytes, importlib_froms: int) -> list[str] | None:
    """Literal names of import_module/__import__ calls in `code`, None when unsure.

    Only each call is parsed, its blanked strings put back. What the reference sees
    through bindings is followed like it: `importlib.import_module(...)`, the names
    `from importlib import import_module [as name]` binds, `__import__(...)`. Anything
    less plain is left to `ast`: an alias of importlib, a parenthesised callee, these
    names inside an f-string, a `from importlib` statement this could not read.
    """
    if _IMPORTLIB_AS.search(code):
        return None
    bound: set[bytes] = set()
    statements = []
    for statement in _FROM_IMPORTLIB.finditer(code):
        statements.append(statement.span())
        targets = statement["targets"].replace(b"\\\n", b" ").replace(_BLANK, b" ")
        for item in targets.translate(None, b"()").split(b","):
            words = item.split()
            if words[:1] == [b"import_module"]:
                bound.add(words[2] if len(words) == 3 and words[1] == b"as" else words[0])
    if len(statements) != importlib_froms:
        return None
    names = (b"import_module", b"__import__", *bound)
    callees = b"|".join(  # each name first, then the lookbehind: see `_NOT_PYTHON_3_11`
        rb"%s(?<![\w\x80-\xff]%s)" % (name, name) for name in map(re.escape, names)
    )
    callee_pattern = re.compile(rb"(?:%s)(?![\w\x80-\xff])" % callees)
    blanked = _Blanked(source, code)
    # Only a name spelt more often in the source than in its code (so in a string or a
    # comment) can be in an f-string.
    if any(source.count(name) > code.count(name) for name in names):
        for fstring in _FSTRING_PREFIX.finditer(code):
            if callee_pattern.search(blanked.at(fstring.end() - 1)):
                return None  # a call inside an f-string's braces, perhaps
    names = []
    for callee in callee_pattern.finditer(code):
        if any(start <= callee.start() < end for start, end in statements):
            continue
        opening = _SPACES.match(code, callee.end()).end()
        if _PARENTHESISED_CALLEE.match(code, opening):
            return None  # perhaps `(import_module)(...)`
        if code[opening : opening + 1] != b"(":
            continue
        word = callee.group()
        prefix = _CALLEE_PREFIX.search(code, max(0, callee.start() - 200), callee.start())
        if prefix is None:
            counted, dunder = word in bound or word == b"__import__", word not in bound
        elif prefix["owner"] is None:
            return None  # perhaps `(importlib).import_module(...)`
        else:
            counted, dunder = word == b"import_module" and prefix["owner"] == b"importlib", False
        closing = _closing_parenthesis(code, opening) if counted else None
        if closing is None or _BLANK not in code[opening:closing]:
            continue  # not an import, or no literal argument
        name = _call_literal_name(code, opening, closing, blanked, dunder)
        if name is False:
            return None
        if name is not None:
            names.append(name)
    return names


class _Blanked:
    """The texts of the strings and comments blanked in `code`, found by position."""

    def __init__(self, source: bytes, code: bytes):
        self.source, self.code = source, code
        self.texts: list[bytes] | None = None
        self.counted_to = self.count = 0

    def at(self, position: int) -> bytes:
        """The text of the blank at `position` (quickest read left to right)."""
        if self.texts is None:
            self.texts = _STRINGS_AND_COMMENTS.findall(self.source)
        if position < self.counted_to:
            self.counted_to = self.count = 0
        self.count += self.code.count(_BLANK, self.counted_to, position)
        self.counted_to = position
        return self.texts[self.count]


def _closing_parenthesis(code: bytes, opening: int) -> int | None:
    depth = 0
    for parenthesis in _PARENTHESES.finditer(code, opening):
        depth += 1 if parenthesis.group() == b"(" else -1
        if depth == 0:
            return parenthesis.start()
    return None


def _call_literal_name(code: bytes, opening: int, closing: int, blanked: _Blanked, dunder: bool):
    """The imported name of the call with these parentheses; False if it won't parse."""
    pieces = code[opening : closing + 1].split(_BLANK)
    restored = [b"f", pieces[0]]
    position = opening + len(pieces[0])
    for piece in pieces[1:]:
        restored += (blanked.at(position), piece)
        position += 1 + len(piece)
    try:
        expression = b"".join(restored).decode("utf-8", "surrogatepass")
        call = ast.parse(expression, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return imported_name(call, dunder=dunder) if isinstance(call, ast.Call) else False


def imported_name(call: ast.Call, *, dunder: bool) -> str | None:
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
