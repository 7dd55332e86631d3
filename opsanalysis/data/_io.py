"""Writing output files so that nothing half-written is ever left in place.

Temporary files and folders carry the id of the process that made them
(``.<name>.<pid>.<random>.tmp``, ``oa-render-<pid>-<random>``): a process killed with
``kill -9`` cannot clean up after itself, so the next one removes those whose process is gone
(:func:`remove_stale`).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__: list[str] = []  # internal helpers; nothing is re-exported

_STALE_FILE = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")
_STALE_DIR = re.compile(r"^oa-render-(\d+)-")


_PASSWORD = re.compile(r"(://[^/:@\s]*:)[^@/\s]+@")


def mask_password(text: str) -> str:
    """``text`` with the password of every connection URL in it masked.

    >>> mask_password("Cannot connect to 'postgres://alice:s3cret@db:5432/ops'")
    "Cannot connect to 'postgres://alice:***@db:5432/ops'"
    """
    return _PASSWORD.sub(r"\1***@", text)


def absolute_path(path: str | Path) -> Path:
    """``path`` made absolute against the working directory as it is now, without resolving
    links. Every path a command is given goes through this once, before any render starts,
    so that nothing later depends on the working directory (no render changes it)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale(folder: str | Path) -> int:
    """Remove temporary files in ``folder`` (and ``oa-render-*`` folders in the system temp
    folder) left by processes that no longer run. Returns how many were removed."""
    removed = 0
    folder = Path(folder)
    candidates: list[tuple[Path, re.Pattern[str]]] = []
    if folder.is_dir():
        candidates += [(p, _STALE_FILE) for p in folder.iterdir()]
    candidates += [(p, _STALE_DIR) for p in Path(tempfile.gettempdir()).glob("oa-render-*")]
    for path, pattern in candidates:
        m = pattern.match(path.name)
        if not m or _alive(int(m.group(1))):
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed += 1
        except OSError:  # another process got there first, or no permission: leave it
            continue
    return removed


def temp_dir_prefix(kind: str) -> str:
    """Prefix of a temporary folder that :func:`remove_stale` can attribute to this process."""
    return f"oa-{kind}-{os.getpid()}-"


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    The file gets the permissions a plain ``open(path, "w")`` would (the umask applies).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
