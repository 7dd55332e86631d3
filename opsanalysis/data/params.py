"""Params: everything a company sets in YAML instead of editing code.

A params file is merged over :data:`DEFAULTS`; unknown keys are rejected so a typo never
silently falls back to a default.

Example ``params/weekly.yaml``::

    language: en                 # en or zh
    timezone: Asia/Shanghai      # naive timestamps are read in it, aware ones converted to it
    source: data/demo.duckdb     # default data source of the report
    tables: {events: app_events} # physical table names, when they differ from the contract
    csv: {encoding: gbk}         # CSV files of a folder source in GBK (default utf-8)
    columns:                     # company column name -> canonical name, per table
      events: {uid: user_id, ts: event_time}
    events:
      active: null               # event names that count as "active"; null = every event
      conversion_steps: [view_product, add_to_cart, submit_order, pay_order]
    orders:
      paid_statuses: [paid]
    targets: {new_users: 1500}   # period targets for target completion
    alerts: {pct_change: 0.15}   # flag a KPI that moved more than 15% on the previous period
    memory_limit: 1GB            # DuckDB's working memory; null: 80% of the machine's
"""

from __future__ import annotations

import codecs
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ..exceptions import ParamsError
from ._checks import (
    check_choice,
    check_mapping,
    check_names,
    check_number,
    check_one_of,
    check_size,
    check_text,
    is_number,
)
from .contract import TABLES
from .kpis import check_targets

__all__ = ["Params", "load_params"]

DEFAULTS: dict[str, Any] = {
    "language": "en",
    "timezone": "Asia/Shanghai",
    "source": None,
    "engine": "duckdb",  # duckdb, or spark: path sources read by a SparkSession
    # working memory of the embedded DuckDB (beyond it, data spills to disk); null: DuckDB's
    # own default, 80% of the machine's memory
    "memory_limit": "1GB",
    "tables": {},
    "columns": {},
    "events": {"active": None, "conversion_steps": [], "activation": None},
    "orders": {"paid_statuses": ["paid"]},
    "targets": {},
    "alerts": {"pct_change": 0.15},
    "report": {"title": None, "company": None},
    "validation": {"on_load": True, "max_examples": 5},
    "csv": {"encoding": "utf-8"},  # text encoding of CSV files in a folder source (gbk, ...)
    # which events mean what to a content item (events carrying its content_id)
    "content": {
        "read": ["view_content"],
        "like": ["like"],
        "comment": ["comment"],
        "share": ["share"],
        "save": ["favorite"],
    },
    "community": {"message": ["send_message"], "add_wecom": ["add_wecom"]},  # messages, WeCom
    "rfm": yaml.safe_load(
        (Path(__file__).parent / "defaults" / "rfm.yaml").read_text(encoding="utf-8")
    ),
}

DEFAULTS["activity"] = {
    # activity tiers by active days in the period: high >= high, medium >= medium, else low
    "tiers": {"high": 4, "medium": 2},
}
DEFAULTS["churn"] = {
    "silent_days": 7,  # no active event for at least this many days: silent
    "churned_days": 30,  # ... for at least this many days: churned
    "risk_weeks": 4,  # at-risk users compare the recent half of these weeks with the half before
    "risk_gap_ratio": 2.0,  # at risk: days since last active >= this x the usual gap ...
    "risk_min_gap_days": 3,  # ... and at least this many days
    "risk_type_drop": 2,  # at risk: this many fewer distinct event types than before
}
DEFAULTS["channels"] = {
    "horizon_days": 30,  # first order and revenue per new user are counted this many days
    "referral_channel": "referral",  # the channel whose inviters are counted
    "invite_event": "invite",  # the event an inviter sends; absent: no viral figures
}
DEFAULTS["findings"] = {  # at most `limit` findings; a watched segment that lost
    "limit": 7,  # `segment_drop` of its users is one; actions: {kind.metric|metric|kind: text}
    "segment_drop": 0.10,
    "watch_segments": ["important_value", "important_develop", "general_value", "diamond", "vip"],
    "actions": {},  # text, or {en: ..., zh: ...}
}
DEFAULTS["experiments"] = yaml.safe_load(
    (Path(__file__).parent / "defaults" / "experiments.yaml").read_text(encoding="utf-8")
)

# mappings under these keys take names of the user's choosing (new schemes, their segments)
_OPEN_KEYS = ("rfm.schemes", "rfm.segments", "experiments.splits", "experiments.definitions")

LANGUAGES = ("en", "zh")
ENGINES = ("duckdb", "spark")


def _merge(base: dict[str, Any], override: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        where = f"{path}{key}"
        if key not in base and path.rstrip(".").startswith(_OPEN_KEYS):
            out[key] = copy.deepcopy(value)
            continue
        if key not in base:
            known = ", ".join(sorted(base))
            raise ParamsError(
                f"Unknown params key {where!r}. Known keys here: {known}. "
                "Check the spelling in your params file."
            )
        if isinstance(base[key], dict) and base[key] and isinstance(value, Mapping):
            out[key] = _merge(base[key], value, where + ".")
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class ActivityParams:
    """``activity``: tiers by active days in a period (high >= tier_high, medium >= tier_medium)."""

    tier_high: int
    tier_medium: int


@dataclass(frozen=True)
class ChurnParams:
    """``churn``: silent and churned thresholds, and the at-risk rules (see the DEFAULTS)."""

    silent_days: int
    churned_days: int
    risk_weeks: int
    risk_gap_ratio: float
    risk_min_gap_days: int
    risk_type_drop: int


@dataclass(frozen=True)
class ChannelsParams:
    """``channels``: outcome horizon of new users and the referral (viral) settings."""

    horizon_days: int
    referral_channel: str
    invite_event: str | None


@dataclass(frozen=True)
class ExperimentParams:
    """``experiments``: the A/B analysis settings (see the DEFAULTS for each key)."""

    control: str
    splits: dict[str, dict[str, float]]
    metrics: list[str]
    definitions: dict[str, dict[str, Any]]
    alpha: float
    alternative: str
    relative: bool
    power: float
    planned_mde: float
    correction: str
    sequential: str | bool
    sequential_tuning: float
    running_days: int
    srm_threshold: float
    multiple_exposure_warn: float
    min_sample: int
    cuped_days: int
    winsorize: float | None
    prior_sd: float | None


@dataclass(frozen=True)
class Params:
    """Validated params. Read settings through the properties; ``raw`` holds the merged dict."""

    raw: dict[str, Any]
    path: str | None = None

    @property
    def language(self) -> str:
        return self.raw["language"]

    @property
    def timezone(self) -> str:
        return self.raw["timezone"]

    @property
    def engine(self) -> str:
        return str(self.raw["engine"])

    @property
    def memory_limit(self) -> str | None:
        value = self.raw["memory_limit"]
        return None if value is None else str(value)

    @property
    def source(self) -> str | None:
        return self.raw["source"]

    @property
    def active_events(self) -> list[str] | None:
        active = self.raw["events"]["active"]
        return None if active is None else list(active)

    @property
    def conversion_steps(self) -> list[str]:
        return list(self.raw["events"]["conversion_steps"] or [])

    @property
    def paid_statuses(self) -> list[str]:
        return list(self.raw["orders"]["paid_statuses"])

    @property
    def targets(self) -> dict[str, float]:
        return dict(self.raw["targets"] or {})

    @property
    def rfm(self) -> dict[str, Any]:
        """RFM settings: bins, method, split, thresholds, schemes and segment labels/actions."""
        return self.raw["rfm"]

    @property
    def experiments(self) -> ExperimentParams:
        """A/B settings: control, splits, metrics, alpha, correction, sequential, CUPED, ..."""
        e = self.raw["experiments"]
        return ExperimentParams(
            **{**e, "splits": dict(e["splits"] or {}), "definitions": dict(e["definitions"] or {})}
        )

    @property
    def activity(self) -> ActivityParams:
        tiers = self.raw["activity"]["tiers"]
        return ActivityParams(tier_high=int(tiers["high"]), tier_medium=int(tiers["medium"]))

    @property
    def churn(self) -> ChurnParams:
        return ChurnParams(**self.raw["churn"])

    @property
    def channels(self) -> ChannelsParams:
        return ChannelsParams(**self.raw["channels"])

    @property
    def activation_events(self) -> list[str] | None:
        """Event names that activate a new user (params ``events.activation``)."""
        names = self.raw["events"]["activation"]
        return None if names is None else list(names)

    @property
    def report_title(self) -> str | None:
        return self.raw["report"]["title"]

    @property
    def company(self) -> str | None:
        return self.raw["report"]["company"]

    @property
    def validate_on_load(self) -> bool:
        return bool(self.raw["validation"]["on_load"])

    @property
    def content_events(self) -> dict[str, list[str]]:
        """Event names per content action: read, like, comment, share, save."""
        return {k: list(v) for k, v in self.raw["content"].items()}

    @property
    def community_events(self) -> dict[str, list[str]]:
        """Event names of community messages (``message``) and of adding WeCom (``add_wecom``)."""
        return {k: list(v) for k, v in self.raw["community"].items()}

    @property
    def csv_encoding(self) -> str:
        """Text encoding of CSV files in a folder source (params ``csv.encoding``)."""
        return str(self.raw["csv"]["encoding"])

    @property
    def findings(self) -> dict[str, Any]:
        """``findings``: limit, segment_drop, watch_segments and actions (see the DEFAULTS)."""
        return dict(self.raw["findings"])

    @property
    def max_examples(self) -> int:
        return int(self.raw["validation"]["max_examples"])

    @property
    def alert_pct_change(self) -> float:
        return float(self.raw["alerts"]["pct_change"])

    def physical_table(self, table: str) -> str:
        """Name of the physical table (or file stem) that holds canonical ``table``."""
        return (self.raw["tables"] or {}).get(table, table)

    def column_mapping(self, table: str) -> dict[str, str]:
        """``{company column: canonical column}`` for ``table`` (empty when none is set)."""
        return dict((self.raw["columns"] or {}).get(table) or {})


def _validate(raw: dict[str, Any], where: str) -> None:
    check_one_of("language", raw["language"], LANGUAGES)
    check_one_of("engine", raw["engine"], ENGINES)
    check_size("memory_limit", raw["memory_limit"], where)
    try:
        ZoneInfo(str(raw["timezone"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ParamsError(
            f"timezone={raw['timezone']!r} in {where} is not an IANA time zone; "
            "use a name such as 'Asia/Shanghai' or 'UTC'."
        ) from None
    for key in ("tables", "columns"):
        for table in raw[key] or {}:
            if table not in TABLES:
                raise ParamsError(
                    f"{key}: {table!r} in {where} is not a table of the data contract; "
                    f"use one of {', '.join(TABLES)}."
                )
    for table, mapping in (raw["columns"] or {}).items():
        if not isinstance(mapping, Mapping):
            raise ParamsError(
                f"columns.{table} in {where} must map your column names to canonical ones, "
                f"e.g. columns: {{{table}: {{uid: user_id}}}}; got {mapping!r}."
            )
        spec = TABLES[table]
        for own, canonical in mapping.items():
            if table != "users" and spec.column(str(canonical)) is None:
                known = ", ".join(c.name for c in spec.columns)
                raise ParamsError(
                    f"columns.{table}.{own} in {where} maps onto {canonical!r}, which is not a "
                    f"column of table {table!r}. Canonical columns: {known}."
                )
    pct = raw["alerts"]["pct_change"]
    if not is_number(pct) or pct <= 0:
        raise ParamsError(f"alerts.pct_change in {where} must be a positive fraction such as 0.15.")
    check_targets(raw["targets"], where)
    _validate_sections(raw, where)


def _validate_sections(raw: dict[str, Any], where: str) -> None:
    """Type and range checks of every section the analyses read (one error per bad key)."""
    check_names(raw, "events.active", where, optional=True)
    check_names(raw, "events.conversion_steps", where, optional=True, steps=True)
    check_names(raw, "events.activation", where, optional=True)
    check_names(raw, "orders.paid_statuses", where)
    check_text(raw, "report.title", where, optional=True)
    check_text(raw, "report.company", where, optional=True)
    check_choice(raw, "validation.on_load", where, (True, False))
    check_number(raw, "validation.max_examples", where, integer=True, low=0)
    check_text(raw, "csv.encoding", where)
    for action in ("read", "like", "comment", "share", "save"):
        check_names(raw, f"content.{action}", where)
    check_names(raw, "community.message", where)
    check_number(raw, "findings.limit", where, integer=True, low=1)
    check_number(raw, "findings.segment_drop", where, low=0, high=1, open_low=True)
    check_names(raw, "findings.watch_segments", where)
    for key, action in (raw["findings"]["actions"] or {}).items():
        texts = dict(action) if isinstance(action, Mapping) else {"en": action}
        if not all(isinstance(v, str) for v in texts.values()) or not set(texts) <= {*LANGUAGES}:
            raise ParamsError(
                f"findings.actions.{key} in {where} must be a text or {{en: ..., zh: ...}}; "
                f"got {action!r}."
            )
    check_names(raw, "community.add_wecom", where)
    try:
        codecs.lookup(str(raw["csv"]["encoding"]))
    except LookupError:
        raise ParamsError(
            f"csv.encoding={raw['csv']['encoding']!r} in {where} is not a text encoding Python "
            "knows; use e.g. utf-8, gbk, gb18030 or utf-16."
        ) from None

    check_number(raw, "activity.tiers.high", where, integer=True, low=2)
    check_number(raw, "activity.tiers.medium", where, integer=True, low=2)
    tiers = raw["activity"]["tiers"]
    if tiers["medium"] >= tiers["high"]:
        raise ParamsError(
            f"activity.tiers needs 1 < medium < high; got medium={tiers['medium']}, "
            f"high={tiers['high']} in {where}."
        )

    for key in ("silent_days", "churned_days", "risk_min_gap_days"):
        check_number(raw, f"churn.{key}", where, integer=True, low=1)
    check_number(raw, "churn.risk_weeks", where, integer=True, low=2)
    check_number(raw, "churn.risk_type_drop", where, integer=True, low=1)
    check_number(raw, "churn.risk_gap_ratio", where, low=1)
    churn = raw["churn"]
    if churn["churned_days"] < churn["silent_days"]:
        raise ParamsError(
            f"churn.churned_days={churn['churned_days']} in {where} is shorter than "
            f"churn.silent_days={churn['silent_days']}; a churned user has been silent longer."
        )

    check_number(raw, "channels.horizon_days", where, integer=True, low=1)
    check_text(raw, "channels.referral_channel", where)
    check_text(raw, "channels.invite_event", where, optional=True)

    e = "experiments"
    check_text(raw, f"{e}.control", where)
    check_mapping(raw, f"{e}.splits", where)
    check_mapping(raw, f"{e}.definitions", where)
    check_names(raw, f"{e}.metrics", where)
    check_number(raw, f"{e}.alpha", where, low=0, high=0.5, open_low=True, open_high=True)
    check_choice(raw, f"{e}.alternative", where, ("two-sided", "greater", "less"))
    check_choice(raw, f"{e}.correction", where, ("holm", "bh", "none"))
    check_choice(raw, f"{e}.relative", where, (True, False))
    check_number(raw, f"{e}.power", where, low=0, high=1, open_low=True, open_high=True)
    check_number(raw, f"{e}.planned_mde", where, low=0, open_low=True)
    check_choice(raw, f"{e}.sequential", where, ("auto", True, False))
    check_number(raw, f"{e}.sequential_tuning", where, low=0, open_low=True)
    check_number(raw, f"{e}.running_days", where, integer=True, low=0)
    check_number(raw, f"{e}.srm_threshold", where, low=0, high=1, open_low=True, open_high=True)
    check_number(raw, f"{e}.multiple_exposure_warn", where, low=0, high=1)
    check_number(raw, f"{e}.min_sample", where, integer=True, low=0)
    check_number(raw, f"{e}.cuped_days", where, integer=True, low=0)
    check_number(raw, f"{e}.winsorize", where, low=0.5, high=1, open_high=True, optional=True)
    check_number(raw, f"{e}.prior_sd", where, low=0, open_low=True, optional=True)


def with_language(params: Params, language: str) -> Params:
    """The same params with ``language`` (en or zh) instead of theirs."""
    check_one_of("language", language, LANGUAGES)
    return Params({**params.raw, "language": language}, params.path)


def with_engine(params: Params, engine: str) -> Params:
    """The same params with ``engine`` (duckdb or spark) instead of theirs."""
    check_one_of("engine", engine, ENGINES)
    return Params({**params.raw, "engine": engine}, params.path)


def load_params(params: str | Path | Mapping[str, Any] | Params | None = None) -> Params:
    """Load params from a YAML file, a dict, or nothing (the defaults).

    Parameters
    ----------
    params
        Path of a YAML file, a mapping with the same structure, an existing :class:`Params`
        (returned unchanged), or None for :data:`DEFAULTS`.

    Raises
    ------
    ParamsError
        The file is missing or not YAML, a key is unknown, or a value is invalid.

    Examples
    --------
    >>> load_params({"language": "zh"}).language
    'zh'
    """
    if isinstance(params, Params):
        return params
    path: str | None = None
    if params is None:
        given: Mapping[str, Any] = {}
    elif isinstance(params, (str, Path)):
        path = str(params)
        p = Path(params)
        if not p.is_file():
            raise ParamsError(f"Params file {path!r} does not exist; pass the path of a YAML file.")
        try:
            given = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ParamsError(
                f"Params file {path!r} is not valid YAML{where}: {problem}. Check the brackets, "
                "quotes and indentation there."
            ) from None
        if not isinstance(given, Mapping):
            raise ParamsError(f"Params file {path!r} must hold a mapping of keys to values.")
    elif isinstance(params, Mapping):
        given = params
    else:
        raise ParamsError(f"params must be a path, a mapping or None; got {type(params).__name__}.")
    raw = _merge(DEFAULTS, given)
    _validate(raw, path or "params")
    return Params(raw=raw, path=path)
