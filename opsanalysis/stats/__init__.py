"""The statistics layer: sufficient statistics, A/B tests, planning, experiments.

Imports only the data layer.
"""
