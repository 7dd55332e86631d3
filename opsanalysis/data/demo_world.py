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
    experiments: dict[str, tuple[int, int]]  # id -> (first day, last day) inclusive


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
    weight[rng.choice(days, size=max(1, days // 40), replace=False)] *= 2.2  # campaign days
    signup_day = np.sort(rng.choice(days, size=n_users, p=weight / weight.sum()))
    channel = rng.choice(len(CHANNELS), size=n_users, p=CHANNEL_SHARE)
    content_count = rng.poisson(3.0, days) + 1
    content_first = np.concatenate([[0], np.cumsum(content_count)[:-1]])
    experiments = {
        "exp_checkout_copy": (days - 42, days - 1),
        "exp_push_time": (days - 56, days - 15),
        "exp_onboarding": (days - 28, days - 1),
    }
    return World(
        n_users, days, start, seed, signup_day, channel, content_first, content_count, experiments
    )
