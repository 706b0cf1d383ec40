"""Uncertainty of predictions: assumed ranges and fitted intervals carried to every predicted
number (see :mod:`nasim.uncertainty.run`)."""

from nasim.uncertainty.inputs import UncertainInput, discover, select
from nasim.uncertainty.result import UncertaintyResult
from nasim.uncertainty.run import DEFAULT_SAMPLES, replay_uncertainty

__all__ = ["DEFAULT_SAMPLES", "UncertainInput", "UncertaintyResult", "discover",
           "replay_uncertainty", "select"]
