"""Pure functions of time series and budgets: step metrics, dQ/dV, energy per level
(:mod:`nasim.analysis.energy`). Never runs a simulation: the runs are in :mod:`nasim.simulate`."""

from nasim.analysis.metrics import step_metrics

__all__ = ["step_metrics"]
