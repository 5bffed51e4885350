"""The import extractor: each construct, and each kind of file it must degrade on."""

import json
import random
import textwrap

import pytest

from uptake.mining import import_scanner
from uptake.mining.imports import (
    ExtractedImports,
    extract_imports,
    extract_many,
    technologies_for,
)


def extract(source: str | bytes, path: str = "module.py") -> ExtractedImports:
    content = source.encode() if isinstance(source, str) else source
    return extract_imports(content, path)


def imports(source: str) -> tuple[set[str], set[str]]:
    """(modules, relative) of `source`, which must be read as valid Python."""
    result = extract(textwrap.dedent(source))
    assert result.method == "ast", result.reason
    return set(result.modules), set(result.relative)


CONSTRUCTS = {
    "import with alias": ("import a.b as c", {"a.b"}, set()),
    "import several": ("import a, b", {"a", "b"}, set()),
    "alias then plain": ("import a as b, c", {"a", "c"}, set()),
    "spaces around dots": ("import a . b", {"a.b"}, set()),
    "from module": ("from a.b import c", {"a.b"}, set()),
    "from with parentheses": ("from x.y import (a,\n    b,\n)", {"x.y"}, set()),
    "from star": ("from os.path import *", {"os.path"}, set()),
    "from dot": ("from . import x", set(), {"."}),
    "from dot, no space": ("from .import x", set(), {"."}),
    "from dot module": ("from .m import y", set(), {".m"}),
    "from parent package": ("from ..pkg import z", set(), {"..pkg"}),
    "from ellipsis": ("from ...a.b import z", set(), {"...a.b"}),
    "future": ("from __future__ import annotations", {"__future__"}, set()),
    "semicolons": ("import a; import b; x = 1; from c import d", {"a", "b", "c"}, set()),
    "one-line if": ("if x: import y", {"y"}, set()),
    "one-line else": ("if x: pass\nelse: import z", {"z"}, set()),
    "backslash in import": ("import a, \\\n    b", {"a", "b"}, set()),
    "backslash in from": ("from a \\\n    import b", {"a"}, set()),
    "backslash before": ("x = 1; \\\nimport q", {"q"}, set()),
    "comment after": ("import a  # from b import c", {"a"}, set()),
    "keywords as module parts": ("import match.case.type", {"match.case.type"}, set()),
    "identifiers containing import": ("importer = 1\nreimport = importlib_x", set(), set()),
}


@pytest.mark.parametrize("name", CONSTRUCTS)
def test_each_construct(name):
    source, modules, relative = CONSTRUCTS[name]

    found = imports(source)

    assert found == (modules, relative)


def test_imports_anywhere_in_the_file():
    source = """
        import os
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from torch import nn

        try:
            import ujson as json
        except ImportError:
            import json
        else:
            import extra
        finally:
            import cleanup

        @decorator(arg=1)
        def f():
            import numpy as np
            from .local import helper

        class C:
            import tensorflow.compat.v1 as tf

            def m(self):
                if sys.version_info >= (3, 11):
                    import tomllib
                while True:
                    with lock:
                        from pandas.io import sql
        async def g():
            import aiohttp
        match command:
            case "x":
                import matched
    """

    found = imports(source)

    assert found == (
        {
            "os", "typing", "torch", "ujson", "json", "extra", "cleanup", "numpy",
            "tensorflow.compat.v1", "tomllib", "pandas.io", "aiohttp", "matched",
        },
        {".local"},
    )  # fmt: skip


def test_strings_and_comments_mentioning_imports_give_nothing():
    source = '''
        """Module docstring.

        import fake_docstring
        from fake_docstring import x
        """
        import real
        # import fake_comment
        s = "import fake_double"
        t = 'from fake_single import y'
        u = """a \\""" import fake_escaped"""
        v = r'\\\\' ; import after_raw
        w = f"{x} import fake_fstring", b"import fake_bytes", rb"from fake import z"
        q = ("import fake_concat"
             "from fake import q")

        def f():
            """
            >>> import fake_doctest
            """
            return \'\'\'
        import fake_triple_single
        \'\'\'
    '''

    found = imports(source)

    assert found == ({"real", "after_raw"}, set())


DYNAMIC = {
    "importlib.import_module": ("import importlib\nimportlib.import_module('x.y')", {"x.y"}),
    "from importlib import import_module": (
        "from importlib import import_module\nimport_module('x')",
        {"x"},
    ),
    "import_module aliased": ("from importlib import import_module as im\nim('x')", {"x"}),
    "importlib aliased": ("import importlib as il\nil.import_module('x')", {"x"}),
    "__import__": ("__import__('x')", {"x"}),
    "__import__ with fromlist": ("__import__('x.y', globals(), locals(), ['z'], 0)", {"x.y"}),
    "concatenated literal": ("__import__('x' 'y')", {"xy"}),
    "in an f-string": ("s = f\"{__import__('os').sep}\"", {"os"}),
    "not a literal": ("import importlib\nimportlib.import_module(name)", set()),
    "f-string name": ("__import__(f'{name}')", set()),
    "bytes name": ("__import__(b'x')", set()),
    "not importlib's": ("import_module('x')\nself.import_module('y')", set()),
    "attribute of another": ("x.importlib.import_module('y')\nm.__import__('z')", set()),
    "parenthesised callee": ("(__import__)('x')", {"x"}),
}


@pytest.mark.parametrize("name", DYNAMIC)
def test_dynamic_imports_with_literal_names(name):
    source, expected = DYNAMIC[name]

    modules, relative = imports(source)

    assert modules - {"importlib"} == expected
    assert relative == set()


def test_relative_dynamic_imports():
    source = """
        import importlib
        importlib.import_module(".plugins", package=__name__)
        importlib.import_module(name="..base")
        __import__("sibling", globals(), locals(), [], 1)
        __import__("", level=2)
    """

    found = imports(source)

    assert found == ({"importlib"}, {".plugins", "..base", ".sibling", ".."})


def test_encoding_cookie_bom_and_line_endings():
    latin_1 = "# -*- coding: latin-1 -*-\n# café\nimport os\n".encode("latin-1")
    bom = b"\xef\xbb\xbfimport os\n"
    crlf = b"import a\r\nfrom b import c\r\n"
    old_mac = b"import a\r'''\rimport fake\r'''\rimport b\r"

    results = [extract(content) for content in (latin_1, bom, crlf, old_mac)]

    assert [r.method for r in results] == ["ast"] * 4
    assert [set(r.modules) for r in results] == [{"os"}, {"os"}, {"a", "b"}, {"a", "b"}]


def test_non_ascii_names_are_normalised_like_python():
    found = imports("import café\nimport ｔorch\n")

    assert found == ({"café", "torch"}, set())  # NFKC, as the parser does


REAL_PYTHON_2_FILE = '''\
#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Old style module.

import not_a_module
"""
import os, sys
import urllib2
from StringIO import StringIO

try:
    import cPickle as pickle
except ImportError, e:
    import pickle


def main(argv):
    print "usage: %s" % argv[0]
    print >>sys.stderr, "import nothing"
    exec "x = 1"
    if {}.has_key('a'):
        raise ValueError, "bad"
    return 0777


class Old(object):
    def __unicode__(self):
        return ur"old" + `self`
'''


def test_a_real_python_2_file_falls_back_with_the_reason():
    result = extract(REAL_PYTHON_2_FILE)

    assert result == ExtractedImports(
        modules=frozenset({"os", "sys", "urllib2", "StringIO", "cPickle", "pickle"}),
        relative=frozenset(),
        method="fallback",
        reason="python 2 octal literal line 23",  # the tokenizer's error comes first
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import a\nprint 'x'\n", "python 2 print statement line 2"),
        ("import a\nexec 'x'\n", "python 2 exec statement line 2"),
        ("import a\nx = 0777\n", "python 2 octal literal line 2"),
        ("import a\nx = `a`\n", "python 2 syntax line 2"),
        ("import a\nif 1 <> 2: pass\n", "python 2 syntax line 2"),
        ("import a\nif x:\n\ty = 1\n        z = 2\n", "inconsistent tabs and spaces line 4"),
        ("import a\ns = '''never closed\nimport b\n", "syntax error line 2"),
        (
            "import a\n<<<<<<< HEAD\nimport b\n=======\nimport c\n>>>>>>> main\n",
            "syntax error line 2",
        ),
        ("import a\n{% if x %}\nimport b\n{% endif %}\n", "syntax error line 2"),
    ],
)
def test_syntax_errors_fall_back_with_the_reason(source, reason):
    result = extract(source)

    assert (result.method, result.reason) == ("fallback", reason)
    assert "a" in result.modules


@pytest.mark.parametrize(
    "source",
    ["import a\nx = = 1\n", "import a\nx = " + "(" * 300 + ")" * 300 + "\n", "import a\nif x:\n"],
)
def test_syntax_errors_no_fast_check_sees_keep_method_ast(source):
    """The price of not parsing every file: an error with none of the signs the fast
    path checks for (a misplaced operator, 300 nested brackets, a missing block) is
    not noticed. The imports are still exactly what the import statements say."""
    result = extract(source)

    assert result == ExtractedImports(frozenset({"a"}), frozenset(), "ast")


def test_the_fallback_scanner_reads_what_it_can():
    source = (
        "import a, \\\n    b\n"
        "x = 1; from c.d import e\n"
        "if y: import f\n"
        "'''\nimport not_this\n'''\n"
        "s = 'import nor_this'  # import nor_that\n"
        "from . import g\n"
        "from ..h import i\n"
        "importlib.import_module('j.k')\n"
        "print 'the file is Python 2'\n"
    )

    result = extract(source)

    assert result.method == "fallback"
    assert set(result.modules) == {"a", "b", "c.d", "f", "j.k"}
    assert set(result.relative) == {".", "..h"}


def test_a_binary_file_named_py_is_skipped():
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(4).randbytes(4096)

    result = extract(content, "logo.py")

    assert result == ExtractedImports(frozenset(), frozenset(), "skipped", "binary content")


def test_a_50_mb_file_is_skipped_by_the_default_limit():
    content = b"import os\n" + b"x = 1\n" * (50 * 1024 * 1024 // 6)

    result = extract(content, "huge.py")

    assert result == ExtractedImports(
        frozenset(), frozenset(), "skipped", f"over size limit ({len(content)} bytes)"
    )


def test_the_size_limit_is_a_parameter():
    assert extract_imports(b"import os\n", "a.py", max_bytes=5).method == "skipped"
    assert extract_imports(b"import os\n", "a.py", max_bytes=10).method == "ast"


def test_null_bytes_fall_back():
    result = extract(b"import os\x00\nfrom sys import path\n")

    assert result == ExtractedImports(
        frozenset({"os", "sys"}), frozenset(), "fallback", "null bytes"
    )


def test_latin_1_without_a_cookie_falls_back():
    content = "# café\nimport os\nname = 'café'\n".encode("latin-1")

    result = extract(content)

    assert result == ExtractedImports(
        frozenset({"os"}), frozenset(), "fallback", "not utf-8 (decoded as latin-1)"
    )


def test_other_encoding_problems_fall_back():
    utf_16 = "import os\n".encode("utf-16")
    bad_cookie = b"# coding: no-such-codec\nimport os\n"

    results = [extract(utf_16), extract(bad_cookie)]

    assert [(r.method, set(r.modules)) for r in results] == [("fallback", {"os"})] * 2
    assert results[0].reason == "utf-16 encoded (Python reads utf-8)"
    assert results[1].reason.startswith("bad coding cookie")


def test_a_batch_reads_each_file_as_it_is_read_alone():
    notebook = {"cells": [{"cell_type": "code", "source": "import torch"}], "metadata": {}}
    files = [
        (b"import os\nfrom . import x\n", "plain.py"),
        (b"# coding: latin-1\nimport os\n", "ascii_with_cookie.py"),
        ("# -*- coding: latin-1 -*-\n# café\nimport os\n".encode("latin-1"), "latin1.py"),
        (b"# coding: no-such-codec\nimport os\n", "bad_cookie.py"),
        (b"import a\r\nfrom b import c\r\n", "crlf.py"),
        ("import os\n".encode("utf-16"), "utf16.py"),
        (b"import os\x00\nimport sys\n", "null.py"),
        (b"\x00\x01\x02" * 100, "binary.py"),
        (b"print 'python 2'\nimport os\n", "python2.py"),
        (b"def f[T](x): import os\n", "python_3_12.py"),
        (b'"""\nimport fake\n"""\nimport real\n', "docstring.py"),
        (b"x = 'caf\xc3\xa9'\nimport os\n", "utf8_string.py"),
        (json.dumps(notebook).encode(), "notebook.ipynb"),
        (b"import os\n" * 20, "oversized.py"),
    ]

    batch = extract_many(files, max_bytes=100)

    assert batch == [extract_imports(content, path, max_bytes=100) for content, path in files]
    assert [r.method for r in batch[:3]] == ["ast"] * 3
    assert batch[-1].method == "skipped"


@pytest.mark.parametrize(
    "content", [b"", b"\n", b"\xff\xfe", b"\xef\xbb\xbf", b"\\", b"'''", b"import", b"\x00"]
)
def test_odd_content_never_raises(content):
    for path in ("a.py", "a.ipynb"):
        assert extract(content, path).method in {"ast", "fallback", "skipped"}


def notebook(cells: list, metadata: dict | None = None) -> bytes:
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells}
    return json.dumps(document).encode()


def code_cell(source) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": []}


def test_a_notebook_with_magics_and_pip_install():
    content = notebook(
        [
            {"cell_type": "markdown", "source": ["import markdown_is_not_code\n"]},
            code_cell(["!pip install torch\n", "%matplotlib inline\n", "import torch\n"]),
            code_cell("%%time\nfrom torchvision import models\nimport numpy as np"),
            code_cell("%%bash\npip install tensorflow\nimport not_python\n"),
            code_cell(["for i in range(3):\n", "    !echo $i\n", "    %time f(i)\n"]),
            code_cell(["x = ('%s'\n", "     % 'not a magic')\n", "import pandas\n"]),
            code_cell([]),
        ],
        {"kernelspec": {"language": "python", "name": "python3"}},
    )

    result = extract(content, "analysis.ipynb")

    assert result == ExtractedImports(
        frozenset({"torch", "torchvision", "numpy", "pandas"}), frozenset(), "ast"
    )


def test_a_version_3_notebook():
    content = json.dumps(
        {
            "nbformat": 3,
            "metadata": {"name": ""},
            "worksheets": [
                {
                    "cells": [
                        {"cell_type": "code", "input": ["import keras\n"], "language": "python"}
                    ]
                }
            ],
        }
    ).encode()

    result = extract(content, "old.ipynb")

    assert (result.method, set(result.modules)) == ("ast", {"keras"})


def test_a_notebook_cell_that_does_not_parse_falls_back_alone():
    content = notebook([code_cell("import torch"), code_cell("print 'hi'"), code_cell("import os")])

    result = extract(content, "py2.ipynb")

    assert result == ExtractedImports(
        frozenset({"torch", "os"}),
        frozenset(),
        "fallback",
        "cell 2: python 2 print statement line 1",
    )


def test_notebook_cells_that_only_parse_one_by_one_are_exact():
    content = notebook([code_cell("import os"), code_cell("from __future__ import annotations")])

    result = extract(content, "future.ipynb")

    assert result == ExtractedImports(frozenset({"os", "__future__"}), frozenset(), "ast")


def test_an_invalid_notebook_falls_back_on_its_strings():
    content = b'{"cells": [{"cell_type": "code", "source": ["import torch\\n", "from keras import layers\\n"'

    result = extract(content, "broken.ipynb")

    assert result == ExtractedImports(
        frozenset({"torch", "keras"}), frozenset(), "fallback", "invalid notebook JSON"
    )


def test_a_notebook_in_another_language_is_skipped():
    content = notebook([code_cell("library(torch)")], {"kernelspec": {"language": "R"}})

    result = extract(content, "r.ipynb")

    assert result == ExtractedImports(frozenset(), frozenset(), "skipped", "notebook language is r")


def test_roots_and_technologies():
    result = extract("import tensorflow.compat.v1 as tf\nfrom torch.nn import Linear\nimport os")
    import_roots = {"torch": "pytorch", "tensorflow": "tensorflow", "keras": "tensorflow"}

    assert result.roots == {"tensorflow", "torch", "os"}
    assert technologies_for(result.roots, import_roots) == {"pytorch", "tensorflow"}
    assert technologies_for(["tensorflow.compat.v1", "keras"], import_roots) == {"tensorflow"}
    assert technologies_for([".torch", "..keras", "."], import_roots) == frozenset()


@pytest.mark.parametrize(
    "source",
    [
        "import os\nfrom a import b\n",
        '"""import fake"""\nimport real\n',
        "import importlib\nimportlib.import_module('x')\n",
    ],
)
def test_the_fast_path_reads_ordinary_files_without_parsing(source):
    assert import_scanner.scan(source.encode()) is not None


@pytest.mark.parametrize(
    "source",
    [
        "import importlib as il\nil.import_module('x')\n",  # an alias: ast follows it
        "s = f\"{__import__('os').sep}\"\n",
        "import café\n",
        "print 'x'\n",
    ],
)
def test_the_fast_path_leaves_what_it_cannot_be_sure_of_to_ast(source):
    assert import_scanner.scan(source.encode()) is None


# The same lines in contexts that change what they mean: after a backslash continuation
# (`import b` there ends `from a import b`) or before one, two statements on a line, a
# file that fails the syntax checks, no final newline, a one-line `if`, `from importlib`.
SHARED_LINES = [
    "import b\n",
    "import a, \\\n    b\n",
    "import a, \\\n    c\n",
    "from a \\\nimport b\n",
    "x = 1 + \\\nimport b\n",
    "from x import y\n",
    "from x import y; import z\n",
    "import z; from x import y\n",
    "from x import y\nprint 'python 2'\n",
    "from x import y\nimport b",
    "if x: import b\n",
    "import importlib\nfrom importlib import import_module\nimport_module('m')\n",
    "from importlib import import_module\n",
    "from importlib import import_module\nimport_module('m')\n",
]


@pytest.mark.parametrize("order", [1, -1])
def test_remembered_import_lines_read_as_in_a_fresh_scan(order):
    fresh = []
    for source in SHARED_LINES:
        import_scanner._KNOWN_LINES.clear()
        fresh.append(extract(source))
    files = [(source.encode(), "shared.py") for source in SHARED_LINES[::order]]

    for _ in range(2):  # the second time, every line that may be is remembered
        assert extract_many(files) == fresh[::order]
    assert fresh[3] == ExtractedImports(frozenset({"a"}), frozenset(), "ast")
    assert fresh[2].modules == {"a", "c"}
    assert fresh[6].modules == {"x", "z"} == fresh[7].modules
    assert fresh[13].modules == {"importlib", "m"}
