"""What the browser tests share: where Chromium is, its flags, whether it can run, and where
screenshots go."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
# Screenshots are test artifacts; `make screenshots` writes them to docs/screenshots instead.
SCREENSHOT_DIR = Path(os.environ.get("EDGEJOBS_SCREENSHOT_DIR", ROOT / ".artifacts" / "screenshots"))
SKIP_REASON = (
    "BROWSER TESTS SKIPPED: no Chromium at "
    f"{CHROMIUM} (apt-get install -y chromium) or no playwright (uv sync --all-groups)"
)


def chromium_available() -> bool:
    if not Path(CHROMIUM).exists():
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
