"""The data layer: contract, params, periods, sources, validation, demo data, engine helpers.

Imports nothing above it (no stats, metrics or report module).
"""
