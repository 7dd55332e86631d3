"""Opening a data source: DuckDB file, folder of Parquet/CSV, Ibis backend or URL, DataFrames.

:func:`connect` returns a :class:`Source` that hands out canonical tables as Ibis expressions
(``src.table("orders")``) with the params column mapping and types applied; the backend
executes them, and only small results come back to pandas.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from ..exceptions import ParamsError, SourceError
from ._io import mask_password
from .contract import TABLES, table_spec
from .files import DUCKDB_OFFLINE, check_frame, localize_frame, open_duckdb_file, open_folder
from .params import Params, load_params, with_engine
from .periods import Period, latest_complete_period, period_containing
from .prepare import PreparedTable, prepare_table
from .problems import DataContractWarning, Problem, contract_error, user_id_mismatch

__all__ = ["Source", "connect"]

DEFAULT_SOURCE = "data/demo.duckdb"


def _set_session(backend: BaseBackend, tz: str, memory_limit: str | None) -> None:
    """Aware timestamps read as wall-clock time in ``tz``; DuckDB: no extension installed or
    loaded from the network, no progress bar, rows in
    any order without ORDER BY (queries that need one say so; kept tables are written 10%
    faster), at most ``memory_limit`` of working memory (None: DuckDB's default)."""
    name = getattr(backend, "name", "")
    try:
        if name == "duckdb":
            backend.raw_sql(f"SET TimeZone = '{tz}'")
        elif name == "pyspark":
            backend._session.conf.set("spark.sql.session.timeZone", tz)
    except Exception as exc:  # pragma: no cover - depends on the backend's permissions
        warnings.warn(
            f"Could not set the {name} session time zone to {tz} ({exc}); aware timestamps "
            "may be read in another zone.",
            stacklevel=3,
        )
    if name == "duckdb":
        try:
            for setting in DUCKDB_OFFLINE:  # nothing is installed or loaded from the network
                backend.raw_sql(f"SET {setting} = false")
            backend.raw_sql("SET enable_progress_bar = false")
            backend.raw_sql("SET preserve_insertion_order = false")
        except Exception:  # pragma: no cover - a read-only or older DuckDB: not worth a word
            pass
    if name == "duckdb" and memory_limit is not None:
        try:
            backend.raw_sql(f"SET memory_limit = '{memory_limit.strip()}'")
        except Exception as exc:  # pragma: no cover - an old DuckDB or a locked setting
            warnings.warn(f"Could not set DuckDB's memory_limit ({exc}).", stacklevel=3)


class Source:
    """Canonical tables of one data source, as Ibis expressions on one backend.

    Use :func:`connect` to make one. ``table(name)`` maps, types and validates a table (once;
    the result is cached); ``execute(expr)`` runs an expression and returns pandas.
    """

    def __init__(
        self,
        backend: BaseBackend,
        tables: dict[str, ibis.Table],
        params: Params,
        *,
        description: str = "",
    ) -> None:
        self.backend = backend
        self.params = params
        self.description = description
        self._raw = tables
        self._prepared: dict[str, PreparedTable] = {}
        self._subsets_checked: set[tuple[str, str]] = set()
        self.shared_activity: ibis.Table | None = None  # a report's, engine.share_activity
        self.shared_gaps: ibis.Table | None = None  # made from shared_activity on first use
        self._asked: dict[str, Any] = {}  # answers asked of the engine once per source

    def __repr__(self) -> str:
        return f"<opsanalysis.Source {self.description} tables={self.tables()}>"

    @property
    def safe_description(self) -> str:
        """What kind of source this is, for a report: never a folder path or a connection URL
        (which may hold a password). "DuckDB file demo.duckdb", "folder of files
        sales_export", "postgres database", "in-memory DataFrames"."""
        text = self.description
        if "://" in text:
            return f"{text.split('://', 1)[0]} database"
        if text.endswith(" backend") or text == "in-memory DataFrames":
            return text
        path = Path(text)
        if path.suffix.lower() in (".duckdb", ".db", ".ddb"):
            return f"DuckDB file {path.name}"
        return f"folder of files {path.name}"

    def tables(self) -> list[str]:
        """Canonical tables this source holds, in contract order."""
        return [t for t in TABLES if t in self._raw]

    def has(self, name: str) -> bool:
        return name in self._raw

    def raw(self, name: str) -> ibis.Table:
        """The physical table behind canonical ``name``, before mapping and typing."""
        table_spec(name)
        if name not in self._raw:
            have = ", ".join(self.tables()) or "none"
            physical = self.params.physical_table(name)
            raise SourceError(
                f"The source ({self.description}) has no {name!r} table (looked for "
                f"{physical!r}); it has: {have}. Load it, or name your table in params "
                f"(tables: {{{name}: your_table}})."
            )
        return self._raw[name]

    def prepare(self, name: str) -> PreparedTable:
        """Map, type and check table ``name``; cached. Problems are returned, not raised."""
        if name not in self._prepared:
            self._prepared[name] = prepare_table(
                name,
                self.raw(name),
                mapping=self.params.column_mapping(name),
                execute=self.execute,
                timezone=self.params.timezone,
                max_examples=self.params.max_examples,
                physical=self.params.physical_table(name),
                screen=getattr(self.backend, "name", "") == "duckdb",
            )
        return self._prepared[name]

    def table(self, name: str, *, validate: bool | None = None) -> ibis.Table:
        """Canonical table ``name`` as an Ibis expression.

        Parameters
        ----------
        name
            A table of the data contract (users, events, orders, ...).
        validate
            Check the contract and raise on errors (default: params ``validation.on_load``).

        Raises
        ------
        SourceError
            The source has no such table.
        DataContractError
            The table breaks the contract; the message names column, rows, examples and fix.
        """
        if validate is None:
            validate = self.params.validate_on_load
        prepared = self.prepare(name)
        errors = [p for p in prepared.problems if p.severity == "error"]
        schema_errors = [p for p in errors if p.total_rows == 0 and p.check != "empty_table"]
        if schema_errors or (validate and errors):
            raise contract_error(schema_errors or errors)
        mismatch = self.user_id_type_problem(name)
        if mismatch is not None:
            raise contract_error([mismatch])
        if validate:
            for p in prepared.problems:
                if p.severity == "warning":
                    warnings.warn(p.message, DataContractWarning, stacklevel=2)
        return prepared.table

    def user_id_type_problem(self, name: str) -> Problem | None:
        """user_id holds different types in ``name`` and in users (see user_id_mismatch)."""
        if name == "users" or not self.has("users"):
            return None
        return user_id_mismatch(name, self.prepare(name).table, self.prepare("users").table)

    def warn_if_nothing_matches(
        self, table: str, column: str, wanted: list[str], setting: str, consequence: str
    ) -> None:
        """Warn (once per source) when no row of ``table`` has ``column`` in ``wanted``.

        A params list that names no value of the data (``paid_statuses: [paid]`` against
        'PAID', or an event name with a typo) would otherwise give 0 with nothing said.
        """
        if (table, column) in self._subsets_checked:
            return
        self._subsets_checked.add((table, column))
        t = self.table(table)
        if len(self.execute(t.filter(t[column].isin(wanted)).select(column).limit(1))):
            return
        top = self.execute(
            t.group_by(column)
            .aggregate(rows=t.count())
            .order_by([ibis.desc("rows"), column])
            .limit(8)
        )
        if top.empty:
            return
        have = ", ".join(
            f"{v!r} ({n:,} row{'' if n == 1 else 's'})"
            for v, n in zip(top[column], top["rows"], strict=True)
        )
        warnings.warn(
            f"No row of table {table!r} has a value of {column!r} in params {setting} "
            f"({', '.join(map(repr, wanted))}); the most common values are {have}. "
            f"{consequence} Fix: set {setting} in params to the values your data uses.",
            DataContractWarning,
            stacklevel=3,
        )

    def check_user_column(self, by: str | None) -> None:
        """Raise :class:`ParamsError` when ``by`` is given and is not a column of users."""
        if by is None:
            return
        users = self.table("users")
        if by not in users.columns:
            raise ParamsError(
                f"by={by!r} is not a column of table 'users'; it has {', '.join(users.columns)}."
            )

    def with_user_attribute(self, t: ibis.Table, by: str | None) -> tuple[ibis.Table, list[str]]:
        """Add the users column ``by`` (e.g. channel) to ``t`` by user_id.

        Returns the table and the grouping keys (``[by]``, or ``[]`` when ``by`` is None).
        """
        if by is None:
            return t, []
        users = self.table("users")
        self.check_user_column(by)
        return t.left_join(users.select("user_id", by), "user_id").select(t, by), [by]

    def keep(self, expr: ibis.Table, what: str = "tmp") -> ibis.Table | None:
        """``expr`` computed once and kept in the engine for several queries (a temporary
        table; on Spark a cached temporary view); None when the backend cannot keep one."""
        name = f"oa_{what}_{uuid.uuid4().hex[:12]}"
        try:
            kept = self.backend.create_table(name, expr, temp=True)
            if getattr(self.backend, "name", "") == "pyspark":  # a view: keep its rows
                self.backend._session.catalog.cacheTable(name)
        except Exception:  # a backend without temporary tables: queries recompute it
            return None
        return kept

    @contextmanager
    def materialized(self, expr: ibis.Table) -> Iterator[ibis.Table]:
        """:meth:`keep` ``expr`` for the queries of a block, dropped on leaving it (the
        expression itself when the backend cannot keep it)."""
        table = self.keep(expr)
        if table is None:
            yield expr
            return
        try:
            yield table
        finally:
            self._drop_temp(table.op().name)  # the bare name, not get_name()'s qualified one

    def _drop_temp(self, name: str) -> None:
        try:
            if getattr(self.backend, "name", "") == "duckdb":
                # ibis 12's drop_table emits SQL that DuckDB 1.5 rejects
                self.backend.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
            else:
                self.backend.drop_table(name, force=True)
        except Exception as exc:  # pragma: no cover - best effort clean-up
            warnings.warn(f"Could not drop the temporary table {name}: {exc}", stacklevel=3)

    def execute(self, expr: Any) -> Any:
        """Run an Ibis expression on the backend; tables come back as pandas DataFrames."""
        return self.backend.execute(expr)

    def require_data_on(self, first: date, last: date, what: str) -> None:
        """Raise :class:`SourceError` when ``first``..``last`` lies wholly outside the data.

        The message names the data's date range, so a report of a period with no data is
        refused before rendering instead of failing inside a cell.
        """
        for name, col in (("events", "event_time"), ("orders", "order_time")):
            if not self.has(name):
                continue
            t = self.table(name)
            span = self.execute(t.aggregate(lo=t[col].min(), hi=t[col].max()))
            lo, hi = span["lo"].iloc[0], span["hi"].iloc[0]
            if pd.isna(lo):
                break
            lo_d, hi_d = pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
            if last < lo_d or first > hi_d:
                raise SourceError(
                    f"There is no data for {what} ({first} to {last}): the {name} run from "
                    f"{lo_d} to {hi_d}. Pick a period in that range, or leave the period out "
                    "for the latest complete one."
                )
            return

    def latest_period(self, kind: str) -> Period:
        """The latest complete period of ``kind``; when the data has nothing in it (a short
        history and a quarter), the period the data ends in, to date."""
        last = self.last_timestamp()
        complete = latest_complete_period(last, kind)
        try:
            self.require_data_on(complete.start, complete.last_day, complete.label)
        except SourceError:
            return period_containing(last, kind)
        return complete

    def event_names(self) -> frozenset[str]:
        """The distinct event names of the events table (empty without one); asked once."""
        if "event_names" not in self._asked:
            ev = self.table("events") if self.has("events") else None
            names = [] if ev is None else self.execute(ev.select("event").distinct())["event"]
            self._asked["event_names"] = frozenset(str(n) for n in names if n == n)
        return self._asked["event_names"]

    def last_timestamp(self) -> datetime:
        """Latest event (or, with no events, order) time in the data, wall clock; asked once."""
        if "last" in self._asked:
            return self._asked["last"]
        for name, col in (("events", "event_time"), ("orders", "order_time")):
            if self.has(name):
                value = self.execute(self.table(name)[col].max())
                if value is not None and not pd.isna(value):
                    self._asked["last"] = pd.Timestamp(value).to_pydatetime()
                    return self._asked["last"]
        raise SourceError("The source has no events or orders, so its last date is unknown.")


def _tables_of_backend(con: BaseBackend, params: Params) -> dict[str, ibis.Table]:
    existing = set(con.list_tables())
    return {
        name: con.table(params.physical_table(name))
        for name in TABLES
        if params.physical_table(name) in existing
    }


def connect(
    target: str | Path | BaseBackend | None = None,
    *,
    params: str | Path | dict[str, Any] | Params | None = None,
    engine: str | None = None,
    **frames: pd.DataFrame | ibis.Table,
) -> Source:
    """Open a data source.

    Parameters
    ----------
    target
        A DuckDB file (``.duckdb``/``.db``), a folder of Parquet/CSV files named after the
        tables (``events.parquet``, ``orders.csv``), an Ibis backend (DuckDB, PySpark,
        Postgres, ClickHouse, ...) or a connection URL for ``ibis.connect``. None: the params
        ``source`` setting, else ``data/demo.duckdb``. ``"spark"``: the tables of the
        SparkSession's catalog, named by params ``tables:`` (``db.table`` allowed).
    params
        Params file, mapping or :class:`~opsanalysis.params.Params` (defaults if None).
    **frames
        Tables by canonical name as pandas DataFrames or Ibis tables
        (``connect(orders=df)``). With a backend as ``target`` they run on that backend;
        otherwise on an in-memory DuckDB.
    engine
        ``duckdb`` or ``spark`` (default: params ``engine``, duckdb): the engine that reads a
        folder of Parquet/CSV files. With spark, a SparkSession as the environment configures
        it (local mode, ``PYSPARK_SUBMIT_ARGS``, ``SPARK_REMOTE``); see
        :mod:`opsanalysis.data.spark`.

    Returns
    -------
    Source

    Raises
    ------
    SourceError
        The target does not exist or cannot be opened, or a frame is named after no table.

    Examples
    --------
    >>> import pandas as pd
    >>> src = connect(users=pd.DataFrame({"user_id": [1], "registered_at": ["2025-11-17"]}))
    >>> src.tables()
    ['users']
    """
    p = load_params(params)
    if engine:
        p = with_engine(p, engine)
    for name in frames:
        if name not in TABLES:
            raise SourceError(
                f"connect() got a table named {name!r}, which is not in the data contract; "
                f"use one of {', '.join(TABLES)}."
            )
    tables: dict[str, ibis.Table] = {}
    if target is None and not frames:
        target = p.source or DEFAULT_SOURCE
        if not Path(target).exists() and "://" not in str(target):
            raise SourceError(
                f"No data source given and {str(target)!r} does not exist. Create the demo "
                "data with `opsanalysis demo-data`, or pass a DuckDB file, a folder of "
                "Parquet/CSV files, an Ibis backend or DataFrames to connect()."
            )
    if isinstance(target, BaseBackend):
        con = target
        description = f"{con.name} backend"
        tables = _tables_of_backend(con, p)
    elif str(target).lower() == "spark":
        from .spark import catalog_tables, spark_backend

        con = spark_backend(p.timezone)
        tables = catalog_tables(con, p)
        description = "Spark session catalog"
    elif target is not None:
        text = str(target)
        path = Path(text)
        if "://" in text:
            # a DuckDB file given as a URL is opened read-only like a path, so that a report's
            # kernel can open it while the command holds it too
            duck = text.startswith("duckdb://")
            options: dict[str, Any] = {"read_only": True} if duck else {}
            try:
                con = ibis.connect(text, **options)
            except Exception as exc:
                raise SourceError(
                    f"Cannot connect to {mask_password(text)!r}: {mask_password(str(exc))}"
                ) from None
            tables = _tables_of_backend(con, p)
        elif path.is_dir():
            if p.engine == "spark":
                from .spark import spark_backend

                con, tables = open_folder(path, p, spark_backend(p.timezone))
            else:
                con, tables = open_folder(path, p)
        elif path.is_file():
            if path.suffix.lower() not in (".duckdb", ".db", ".ddb"):
                raise SourceError(
                    f"{text!r} is a file but not a DuckDB database (.duckdb); for Parquet or "
                    "CSV files pass the folder that holds them, named after the tables."
                )
            if p.engine == "spark":
                raise SourceError(
                    f"{path.name} is a DuckDB file, which Spark cannot read. For engine: spark "
                    "export its tables to a folder of Parquet files (in DuckDB: COPY events TO "
                    "'events.parquet'), or use engine: duckdb."
                )
            con = open_duckdb_file(path)
            tables = _tables_of_backend(con, p)
        else:
            raise SourceError(
                f"Data source {text!r} does not exist. Pass a DuckDB file, a folder of "
                "Parquet/CSV files, an Ibis backend or a connection URL."
                + (" Create the demo data with `opsanalysis demo-data`." if "demo" in text else "")
            )
        description = mask_password(text)
    else:
        con = ibis.duckdb.connect(**DUCKDB_OFFLINE)
        description = "in-memory DataFrames"
    # a backend passed in keeps its own memory setting
    _set_session(con, p.timezone, None if isinstance(target, BaseBackend) else p.memory_limit)
    for name, frame in frames.items():
        if isinstance(frame, pd.DataFrame):
            check_frame(name, frame)
            tables[name] = ibis.memtable(localize_frame(frame, p.timezone))
        elif isinstance(frame, ibis.Table):
            tables[name] = frame
        else:
            raise SourceError(
                f"Table {name!r} given to connect() is a {type(frame).__name__}; pass a pandas "
                "DataFrame or an Ibis table."
            )
    return Source(con, tables, p, description=description)


def as_source(data: Any, table: str | tuple[str, ...], *, params: Any = None) -> Source:
    """Accept a Source, or a single DataFrame / Ibis table standing for one table.

    ``table`` names the table a lone frame stands for; given several candidates, the first
    whose required columns the frame has is taken.
    """
    if isinstance(data, Source):
        return data
    candidates = (table,) if isinstance(table, str) else tuple(table)
    if isinstance(data, (pd.DataFrame, ibis.Table)):
        cols = set(data.columns)
        for name in candidates:
            if set(TABLES[name].required) <= cols or len(candidates) == 1:
                return connect(params=params, **{name: data})
        need = "; ".join(f"{n}: {', '.join(TABLES[n].required)}" for n in candidates)
        raise SourceError(
            f"Cannot tell which table the given frame is (columns {', '.join(map(str, cols))}). "
            f"Required columns per table: {need}. Pass oa.connect(table_name=frame) instead."
        )
    raise SourceError(
        f"Expected an opsanalysis Source (from oa.connect) or a DataFrame/Ibis table of "
        f"{' or '.join(candidates)}; got {type(data).__name__}."
    )
