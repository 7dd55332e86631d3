"""The analyses: KPIs, activity, retention, churn, channels, funnels, RFM, segments, CLV.

They return numbers and codes, never prose. Import only the data and stats layers.
"""
