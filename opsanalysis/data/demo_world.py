"""The demo world's design: channels of different quality, touchpoints, events, content,
cities, daily rhythms, and the plan of who signs up when. :mod:`~opsanalysis.data.demo`
simulates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

__all__: list[str] = []  # the demo's design; nothing is re-exported

CHANNELS = ["organic_search", "feed_ads", "short_video", "referral", "offline_event"]
CHANNEL_SHARE = np.array([0.30, 0.28, 0.20, 0.14, 0.08])
# daily chance of being active right after signup, its decay (days) and long-run floor
ACTIVITY = np.array([0.45, 0.30, 0.36, 0.50, 0.55])
DECAY_DAYS = np.array([40.0, 12.0, 18.0, 50.0, 35.0])
FLOOR = np.array([0.25, 0.07, 0.12, 0.30, 0.25])
EVENTS_PER_SESSION = np.array([5.5, 4.0, 5.0, 6.0, 5.5])  # mean extra events per active day
BUY_PER_ACTIVE_DAY = np.array([0.045, 0.022, 0.030, 0.055, 0.065])
SPEND_MU = np.array([4.55, 4.35, 4.25, 4.60, 4.80])  # log of the typical order value, yuan
CAC = np.array([3.0, 38.0, 22.0, 9.0, 55.0])  # spend per new user, yuan

TOUCHPOINTS = ["wecom", "community", "miniprogram", "official_account", "app"]
TOUCHPOINT_BY_CHANNEL = np.array(
    [
        [0.15, 0.10, 0.30, 0.25, 0.20],  # organic_search
        [0.10, 0.05, 0.45, 0.10, 0.30],  # feed_ads
        [0.10, 0.10, 0.40, 0.10, 0.30],  # short_video
        [0.35, 0.35, 0.15, 0.10, 0.05],  # referral
        [0.40, 0.25, 0.15, 0.15, 0.05],  # offline_event
    ]
)
BROWSE_EVENTS = [
    "view_content",
    "like",
    "share",
    "comment",
    "favorite",
    "view_product",
    "add_to_cart",
    "search",
    "send_message",
    "add_wecom",
]
BROWSE_P = np.array([0.34, 0.10, 0.04, 0.03, 0.03, 0.22, 0.06, 0.10, 0.06, 0.02])
CONTENT_EVENTS = {"view_content", "like", "share", "comment", "favorite"}
BUY_EVENTS = ["view_product", "add_to_cart", "submit_order", "pay_order"]
EVENT_NAMES = ["register", "session_start"] + BROWSE_EVENTS + ["submit_order", "pay_order"]
EV = {name: i for i, name in enumerate(EVENT_NAMES)}

CITIES = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Xi'an", "Other"]
CITY_P = np.array([0.14, 0.12, 0.10, 0.09, 0.09, 0.07, 0.06, 0.33])
AGE_BANDS = ["18-24", "25-34", "35-44", "45+"]
AGE_P = np.array([0.24, 0.42, 0.22, 0.12])
CONTENT_TYPES = ["article", "video", "live"]

# experiments with known truths: the checkout copy multiplies the daily chance of a purchase
# after assignment (rolled out to everyone over three weeks); the onboarding flow loses a
# share of its treatment assignments (a sample-ratio mismatch)
CHECKOUT_LIFT = 1.30
CHECKOUT_RAMP_DAYS = 21
ONBOARDING_LOST_SHARE = 0.15
CONTENT_TYPE_P = [0.6, 0.3, 0.1]
# of the share events drawn for an item, the share kept by type (the rest are plain reads):
# videos are shared most, live sessions least
SHARE_KEPT = np.array([0.55, 1.0, 0.3])  # article, video, live

# planted anomalies (recorded in table demo_anomalies): a campaign day that brings SIGNUP_SPIKE
# times the usual signups (two weeks before the end), and community messages cut by
# MESSAGE_DROP (four weeks before the end)
SIGNUP_SPIKE = 4.0
MESSAGE_DROP = 0.45
# weekly push campaigns cost PUSH_COST a day; the campaign of the spike week was a paid KOC
# campaign costing KOC_COST on the spike day, more than it returned
PUSH_COST = 400.0
KOC_COST = 450_000.0

# hour-of-day weights: weekday morning / lunch / evening peaks; weekends later and flatter
_WEEKDAY_HOURS = np.array(
    [2, 1, 1, 1, 1, 2, 4, 8, 10, 6, 5, 6, 10, 9, 5, 5, 5, 6, 9, 14, 16, 15, 11, 5], float
)
_WEEKEND_HOURS = np.array(
    [4, 2, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 9, 9, 9, 9, 10, 12, 13, 13, 10, 6], float
)
HOUR_P = np.stack([_WEEKDAY_HOURS / _WEEKDAY_HOURS.sum(), _WEEKEND_HOURS / _WEEKEND_HOURS.sum()])
DOW_FACTOR = np.array([1.0, 1.0, 1.02, 1.0, 0.95, 0.85, 0.9])  # Monday..Sunday


@dataclass(frozen=True)
class World:
    n_users: int
    days: int
    start: date
    seed: int
    signup_day: np.ndarray  # per user, sorted
    channel: np.ndarray  # per user, index into CHANNELS
    content_first: np.ndarray  # per day, first content index published that day
    content_count: np.ndarray  # per day, items published that day
    content_type: np.ndarray  # per item, index into CONTENT_TYPES
    experiments: dict[str, tuple[int, int]]  # id -> (first day, last day) inclusive
    spike_day: int  # the campaign day with SIGNUP_SPIKE times the signups
    message_drop: tuple[int, int]  # days (first, last) with community messages cut


def epoch(d: date) -> int:
    return int((datetime(d.year, d.month, d.day) - datetime(1970, 1, 1)).total_seconds())


def hours(rng: np.random.Generator, weekend: np.ndarray) -> np.ndarray:
    """Draw an hour of day for each row, by the weekday or weekend profile."""
    cdf = np.cumsum(HOUR_P, axis=1)
    u = rng.random(len(weekend))
    return np.minimum((u[:, None] > cdf[weekend.astype(int)]).sum(axis=1), 23)


def plan_world(n_users: int, weeks: int, end: date, seed: int) -> World:
    rng = np.random.default_rng([seed, 0])
    days = weeks * 7
    start = end - timedelta(days=days - 1)
    d = np.arange(days)
    dow = np.array([(start + timedelta(days=int(i))).weekday() for i in d])
    weight = (1.0 + 0.8 * d / days) * np.where(dow >= 5, 1.15, 1.0)
    weight *= rng.lognormal(0.0, 0.12, days)
    # the planted campaign day: Wednesday two weeks before the last week
    last_monday = days - 1 - dow[-1]
    spike_day = max(0, last_monday - 14 + 2)
    weight[spike_day] *= SIGNUP_SPIKE
    drop_start = max(0, last_monday - 28)
    message_drop = (drop_start, min(days - 1, drop_start + 6))
    signup_day = np.sort(rng.choice(days, size=n_users, p=weight / weight.sum()))
    channel = rng.choice(len(CHANNELS), size=n_users, p=CHANNEL_SHARE)
    content_count = rng.poisson(3.0, days) + 1
    content_first = np.concatenate([[0], np.cumsum(content_count)[:-1]])
    content_type = np.random.default_rng([seed, 4]).choice(
        len(CONTENT_TYPES), int(content_count.sum()), p=CONTENT_TYPE_P
    )
    experiments = {
        "exp_checkout_copy": (days - 42, days - 1),
        "exp_push_time": (days - 56, days - 15),
        "exp_onboarding": (days - 28, days - 1),
    }
    return World(
        n_users,
        days,
        start,
        seed,
        signup_day,
        channel,
        content_first,
        content_count,
        content_type,
        experiments,
        spike_day,
        message_drop,
    )


def campaign_names(world: World) -> list[str]:
    """Weekly push campaign ids, ``push_<ISO year>W<week>``, from the first simulated week."""
    n_weeks = (world.days + world.start.weekday()) // 7 + 1
    monday = world.start - timedelta(days=world.start.weekday())
    return [
        "push_{}W{:02d}".format(*(monday + timedelta(weeks=w)).isocalendar()[:2])
        for w in range(n_weeks)
    ]


def campaign_of_day(world: World, day: np.ndarray | int) -> np.ndarray:
    """Index into :func:`campaign_names` of the week holding each simulated day."""
    return ((np.asarray(day) + world.start.weekday()) // 7).astype(np.int32)


def week_label(world: World, day: int) -> str:
    y, w, _ = (world.start + timedelta(days=int(day))).isocalendar()
    return f"{y}-W{w:02d}"
