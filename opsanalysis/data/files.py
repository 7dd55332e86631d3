"""Reading a folder of Parquet/CSV files into DuckDB, with a clear answer for a bad file.

Each table file is read by DuckDB (``read_parquet`` / ``read_csv``), lazily where DuckDB can.
Before that, the problems DuckDB would answer with an internal error, or not at all, are
looked for here: an empty or damaged Parquet file, a CSV that is not in the expected text
encoding (Chinese exports are often GBK: params ``csv.encoding`` reads them), a CSV header
that names a column twice, and key columns whose values DuckDB would read as floating-point
numbers (ids above 2^64 would be rounded and merged: they are read as text instead).

Messages name the file by its name, never its folder, so they can be shown anywhere.
"""

from __future__ import annotations

import atexit
import codecs
import csv
import shutil
import tempfile
from pathlib import Path
from typing import Any

import ibis
from ibis.backends import BaseBackend

from ..exceptions import SourceError
from .contract import TABLES

__all__: list[str] = []  # used by connect(); nothing is re-exported

#: How much of a CSV file is checked for its text encoding before DuckDB reads it.
ENCODING_CHECK_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
_transcoded_dir: Path | None = None


def _scratch_dir() -> Path:
    """A private temporary folder for transcoded CSV files, removed when Python exits."""
    global _transcoded_dir
    if _transcoded_dir is None:
        _transcoded_dir = Path(tempfile.mkdtemp(prefix="oa-csv-"))
        atexit.register(shutil.rmtree, _transcoded_dir, True)
    return _transcoded_dir


def _line_of(path: Path, offset: int) -> int:
    with path.open("rb") as f:
        return f.read(offset).count(b"\n") + 1


def _check_utf8(path: Path, table: str) -> None:
    """Raise a SourceError naming the line when the start of ``path`` is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with path.open("rb") as f:
        while done < ENCODING_CHECK_BYTES:
            chunk = f.read(_CHUNK)
            if not chunk:
                return
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                at = done + exc.start
                fix = "Set csv.encoding in params to the file's encoding, or save it as UTF-8."
                for guess in ("gbk", "gb18030"):  # Chinese exports are often GBK
                    try:
                        chunk[: exc.start + 2048].decode(guess)
                    except UnicodeDecodeError:
                        continue
                    fix = (
                        f"It reads as {guess.upper()}: set `csv: {{encoding: {guess}}}` in "
                        "params, or save the file as UTF-8."
                    )
                    break
                raise SourceError(
                    f"File {path.name} (table {table!r}) is not UTF-8 text (byte "
                    f"0x{chunk[exc.start]:02x} on line {_line_of(path, at)}). {fix}"
                ) from None
            done += len(chunk)


def _as_utf8(path: Path, table: str, encoding: str) -> Path:
    """``path`` itself when it is UTF-8, else a UTF-8 copy of it in a private temp folder."""
    if codecs.lookup(encoding).name == "utf-8":
        _check_utf8(path, table)
        return path
    target = _scratch_dir() / f"{table}.{path.name}"
    decoder = codecs.getincrementaldecoder(encoding)()
    done = 0
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := src.read(_CHUNK):
            try:
                out.write(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                line = _line_of(path, done + exc.start)
                raise SourceError(
                    f"File {path.name} (table {table!r}) is not {encoding} text either (byte "
                    f"0x{chunk[exc.start]:02x} on line {line}). Check the file's encoding and "
                    "set csv.encoding in params to it, or save the file as UTF-8."
                ) from None
            done += len(chunk)
        out.write(decoder.decode(b"", final=True))
    return target


def _check_header(path: Path, table: str) -> None:
    """A header naming a column twice (DuckDB would rename the second one silently)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        first = f.readline()
    delimiter = max(",\t;|", key=first.count)
    names = [n.strip().lstrip("\ufeff") for n in next(csv.reader([first], delimiter=delimiter))]
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise SourceError(
                f"File {path.name} (table {table!r}) names the column {name!r} twice (columns "
                f"{seen[name]} and {i} of the header). Fix: rename or drop one of them."
            )
        seen[name] = i


def _key_columns(table: str, mapping: dict[str, str]) -> list[str]:
    """Physical names of the id columns of canonical ``table`` under the params mapping."""
    own = {canonical: name for name, canonical in mapping.items()}
    return [own.get(c.name, c.name) for c in TABLES[table].columns if c.kind == "id"]


def _unreadable(path: Path, table: str, kind: str, exc: Exception) -> SourceError:
    detail = str(exc).splitlines()[0].replace(str(path), path.name)
    detail = detail.split("Error: ", 1)[-1]
    return SourceError(
        f"File {path.name} (table {table!r}) cannot be read as {kind}: {detail}. Fix: export "
        "the file again (it may be damaged or cut short), or remove it from the folder."
    )


def read_table_file(
    con: BaseBackend, path: Path, table: str, *, encoding: str, mapping: dict[str, str]
) -> ibis.Table:
    """Read one table file of a folder source into ``con`` (DuckDB) as table ``oa_<table>``."""
    name = f"oa_{table}"
    if path.name.endswith(".parquet"):
        if path.stat().st_size == 0:
            raise SourceError(
                f"File {path.name} (table {table!r}) is empty (0 bytes), not a Parquet file. "
                "Fix: export it again, or remove it from the folder."
            )
        try:
            return con.read_parquet(path, table_name=name)
        except Exception as exc:  # DuckDB: too small, no magic bytes, bad footer, ...
            raise _unreadable(path, table, "Parquet", exc) from None
    readable = path if path.name.endswith(".gz") else _as_utf8(path, table, encoding)
    if not path.name.endswith(".gz"):
        _check_header(readable, table)
    options: dict[str, Any] = {}
    try:
        t = con.read_csv(readable, table_name=name)
        keys = [c for c in _key_columns(table, mapping) if c in t.columns]
        as_text = [c for c in keys if t[c].type().is_floating() or t[c].type().is_decimal()]
        if as_text:  # 18446744073709551617 would become 1.8e19 and merge with its neighbours
            options["types"] = {c: "VARCHAR" for c in as_text}
            t = con.read_csv(readable, table_name=name, **options)
        return t
    except SourceError:
        raise
    except Exception as exc:
        raise _unreadable(path, table, "CSV", exc) from None
