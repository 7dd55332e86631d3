"""Spark as the engine: the SparkSession a source runs on, and the tables of its catalog.

A team that outgrows one machine keeps its params and notebooks and says ``engine: spark``
(or ``--engine spark``): a folder of Parquet/CSV files is then read by a SparkSession, and the
source ``spark`` reads the session's catalog (params ``tables:`` name database tables, e.g.
``tables: {events: ods.app_events}``). Which cluster runs it is the environment's choice, as
for any PySpark program: ``PYSPARK_SUBMIT_ARGS`` (``--master yarn ... pyspark-shell``),
``SPARK_REMOTE`` (Spark Connect) or a ``spark.master`` in ``spark-defaults.conf``; with none of
those it is local mode.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
from ibis.backends import BaseBackend

from ..exceptions import SourceError
from .contract import TABLES
from .params import Params

__all__: list[str] = []  # used through connect(engine="spark")

#: set on every session (runtime settings): pandas results come back through Arrow
RUNTIME_SETTINGS = {"spark.sql.execution.arrow.pyspark.enabled": "true"}
#: set on a local session: a report's tables are small per partition, and 200 shuffle
#: partitions (Spark's default, sized for clusters) make every query wait on empty tasks
LOCAL_SETTINGS = {"spark.sql.shuffle.partitions": "8"}


def spark_session(timezone: str) -> Any:
    """The active SparkSession, or a new one as the environment configures it.

    The session time zone is set to ``timezone`` (the params zone: wall-clock buckets agree
    with DuckDB's), Arrow transfer is on, a local session gets few shuffle partitions, and
    Spark's console output is cut to errors so none of it reaches a report.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SourceError(
            "engine: spark needs PySpark and a Java runtime: pip install pyspark (and "
            "openjdk-17-jre-headless), or use engine: duckdb."
        ) from None
    session = SparkSession.getActiveSession()
    if session is None:
        builder = (
            SparkSession.builder.appName("opsanalysis")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", timezone)
        )
        try:
            with _quiet_stderr():  # the JVM's start-up banner and warnings are not for readers
                session = builder.getOrCreate()
        except Exception as exc:  # no Java, a cluster that refuses, a bad SPARK_REMOTE
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SourceError(
                f"Cannot start a Spark session: {first}. Check that Java is installed "
                "(java -version) and, for a cluster, the spark-submit / SPARK_REMOTE settings."
            ) from None
    try:
        session.sparkContext.setLogLevel("ERROR")
        local = str(session.sparkContext.master or "").startswith("local")
    except Exception:  # Spark Connect has no SparkContext; the server keeps its own logs
        local = False
    settings = {**RUNTIME_SETTINGS, **(LOCAL_SETTINGS if local else {})}
    settings["spark.sql.session.timeZone"] = timezone
    for key, value in settings.items():
        try:
            session.conf.set(key, value)
        except Exception as exc:  # pragma: no cover - a locked-down cluster
            warnings.warn(
                f"Could not set {key}={value} on the Spark session ({exc}).", stacklevel=2
            )
    return session


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null while a JVM starts (it inherits it)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def spark_backend(timezone: str) -> BaseBackend:
    """An Ibis PySpark backend on :func:`spark_session`."""
    return ibis.pyspark.connect(spark_session(timezone))


def catalog_tables(con: BaseBackend, params: Params) -> dict[str, ibis.Table]:
    """The contract tables the session's catalog has, under their params ``tables:`` names
    (``db.table`` for a table of another database)."""
    tables: dict[str, ibis.Table] = {}
    session = con._session
    for name in TABLES:
        physical = params.physical_table(name)
        try:  # any name Spark resolves: db.table, catalog.db.table, global_temp.view
            frame = session.table(physical)
        except Exception:  # not in the catalog: the table is absent, like a missing file
            continue
        view = f"oa_{name}_{uuid.uuid4().hex[:8]}"
        frame.createOrReplaceTempView(view)
        tables[name] = con.table(view)
    if not tables:
        wanted = ", ".join(params.physical_table(t) for t in TABLES)
        raise SourceError(
            f"The Spark session's catalog has none of the tables {wanted}. Name yours in params "
            "tables:, e.g. tables: {events: ods.app_events, users: dim.users}."
        )
    return tables
