"""Headless Debian Chromium with every network path closed, for rendering report pages.

Console messages reach stderr through Chromium's logging as `INFO:CONSOLE...` lines; the
DOM is read back after the page's scripts ran (--virtual-time-budget lets async
rendering finish before the dump).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "chromium"  # `make test` installs it
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No name resolves and every connection goes to a closed port: the page gets no network.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--virtual-time-budget=30000",
]
CONSOLE_LINE = re.compile(r":CONSOLE[^\]]*\] (.*)")


@dataclass
class Rendered:
    dom: str
    console: list[str]


def render(page: Path, profile: Path) -> Rendered:
    result = subprocess.run(
        [
            CHROMIUM,
            *OFFLINE_FLAGS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return Rendered(result.stdout, CONSOLE_LINE.findall(result.stderr))


def screenshot(page: Path, profile: Path, output: Path, height: int = 4000) -> Path:
    subprocess.run(
        [
            CHROMIUM,
            *OFFLINE_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size=1200,{height}",
            "--hide-scrollbars",
            f"--screenshot={output}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    return output
