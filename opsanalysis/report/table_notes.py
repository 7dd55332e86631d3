"""The one-line notes under tables that say what their numbers are (en and zh).

A table whose figure a reader could take for another one (a read rate over other users than
the scorecard's, revenue attributed to a campaign that spent nothing this period) says its
denominator or its attribution here, in the words of ../shared/GLOSSARY.md.
"""

from __future__ import annotations

__all__: list[str] = []  # the report's own wording; display.py puts it under the tables

TABLE_NOTES: dict[str, dict[str, str]] = {
    "content": {
        "en": "Read rate: readers of an item / users active in the {days} days before it was "
        "published, pooled over the type's items; Readers is summed over items (a user who "
        "read two items counts twice); like, comment and share rates are per reader. The "
        "scorecard's content read rate is another figure: readers / active users of the "
        "period.",
        "zh": "阅读率＝阅读人数 ÷ 发布前 {days} 天内活跃的用户数，按类型汇总各篇；阅读人数为各篇"
        "相加（一人读两篇计两次）；点赞、评论、分享率以阅读人数为分母。核心指标看板中的内容阅读率"
        "是另一指标：阅读人数 ÷ 本期活跃用户。",
    },
    "campaign_id": {
        "en": "Revenue: paid orders of the period credited to a campaign by last touch (the "
        "latest event carrying its id, at most {days} days before the order), so a campaign "
        "of an earlier period can earn revenue here without spend in this one. ROAS = revenue "
        "/ spend (1:x); ROI = (revenue - spend) / spend.",
        "zh": "营收：本期已支付订单按末次触达归因（订单前 {days} 天内最后一次带该活动 ID 的事件），"
        "因此往期活动本期即使没有投入也可能有营收。投产比＝营收 ÷ 投入（1:x）；"
        "净回报率＝（营收－投入）÷ 投入。",
    },
    "channel": {
        "en": "Revenue: paid orders in the period of the users who signed up through the "
        "channel in the period. ROAS = revenue / spend (1:x); ROI = (revenue - spend) / spend.",
        "zh": "营收：本期经该渠道注册的用户在本期的已支付订单。投产比＝营收 ÷ 投入（1:x）；"
        "净回报率＝（营收－投入）÷ 投入。",
    },
}


def table_note(key: str, language: str, **values: object) -> str:
    """The note under table ``key`` in ``language``, filled with ``values``."""
    return TABLE_NOTES[key][language].format(**values)
