"""Shared fixtures: hand-computed frames, a tiny demo warehouse, one Spark session."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


# an address a report must never contain: it opens offline, as one file
URL = re.compile(r"https?://|(?:src|href)\s*=\s*[\"']?//", re.IGNORECASE)


def kpi_fixture_frames() -> dict[str, pd.DataFrame]:
    """Users, events and orders around ISO weeks 2025-W46 / W47 (expected values in test_kpi)."""
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5],
            "registered_at": pd.to_datetime(
                [
                    "2025-11-10 09:00",
                    "2025-11-17 10:00",
                    "2025-11-23 23:30",
                    "2025-11-24 00:10",
                    "2025-11-03 08:00",
                ]
            ),
            "channel": ["organic_search", "referral", "feed_ads", "feed_ads", "referral"],
        }
    )
    events = pd.DataFrame(
        {
            "user_id": [1, 1, 5, 1, 1, 2, 2, 2, 3, 5, 4],
            "event_time": pd.to_datetime(
                [
                    "2025-11-10 09:05",
                    "2025-11-10 10:00",
                    "2025-11-12 20:00",
                    "2025-11-16 23:59:59",  # Sunday of W46
                    "2025-11-17 00:00:00",  # Monday of W47, the boundary
                    "2025-11-17 10:01",
                    "2025-11-17 11:00",
                    "2025-11-19 09:00",
                    "2025-11-23 23:31",
                    "2025-11-18 12:00",
                    "2025-11-24 00:15",  # W48: outside both weeks
                ],
                format="ISO8601",
            ),
            "event": [
                "session_start",
                "view_content",
                "session_start",
                "session_start",
                "session_start",
                "session_start",
                "view_content",
                "session_start",
                "session_start",
                "session_start",
                "session_start",
            ],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
            "user_id": [1, 5, 2, 2, 3, 1, 4],
            "order_time": pd.to_datetime(
                [
                    "2025-11-11 12:00",
                    "2025-11-16 23:00",
                    "2025-11-17 10:30",
                    "2025-11-19 10:30",
                    "2025-11-23 23:40",
                    "2025-11-20 09:00",
                    "2025-11-24 00:20",
                ]
            ),
            "amount": [100.0, 50.0, 80.0, 20.0, 200.0, 0.0, 70.0],
            "status": ["paid", "paid", "paid", "paid", "refunded", "paid", "paid"],
        }
    )
    return {"users": users, "events": events, "orders": orders}


@pytest.fixture
def kpi_frames() -> dict[str, pd.DataFrame]:
    return kpi_fixture_frames()


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo warehouse: 600 users over 6 weeks ending 2025-11-23."""
    from opsanalysis.data.demo import make_demo_data

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    make_demo_data(path, users=600, weeks=6, seed=11)
    return path


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole run (starting one costs ~5-10 s)."""
    pyspark_sql = (
        pytest.importorskip("pyspark.sql")
        if not os.environ.get("OA_REQUIRE_SPARK")
        else __import__("pyspark.sql", fromlist=["SparkSession"])
    )
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("opsanalysis-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
