"""Download a dump over HTTP(S) into a cache folder, asking the server only for changes.

The cached copy keeps the response's ETag and Last-Modified beside it; the next fetch
sends them back (If-None-Match, If-Modified-Since), and a 304 answer means the cached
copy is current: nothing is downloaded. A download is written to `<name>.part` and
renamed only once every byte announced has arrived, so a transfer that stops half-way
leaves the cache as it was, and the next run downloads again from the start.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from uptake.errors import RateLimitedError, SourceError

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Download:
    """The cached file for a URL and what the server said about it."""

    url: str
    path: Path
    etag: str | None
    last_modified: str | None
    not_modified: bool  # the server answered 304: the cached copy is current


def cache_folder(warehouse_path: str | Path) -> Path:
    """Where downloaded dumps live: `cache/papers_with_code/` next to the warehouse file."""
    return Path(warehouse_path).resolve().parent / "cache" / "papers_with_code"


def fetch_dump(url: str, cache: Path, *, timeout: float = 60.0) -> Download:
    """GET `url` into `cache` unless the cached copy is current.

    HTTP 429 raises RateLimitedError and other 4xx SourceError (no use retrying); network
    failures, 5xx and a transfer that stops early raise OSError, which callers may retry.
    """
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / _cache_name(url)
    meta_path = target.with_name(target.name + ".meta.json")
    meta = _read_meta(meta_path) if target.exists() else {}
    headers = {"User-Agent": "uptake"}
    if meta.get("etag"):
        headers["If-None-Match"] = meta["etag"]
    if meta.get("last_modified"):
        headers["If-Modified-Since"] = meta["last_modified"]
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) only)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Download(url, target, meta.get("etag"), meta.get("last_modified"), True)
        if exc.code == 429:
            raise RateLimitedError(f"{url} answered HTTP 429 (rate limited)") from None
        if 400 <= exc.code < 500:
            raise SourceError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
        raise OSError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    with response:
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        _save(url, response, target)
    # The validators are written only once the file is complete and in place.
    meta_path.write_text(json.dumps({"url": url, "etag": etag, "last_modified": last_modified}))
    return Download(url, target, etag, last_modified, False)


def _save(url: str, response, target: Path) -> None:
    part = target.with_name(target.name + ".part")
    announced = response.headers.get("Content-Length")
    received = 0
    try:
        with open(part, "wb") as out:
            while chunk := response.read(CHUNK_BYTES):
                out.write(chunk)
                received += len(chunk)
        if announced is not None and received != int(announced):
            raise OSError(
                f"{url}: the download stopped after {received:,} of {int(announced):,} bytes"
            )
    except http.client.HTTPException as exc:
        part.unlink(missing_ok=True)
        raise OSError(f"{url}: the download stopped after {received:,} bytes ({exc!r})") from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, target)


def _cache_name(url: str) -> str:
    """A stable file name per URL: a digest of the URL plus its last path segment."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(urlsplit(url).path).name)[-80:] or "dump"
    return f"{digest}-{base}"


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
