"""The data contract: canonical tables, their columns and what each column must hold.

A company's own tables are mapped onto these names in params (``columns:``); every analysis
reads the canonical names only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__: list[str] = []  # the contract is read by the data layer; nothing is re-exported


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column.

    kind is one of ``id`` (any scalar key), ``timestamp``, ``date``, ``amount`` (non-negative
    number), ``text``.
    """

    name: str
    kind: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its columns, its unique key and what it is."""

    name: str
    columns: tuple[ColumnSpec, ...]
    description: str
    unique_key: str | None = None
    required_any_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


def _c(name: str, kind: str, required: bool = False, description: str = "") -> ColumnSpec:
    return ColumnSpec(name, kind, required, description)


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in [
        TableSpec(
            "users",
            (
                _c("user_id", "id", True, "the user's key, the same in every table"),
                _c("registered_at", "timestamp", True, "when the user signed up"),
                _c("channel", "text", False, "acquisition source"),
            ),
            "one row per user; any further column is a user attribute (city, age_band, ...)",
            unique_key="user_id",
        ),
        TableSpec(
            "events",
            (
                _c("user_id", "id", True),
                _c("event_time", "timestamp", True),
                _c("event", "text", True, "event name"),
                _c(
                    "touchpoint",
                    "text",
                    False,
                    "wecom, community, miniprogram, official_account, app",
                ),
                _c("content_id", "id", False),
                _c("campaign_id", "id", False),
            ),
            "one row per user action",
        ),
        TableSpec(
            "orders",
            (
                _c("order_id", "id", True),
                _c("user_id", "id", True),
                _c("order_time", "timestamp", True),
                _c("amount", "amount", True, "order value in the reporting currency"),
                _c("channel", "text", False),
                _c("status", "text", False, "paid or refunded"),
            ),
            "one row per order",
            unique_key="order_id",
        ),
        TableSpec(
            "assignments",
            (
                _c("experiment_id", "id", True),
                _c("user_id", "id", True),
                _c("variant", "text", True),
                _c("assigned_at", "timestamp", True),
            ),
            "one row per user and experiment assignment",
        ),
        TableSpec(
            "content",
            (
                _c("content_id", "id", True),
                _c("published_at", "timestamp", True),
                _c("type", "text", False, "article, video, live"),
                _c("title", "text", False),
                _c("touchpoint", "text", False),
            ),
            "one row per published content item",
            unique_key="content_id",
        ),
        TableSpec(
            "spend",
            (
                _c("date", "date", True),
                _c("channel", "text", False),
                _c("campaign_id", "id", False),
                _c("amount", "amount", True),
            ),
            "marketing spend per day and channel (or campaign)",
            required_any_of=(("channel", "campaign_id"),),
        ),
        TableSpec(
            "tickets",
            (
                _c("ticket_id", "id", True),
                _c("user_id", "id", False),
                _c("created_at", "timestamp", True),
                _c("first_response_at", "timestamp", False),
                _c("resolved_at", "timestamp", False),
                _c("touchpoint", "text", False, "where the ticket came in"),
            ),
            "one row per service ticket",
            unique_key="ticket_id",
        ),
    ]
}


def table_spec(name: str) -> TableSpec:
    """Return the spec of canonical table ``name`` or raise a message listing the tables."""
    from ..exceptions import SourceError

    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise SourceError(
            f"Unknown table {name!r}. The data contract has these tables: {known}."
        ) from None
