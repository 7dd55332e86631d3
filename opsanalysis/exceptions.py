"""Exceptions raised by opsanalysis.

Every error derives from :class:`OpsAnalysisError` and also from the builtin that fits it,
so ``except ValueError`` keeps working for callers that do not know this package.
"""

from __future__ import annotations

__all__ = [
    "OpsAnalysisError",
    "DataContractError",
    "ParamsError",
    "PeriodError",
    "ReportError",
    "SourceError",
]


class OpsAnalysisError(Exception):
    """Base class of every error raised by opsanalysis."""


class DataContractError(ValueError, OpsAnalysisError):
    """A table breaks the data contract (missing column, bad values, duplicates, ...)."""


class ParamsError(ValueError, OpsAnalysisError):
    """A params file or option is invalid."""


class PeriodError(ValueError, OpsAnalysisError):
    """A period string cannot be parsed or does not fit the data."""


class SourceError(ValueError, OpsAnalysisError):
    """A data source cannot be opened or does not hold the table asked for."""


class ReportError(RuntimeError, OpsAnalysisError):
    """A report notebook failed to execute or export."""
