"""``nasim.replay``, ``nasim.simulate`` and ``nasim.energy``: the runs, and with
``uncertainty=True`` the runs with the 95 % intervals of their results
(:mod:`nasim.uncertainty.run`; the uncertainty options are keyword-only: ``samples``,
``seed``, ``vary``, ``exclude``, ``exclude_file``, ``only``, ``workers``, ``scheduler``)."""

from __future__ import annotations

from nasim.simulate import simulate as _simulate
from nasim.simulate.energy import energy as _energy
from nasim.simulate.replay import replay as _replay
from nasim.uncertainty import run

_OPTIONS = ("samples", "seed", "vary", "exclude", "exclude_file", "only", "workers",
            "scheduler")


def _split(kwargs: dict, uncertainty: bool) -> dict:
    options = {k: kwargs.pop(k) for k in _OPTIONS if k in kwargs}
    if options and not uncertainty:
        raise TypeError(f"{', '.join(options)}: options of uncertainty=True")
    return options


def replay(protocol, model=None, *, uncertainty: bool = False, **kwargs):
    """:func:`nasim.simulate.replay.replay`; ``uncertainty=True``:
    :func:`nasim.uncertainty.run.replay_uncertainty`."""
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _replay(protocol, model, **kwargs)
    return run.replay_uncertainty(protocol, model, **options, **kwargs)


def simulate(cell, *, uncertainty: bool = False, **kwargs):
    """:func:`nasim.simulate.simulate`; ``uncertainty=True``:
    :func:`nasim.uncertainty.run.simulate_uncertainty`."""
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _simulate(cell, **kwargs)
    return run.simulate_uncertainty(cell, **options, **kwargs)


def energy(cell, current_mA_per_g=None, c_rate=None, temperature_C=None, model="DFN", *,
           uncertainty: bool = False, **kwargs):
    """:func:`nasim.simulate.energy.energy`; ``uncertainty=True``:
    :func:`nasim.uncertainty.run.energy_uncertainty`."""
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _energy(cell, current_mA_per_g, c_rate, temperature_C, model, **kwargs)
    return run.energy_uncertainty(cell, current_mA_per_g, c_rate, temperature_C, model,
                                  **options, **kwargs)


__all__ = ["energy", "replay", "simulate"]
