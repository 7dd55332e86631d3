"""``<out>/manifest.json``: what was rendered from what, safe against damage and other writers.

Every change to the manifest is one entry, written under an exclusive lock on
``<out>/.manifest.lock`` that re-reads the file first (:func:`update_manifest`): two batches or
a ``report`` run during a batch into the same ``--out`` each add their entries, and none is
lost. A manifest that is not what we write (an empty object, a list, wrong value types, not
JSON) is rebuilt from the reports on disk with a warning, never a traceback.
"""

from __future__ import annotations

import fcntl
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..data._io import atomic_output

__all__: list[str] = []  # the batch command's bookkeeping

MANIFEST = "manifest.json"
LOCK = ".manifest.lock"
_TEXT = {"kind", "period", "path", "status"}
_TEXT_OR_NONE = {"hash", "error", "generated"}


def well_formed(data: Any) -> bool:
    """Whether ``data`` is a manifest as we write it."""
    if not isinstance(data, dict) or not isinstance(data.get("reports"), dict):
        return False
    for entry in data["reports"].values():
        if not isinstance(entry, dict) or entry.get("status") not in ("ok", "failed"):
            return False
        if not all(isinstance(entry.get(k), str) for k in _TEXT):
            return False
        if not all(isinstance(entry.get(k), (str, type(None))) for k in _TEXT_OR_NONE):
            return False
    return True


def rebuilt(out: Path, kinds: list[str]) -> dict[str, Any]:
    """A manifest of the reports on disk (``<out>/<kind>/<period>.html``): each ok, with no
    hash (so the next batch renders it again) and its file's time as generation time."""
    reports: dict[str, Any] = {}
    for kind in kinds:
        folder = out / kind
        if not folder.is_dir():
            continue
        for page in sorted(folder.glob("*.html")):
            reports[f"{kind}/{page.stem}"] = {
                "kind": kind,
                "period": page.stem,
                "path": f"{kind}/{page.name}",
                "hash": None,
                "status": "ok",
                "error": None,
                "generated": f"{datetime.fromtimestamp(page.stat().st_mtime):%Y-%m-%d %H:%M}",
            }
    return {"reports": reports}


def read_manifest(out: Path, kinds: list[str]) -> dict[str, Any]:
    """The manifest of ``out``; an empty one when there is none; rebuilt from the reports on
    disk, with a warning on stderr, when it is damaged."""
    path = out / MANIFEST
    if not path.exists():
        return {"reports": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = None
    if well_formed(data):
        return data
    print(
        f"opsanalysis: warning: {MANIFEST} in --out is damaged; rebuilt from the reports on "
        "disk (they render again at the next batch).",
        file=sys.stderr,
    )
    return rebuilt(out, kinds)


@contextmanager
def manifest_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on ``<out>/.manifest.lock`` (held by one writer at a time, across
    threads and processes; released when the holder ends, even by kill -9)."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def update_manifest(
    out: Path,
    kinds: list[str],
    key: str,
    entry: dict[str, Any],
    *,
    timezone: str = "UTC",
    after: Callable[[dict[str, Any]], Any] | None = None,
) -> dict[str, Any]:
    """Set one report's entry: under the lock, read the manifest as it is now, put the entry
    (stamped with the time in ``timezone``), write it, then ``after(manifest)`` (the
    catalogue) while still holding the lock. Returns the manifest written."""
    with manifest_lock(out):
        manifest = read_manifest(out, kinds)
        manifest["reports"][key] = {
            **entry,
            "generated": f"{datetime.now(ZoneInfo(timezone)):%Y-%m-%d %H:%M}",
        }
        with atomic_output(out / MANIFEST) as tmp:
            tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        if after is not None:
            after(manifest)
    return manifest
