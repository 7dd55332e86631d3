"""Opening what connect() is given: a folder of Parquet/CSV files, a DuckDB file, DataFrames.

Every way in has a clear answer for a bad input instead of an engine's internal error.

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
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from ..exceptions import SourceError
from .contract import TABLES

if TYPE_CHECKING:
    from .params import Params

__all__: list[str] = []  # used by connect(); nothing is re-exported

_FILE_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".tsv")

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
    """Read one table file of a folder source into ``con`` (DuckDB or PySpark) as table
    ``oa_<table>``."""
    name = f"oa_{table}"
    if con.name != "duckdb":  # a Spark session's views are shared by every source on it
        name += f"_{uuid.uuid4().hex[:8]}"
    if path.stat().st_size == 0:
        kind = "Parquet file" if path.name.endswith(".parquet") else "CSV file with a header"
        raise SourceError(
            f"File {path.name} (table {table!r}) is empty (0 bytes), not a {kind}. "
            "Fix: export it again, or remove it from the folder."
        )
    if path.name.endswith(".parquet"):
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
            if con.name == "duckdb":
                options["types"] = {c: "VARCHAR" for c in as_text}
            else:  # Spark: every column as text; the table's preparation types the rest
                options["inferSchema"] = False
            t = con.read_csv(readable, table_name=name, **options)
        return t
    except SourceError:
        raise
    except Exception as exc:
        raise _unreadable(path, table, "CSV", exc) from None


def localize_frame(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Aware datetime columns become wall-clock time in ``tz`` (naive), as the engine expects."""
    aware = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    if not aware:
        return df
    df = df.copy()
    for c in aware:
        df[c] = df[c].dt.tz_convert(tz).dt.tz_localize(None)
    return df


def open_folder(
    folder: Path, params: Params, con: BaseBackend | None = None
) -> tuple[BaseBackend, dict[str, ibis.Table]]:
    """The table files of ``folder``, read by ``con`` (default: a new in-memory DuckDB)."""
    con = con if con is not None else ibis.duckdb.connect(**DUCKDB_OFFLINE)
    tables: dict[str, ibis.Table] = {}
    wanted = {params.physical_table(t): t for t in TABLES}
    for path in sorted(folder.iterdir()):
        stem = path.name
        for suffix in _FILE_SUFFIXES:
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            continue
        if stem not in wanted:
            continue
        canonical = wanted[stem]
        if canonical in tables:
            raise SourceError(
                f"Folder {str(folder)!r} holds two files for table {canonical!r}; keep one."
            )
        tables[canonical] = read_table_file(
            con,
            path,
            canonical,
            encoding=params.csv_encoding,
            mapping=params.column_mapping(canonical),
        )
    if not tables:
        raise SourceError(
            f"Folder {str(folder)!r} holds no table files. Name them after the tables, e.g. "
            f"events.parquet or orders.csv ({', '.join(TABLES)})."
        )
    return con, tables


#: DuckDB never installs or loads an extension from the network (the ones we use, parquet,
#: json and icu, are built in): new in-memory connections are made with these settings, and
#: every DuckDB session is SET to them (source.py); a SQLite file gets a message instead.
DUCKDB_OFFLINE = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def open_duckdb_file(path: Path) -> BaseBackend:
    """Open a DuckDB file read-only, with a message for a damaged or locked file."""
    with open(path, "rb") as f:
        magic = f.read(16)
    if magic.startswith(b"SQLite format 3"):
        raise SourceError(
            f"{path.name} is a SQLite database, not a DuckDB one; opsanalysis installs no "
            "DuckDB extension from the network to read it. Fix: export its tables to a folder "
            "of Parquet or CSV files named after the tables, or pass a backend you opened "
            "yourself (oa.connect(ibis.sqlite.connect(path)), with ibis-framework[sqlite])."
        )
    try:
        # no config here: DuckDB refuses a second connection to a file with another one
        # (an analyst's own duckdb.connect); the session is made offline by a SET after it
        return ibis.duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise SourceError(
                f"The DuckDB file {path.name} is locked by another program that has it "
                "open for writing. Fix: close that program or its connection, or open it "
                "read-only there; or copy the file and read the copy."
            ) from None
        if "not a valid DuckDB database" in text or "Invalid" in text or "IO Error" in text:
            raise SourceError(
                f"{path.name} is not a DuckDB database, or it is damaged "
                f"({text.splitlines()[0].split('Error: ', 1)[-1].replace(str(path), path.name)}). "
                "Fix: pass the right file, or write the database again."
            ) from None
        raise SourceError(f"Cannot open the DuckDB file {path.name}: {text}") from None


def check_frame(name: str, df: pd.DataFrame) -> None:
    """A DataFrame column whose values mix types (1 and 'a') cannot go to the engine."""
    for col in df.columns:
        if df[col].dtype != object:
            continue
        kind = pd.api.types.infer_dtype(df[col], skipna=True)
        if kind not in ("mixed", "mixed-integer", "mixed-integer-float"):
            continue
        kinds = df[col].dropna().map(lambda v: type(v).__name__)
        counts = kinds.value_counts()
        parts = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        raise SourceError(
            f"The DataFrame for table {name!r}, column {col!r} mixes value types ({parts}, of "
            f"{len(df):,} rows). Fix: give the column one type before connect(), e.g. "
            f"df[{str(col)!r}] = df[{str(col)!r}].astype(str)."
        )
