"""Metrics of simulated (or measured) charge/discharge curves."""

from nasim.analysis.metrics import step_metrics

__all__ = ["step_metrics"]
