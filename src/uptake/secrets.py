"""Keeping credentials out of logs, errors, artifacts and the warehouse.

Tokens are read from the environment (or a Prefect Secret block) where they are used and
never passed around as parameters; `redact` is the last line of defence on any text that
leaves the process: error messages, load journal entries and artifacts.
"""

from __future__ import annotations

import os
import re

SECRET_ENV_VARS = ("GITHUB_TOKEN", "GH_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS_JSON", "HF_TOKEN")
_TOKEN_SHAPES = re.compile(
    r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|ya29\.[\w-]{20,})"
)
# A user or password before a URL's host, and query parameters that carry a credential
# (tokens, API keys, the signatures and credentials of pre-signed S3 and GCS URLs).
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s?#]+@")
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:access_token|token|api_key|apikey|key|password|secret|sig|signature"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature"
    r"|x-goog-credential)=)[^&#\s]+"
)


def redact(text: str) -> str:
    """`text` with every known secret value and token-shaped string replaced by '***'.

    Also storable: a lone surrogate (from a JSON escape or a file name that is not UTF-8)
    is written as its escape, since DuckDB refuses it and the refused journal write would
    hide the error or the reject being recorded.
    """
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= 6:
            text = text.replace(value, "***")
    credentials_file = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if credentials_file and os.path.isfile(credentials_file):
        text = _redact_key_material(text, credentials_file)
    text = _URL_USERINFO.sub("***@", text)
    text = _SECRET_QUERY.sub(r"\1***", text)
    return _TOKEN_SHAPES.sub("***", text)


def carries_credentials(text: str) -> bool:
    """True when `text` holds something `redact` hides: a URL's user or password, a
    credential in its query, a token, or the value of a secret environment variable."""
    if _URL_USERINFO.search(text) or _SECRET_QUERY.search(text) or _TOKEN_SHAPES.search(text):
        return True
    values = (os.environ.get(name) for name in SECRET_ENV_VARS)
    return any(value and len(value) >= 6 and value in text for value in values)


def _redact_key_material(text: str, credentials_file: str) -> str:
    import json

    try:
        with open(credentials_file, encoding="utf-8") as handle:
            credentials = json.load(handle)
    except (OSError, ValueError):
        return text
    # The account's e-mail is not secret by itself, but says whose key it is: it goes too.
    for key in ("private_key", "private_key_id", "client_secret", "refresh_token", "client_email"):
        value = credentials.get(key) if isinstance(credentials, dict) else None
        if not isinstance(value, str) or len(value) < 6:
            continue
        # The whole value, its JSON-escaped form, and each long line of a PEM key, so that
        # a key quoted in part or re-wrapped by some library is still caught.
        for variant in (value, value.replace("\n", "\\n"), *value.splitlines()):
            if len(variant) >= 16 or variant == value:
                text = text.replace(variant, "***")
    return text
