"""Uncertainty of predictions: assumed ranges and fitted intervals carried to every predicted
number (see :mod:`nasim.uncertainty.run`). Names load on first use (the CLI's argument parser
reads :mod:`nasim.uncertainty.inputs` without scipy, pandas or the sweep)."""

from __future__ import annotations

import importlib

_PUBLIC = {"DEFAULT_SAMPLES": "nasim.uncertainty.inputs",
           "UncertainInput": "nasim.uncertainty.inputs",
           "discover": "nasim.uncertainty.inputs", "select": "nasim.uncertainty.inputs",
           "UncertaintyResult": "nasim.uncertainty.result",
           "replay_uncertainty": "nasim.uncertainty.run",
           "simulate_uncertainty": "nasim.uncertainty.run",
           "energy_uncertainty": "nasim.uncertainty.run"}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'nasim.uncertainty' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)
