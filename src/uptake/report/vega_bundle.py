"""The Vega, Vega-Lite and Vega-Embed scripts, bundled for inlining into a report.

vl-convert carries the libraries and bundles them on request, which takes seconds, so
the bundle is cached per vl-convert and Vega-Lite version in the user's cache folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import vl_convert
from altair.utils._importers import vl_version_for_vl_convert


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "uptake"


def vega_embed_bundle() -> str:
    """One script defining window.vegaEmbed, vega and vegaLite, with no external fetches."""
    vl_version = vl_version_for_vl_convert()
    cached = cache_dir() / f"vega-embed-{vl_convert.__version__}-{vl_version}.js"
    try:
        return cached.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a report started meanwhile never reads half a bundle.
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=cached.parent, delete=False, suffix=".part"
        ) as part:
            part.write(bundle)
        os.replace(part.name, cached)
    except OSError:
        pass  # an unwritable cache only costs the next report the bundling time
    return bundle
