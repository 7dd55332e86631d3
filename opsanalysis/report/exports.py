"""User lists for campaign tools: CSV files beside a report, never user ids inside it.

Every file is written to a temporary name and moved into place, so a campaign tool never
reads half a list.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data._io import atomic_output
from ..exceptions import ParamsError

__all__ = ["export_users", "export_segment_users", "export_segment_lists"]


def export_users(users: pd.DataFrame, path: str | Path) -> Path:
    """Write a user list (e.g. :func:`~opsanalysis.metrics.churn.at_risk_users`) to CSV
    atomically; returns the path."""
    path = Path(path)
    with atomic_output(path) as tmp:
        users.to_csv(tmp, index=False)
    return path


def export_segment_users(
    segmented: pd.DataFrame,
    path: str | Path,
    *,
    segments: list[str] | None = None,
    columns: list[str] | None = None,
) -> Path:
    """Write the users of the chosen segments to CSV for campaign tools; returns the path.

    The file is written to a temporary name and moved into place. User ids belong in such
    files, never in an HTML report.
    """
    path = Path(path)
    chosen = segmented if segments is None else segmented[segmented["segment"].isin(segments)]
    if segments is not None:
        unknown = sorted(set(segments) - set(segmented["segment"]))
        if unknown and chosen.empty:
            raise ParamsError(
                f"No users in segment(s) {', '.join(unknown)}; segments present: "
                f"{', '.join(sorted(segmented['segment'].unique()))}."
            )
    cols = columns or [
        c
        for c in (
            "user_id",
            "segment",
            "recency",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
        )
        if c in chosen.columns
    ]
    with atomic_output(path) as tmp:
        chosen[cols].to_csv(tmp, index=False)
    return path


def export_segment_lists(
    segmented: pd.DataFrame, folder: str | Path, *, segments: list[str]
) -> pd.DataFrame:
    """Write one CSV per segment (``<folder>/<segment>.csv``) and return what was written.

    Returns
    -------
    pandas.DataFrame
        Columns segment, users, path; a segment with no users gets no file (path empty).
    """
    folder = Path(folder)
    rows = []
    for seg in segments:
        n = int((segmented["segment"] == seg).sum())
        path = ""
        if n:
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in seg)
            path = str(export_segment_users(segmented, folder / f"{safe}.csv", segments=[seg]))
        rows.append({"segment": seg, "users": n, "path": path})
    return pd.DataFrame(rows, columns=["segment", "users", "path"])
