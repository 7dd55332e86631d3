"""The demo's tables that belong to the world rather than to its users: content items, daily
spend per channel and campaign, the experiments' known truths, and the planted anomalies."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from .demo_world import (
    CAC,
    CHANNELS,
    CHECKOUT_LIFT,
    CONTENT_TYPES,
    KOC_COST,
    ONBOARDING_LOST_SHARE,
    PUSH_COST,
    TOUCHPOINTS,
    World,
    campaign_names,
    campaign_of_day,
    epoch,
    week_label,
)

__all__: list[str] = []  # the demo's internals; nothing is re-exported


def content_table(world: World) -> pd.DataFrame:
    rng = np.random.default_rng([world.seed, 2])
    k = int(world.content_count.sum())
    day = np.repeat(np.arange(world.days), world.content_count)
    kind = world.content_type
    hour = np.where(kind == 2, 20, rng.choice([8, 12, 18, 20], k))
    published = epoch(world.start) + day * 86400 + hour * 3600 + rng.integers(0, 1800, k)
    touch = rng.choice(len(TOUCHPOINTS), k, p=[0.3, 0.25, 0.15, 0.25, 0.05])
    return pd.DataFrame(
        {
            "content_id": np.arange(k, dtype=np.int64) + 1,
            "published_at": published.astype("datetime64[s]").astype("datetime64[us]"),
            "type": np.array(CONTENT_TYPES, dtype=object)[kind],
            "title": [f"{CONTENT_TYPES[c].title()} #{i + 1}" for i, c in enumerate(kind)],
            "touchpoint": np.array(TOUCHPOINTS, dtype=object)[touch],
        }
    )


def spend_table(world: World) -> pd.DataFrame:
    rng = np.random.default_rng([world.seed, 3])
    counts = np.zeros((world.days, len(CHANNELS)))
    np.add.at(counts, (world.signup_day, world.channel), 1)
    cost = counts * CAC[None, :] * rng.lognormal(0, 0.15, counts.shape)
    dates = pd.to_datetime([world.start + timedelta(days=i) for i in range(world.days)])
    day_values = dates.values.astype("datetime64[D]")
    by_channel = pd.DataFrame(
        {
            "date": np.repeat(day_values, len(CHANNELS)),
            "channel": np.tile(CHANNELS, world.days),
            "campaign_id": None,
            "amount": np.round(cost.ravel(), 2),
        }
    )
    # campaigns: a small daily cost per weekly push, and the planted KOC day
    names = campaign_names(world)
    camp = campaign_of_day(world, np.arange(world.days))
    amount = PUSH_COST * rng.lognormal(0, 0.1, world.days)
    amount[world.spike_day] += KOC_COST
    by_campaign = pd.DataFrame(
        {
            "date": day_values,
            "channel": None,
            "campaign_id": np.array(names, dtype=object)[camp],
            "amount": np.round(amount, 2),
        }
    )
    return pd.concat([by_channel, by_campaign], ignore_index=True)


def anomalies_table(world: World) -> pd.DataFrame:
    """The planted anomalies, as kpi_monitor names them: the campaign day's signups and the
    community-message drop."""
    return pd.DataFrame(
        {
            "period": [
                week_label(world, world.spike_day),
                week_label(world, world.message_drop[0]),
            ],
            "metric": ["new_users", "community_messages"],
            "direction": ["up", "down"],
        }
    )


def experiments_table(world: World) -> pd.DataFrame:
    truth = {
        "exp_checkout_copy": (
            "New checkout-page copy",
            "treatment multiplies the daily chance of a purchase after assignment by "
            f"{CHECKOUT_LIFT}",
            "running",
        ),
        "exp_push_time": ("Evening instead of noon push", "no effect", "stopped"),
        "exp_onboarding": (
            "New onboarding flow for new users",
            f"no effect; {ONBOARDING_LOST_SHARE:.0%} of treatment assignments were never logged "
            "(sample-ratio mismatch)",
            "running",
        ),
    }
    rows = []
    for exp_id, (first, last) in world.experiments.items():
        name, effect, status = truth[exp_id]
        rows.append(
            {
                "experiment_id": exp_id,
                "name": name,
                "start_date": world.start + timedelta(days=first),
                "end_date": world.start + timedelta(days=last),
                "status": status,
                "expected_split": "control 0.5, treatment 0.5",
                "true_effect": effect,
            }
        )
    return pd.DataFrame(rows)
