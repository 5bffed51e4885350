"""Hugging Face Hub: new models per framework tag, into raw.hf_models.

Each tag (`pytorch`, `tf`, `jax`, ...) is listed newest first (`GET /api/models?filter=TAG
&sort=createdAt&direction=-1&limit=1000&expand=...`), following the `Link: rel="next"`
header, and stops at the newest model an earlier listing of the tag saw (minus an
overlap), so a re-run fetches only new models.

Requests go through huggingface_hub's HTTP session, headers and error type
(`hf_raise_for_status` -> `HfHubHTTPError`, whose `.response` has the status and
`Retry-After`), but not through `HfApi.list_models`: its pager retries 408/429/5xx up to
five times inside the generator with its own `time.sleep`, which cannot be bounded, shared
with our backoff or replaced in tests, and it sends no timeout. The token is read from
$HF_TOKEN only (never the machine's saved token) and sent in a header, never stored.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx2
from huggingface_hub import get_session, hf_raise_for_status
from huggingface_hub.errors import HfHubHTTPError

from uptake import __version__
from uptake.errors import SourceError
from uptake.sources.backoff import retries_exhausted, retry_wait
from uptake.sources.unicode_text import invalid_text
from uptake.warehouse import Warehouse

SOURCE = "huggingface_hub"
ENDPOINT_ENV = "HF_ENDPOINT"
TOKEN_ENV = "HF_TOKEN"
DEFAULT_ENDPOINT = "https://huggingface.co"
PAGE_SIZE = 1000  # the most the Hub serves per page
EXPAND = ("createdAt", "tags", "library_name", "downloads")
# Re-list a day before the newest model already held: the Hub's search index can show a
# model some time after its createdAt, and the overlap only costs a few pages.
DEFAULT_OVERLAP = timedelta(days=1)
DEFAULT_RETRY_DELAYS = (1, 2, 4, 8)
TIMEOUT_S = 30.0

Sleep = Callable[[float], object]


@dataclass(frozen=True)
class HubModel:
    model_id: str
    created_at: datetime  # UTC, naive
    tags: tuple[str, ...]
    library_name: str | None
    downloads: int | None
    tag: str  # the framework tag it was listed under


@dataclass
class TagListing:
    """One tag listed newest first: its models, the items it could not read, pages requested."""

    tag: str
    listed_at: datetime
    models: list[HubModel] = field(default_factory=list)
    rejects: list[tuple[str, str]] = field(default_factory=list)
    pages: int = 0


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The argument, else $HF_ENDPOINT, else huggingface.co; without a trailing '/'."""
    url = (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"Hugging Face Hub endpoint must be http(s): {url!r}")
    return url


def study_framework_tags(warehouse: Warehouse) -> list[str]:
    """The Hub tags to list: the study's Papers with Code framework labels (synced to meta)."""
    rows = warehouse.con.execute(
        "select distinct framework from meta.study_pwc_frameworks order by framework"
    ).fetchall()
    return [framework for (framework,) in rows]


def list_models_since(
    tag: str,
    since: datetime | None = None,
    *,
    endpoint: str | None = None,
    page_size: int = PAGE_SIZE,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = time.sleep,
) -> TagListing:
    """Models carrying `tag` created at or after `since` (all when None), newest first."""
    base = resolve_endpoint(endpoint)
    listing = TagListing(tag, _utcnow())
    headers = _request_headers(os.environ.get(TOKEN_ENV))  # never the machine's saved token
    url: str | None = f"{base}/api/models"
    params = [("filter", tag), ("sort", "createdAt"), ("direction", "-1"), ("limit", page_size)]
    params += [("expand", prop) for prop in EXPAND]
    previous: datetime | None = None
    while url is not None:
        if not _same_origin(url, base):  # the token travels in a header on every page
            raise SourceError(f"the Hub's next-page link {url} leaves {base}; refusing to follow")
        items, url = _get_page(url, params, headers, retry_delays, sleep)
        params, listing.pages = None, listing.pages + 1  # the next link carries the query
        for n, item in enumerate(items):
            model = _parse_model(item, tag)
            if isinstance(model, str):
                name = item.get("id") if isinstance(item, dict) else None
                name = name if isinstance(name, str) else f"{tag} page {listing.pages} item {n + 1}"
                listing.rejects.append((name, model))
                continue
            if previous is not None and model.created_at > previous:
                raise SourceError(
                    f"the Hub listed {tag!r} out of createdAt order at {model.model_id};"
                    " cannot list incrementally"
                )
            if since is not None and model.created_at < since:
                return listing  # older than what is held: stop, request no further page
            previous = model.created_at
            listing.models.append(model)
    return listing


def load_hf_models(
    warehouse: Warehouse,
    tags: Iterable[str] | None = None,
    *,
    endpoint: str | None = None,
    overlap: timedelta = DEFAULT_OVERLAP,
    page_size: int = PAGE_SIZE,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = time.sleep,
) -> dict:
    """List each tag's new models, then upsert them all in one short journaled load.

    `tags` defaults to the study's framework labels. A tag that fails (rate limited on
    every retry, bad JSON) is a reject, loads nothing and keeps its previous listing
    mark; the other tags still load.
    """
    if tags is None:
        tags = study_framework_tags(warehouse)
    tags = sorted({t.lower() for t in tags})
    if not tags:
        raise SourceError(
            "no Hub tags to list: meta.study_pwc_frameworks is empty (sync the study)"
        )
    base = resolve_endpoint(endpoint)
    newest = dict(
        warehouse.con.execute("select tag, newest_created_at from raw.hf_tag_listings").fetchall()
    )
    fetch = partial(
        list_models_since,
        endpoint=base,
        page_size=page_size,
        retry_delays=retry_delays,
        sleep=sleep,
    )
    listings: list[TagListing] = []
    failures: list[tuple[str, str]] = []
    for tag in tags:
        try:
            listings.append(fetch(tag, newest[tag] - overlap if newest.get(tag) else None))
        except SourceError as exc:
            failures.append((tag, str(exc)))
    models: dict[str, HubModel] = {}  # one row per model: the first tag (sorted) names it
    for listing in listings:
        for model in listing.models:
            models.setdefault(model.model_id, model)
    parameters = {"tags": tags, "endpoint": base, "overlap_s": overlap.total_seconds()}
    with warehouse.load(SOURCE, parameters) as load:
        loaded_at = _utcnow()
        for tag, reason in failures:
            load.reject(tag, reason)
        for listing in listings:
            for item, reason in listing.rejects:
                load.reject(item, reason)
        load.rows_loaded = _upsert_models(warehouse, list(models.values()), load.load_id, loaded_at)
        _mark_listings(warehouse, listings, load.load_id, loaded_at)
    return {
        **load.summary(),
        "tags_loaded": [listing.tag for listing in listings],
        "models_by_tag": {listing.tag: len(listing.models) for listing in listings},
    }


def _request_headers(token: str | None) -> dict[str, str]:
    """Our own headers: huggingface_hub's build_hf_headers fetches a registry from
    huggingface.co (whatever the endpoint) and caches it under ~/.cache to fill in the
    User-Agent, a request and a file this source must not make."""
    headers = {"user-agent": f"uptake/{__version__}"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return headers


def _get_page(url, params, headers, retry_delays, sleep) -> tuple[list, str | None]:
    """One page's items and the next page's URL; retries 429, 5xx and network errors."""
    attempts = len(retry_delays) + 1
    for attempt in range(attempts):
        retry_after = None
        try:
            response = get_session().get(url, params=params, headers=headers, timeout=TIMEOUT_S)
            hf_raise_for_status(response)
            return _decode(response), response.links.get("next", {}).get("url")
        except HfHubHTTPError as exc:
            status = exc.response.status_code
            if not (status in (408, 429) or 500 <= status <= 599):
                raise SourceError(
                    f"the Hub refused: {exc.response.url} answered HTTP {status}"
                ) from None
            retry_after = exc.response.headers.get("Retry-After")
        except httpx2.TransportError as exc:
            status = f"network error ({type(exc).__name__}: {exc})".replace("\n", " ")
        if attempt < len(retry_delays):
            sleep(retry_wait(retry_delays[attempt], retry_after))
    raise retries_exhausted("the Hub", url, status, attempts)


def _decode(response: httpx2.Response) -> list:
    try:
        payload = response.json()
    except ValueError as exc:
        raise SourceError(
            f"bad JSON from {response.url} (HTTP 200): {exc}".replace("\n", " ")
        ) from None
    except RecursionError:
        raise SourceError(f"bad JSON from {response.url} (HTTP 200): nested too deep") from None
    if not isinstance(payload, list):
        raise SourceError(f"unexpected JSON from {response.url} (HTTP 200): not a list of models")
    return payload


def _parse_model(item: object, tag: str) -> HubModel | str:
    """The model, or why it cannot be read."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return f"no model id in {item!r:.80}"
    tags, downloads = item.get("tags", []), item.get("downloads")
    try:
        created = datetime.fromisoformat(item["createdAt"])
    except (KeyError, TypeError, ValueError):
        return f"no valid createdAt: {item.get('createdAt')!r:.40}"
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return f"tags is not a list of strings: {tags!r:.80}"
    if downloads is not None and type(downloads) is not int:
        return f"downloads is not an integer: {downloads!r:.40}"
    library_name = item.get("library_name")
    bad_text = invalid_text([item["id"], tags, library_name])
    if bad_text is not None:
        return f"text that is not valid Unicode: {bad_text!r}"
    return HubModel(
        model_id=item["id"],
        created_at=created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created,
        tags=tuple(sys.intern(t) for t in tags),  # a few hundred distinct tags repeat
        library_name=library_name if isinstance(library_name, str) else None,
        downloads=downloads,
        tag=tag,
    )


def _same_origin(url: str, base: str) -> bool:
    return urllib.parse.urlsplit(url)[:2] == urllib.parse.urlsplit(base)[:2]


def _upsert_models(warehouse, models: list[HubModel], load_id: str, loaded_at: datetime) -> int:
    if not models:
        return 0
    columns = zip(
        *(
            (m.model_id, m.created_at, list(m.tags), m.library_name, m.downloads, m.tag)
            for m in models
        ),
        strict=True,
    )
    warehouse.con.execute(
        "insert into raw.hf_models (model_id, created_at, tags, library_name, downloads,"
        " first_seen_tag, load_id, loaded_at)"
        " select unnest(?::varchar[]), unnest(?::timestamp[]), unnest(?::varchar[][]),"
        " unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::varchar[]), ?, ?"
        " on conflict (model_id) do update set created_at = excluded.created_at,"
        " tags = excluded.tags, library_name = excluded.library_name,"
        " downloads = excluded.downloads, load_id = excluded.load_id, loaded_at = excluded.loaded_at",
        [*map(list, columns), load_id, loaded_at],
    )
    return len(models)


def _mark_listings(warehouse, listings: list[TagListing], load_id: str, loaded_at: datetime):
    for listing in listings:
        newest = max((m.created_at for m in listing.models), default=None)
        warehouse.con.execute(
            "insert into raw.hf_tag_listings values (?, ?, ?, ?, ?) on conflict (tag) do update"
            " set listed_at = excluded.listed_at, load_id = excluded.load_id,"
            " loaded_at = excluded.loaded_at, newest_created_at ="
            " greatest(hf_tag_listings.newest_created_at, excluded.newest_created_at)",
            [listing.tag, listing.listed_at, newest, load_id, loaded_at],
        )


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
