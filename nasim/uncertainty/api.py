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


_UNCERTAINTY_PARAMETERS = """    uncertainty
        ``True``: also sample the assumed ranges and the fitted intervals of the cell's files
        and return the run with the 2.5 / 97.5 percentiles of its results
        (:mod:`nasim.uncertainty.run`); keyword-only options then: ``samples`` (default 64),
        ``seed``, ``vary`` (``"assumed"``, ``"fitted"`` or ``"all"``), ``exclude``,
        ``exclude_file``, ``only``, ``workers``, ``scheduler`` (Dask).

"""


def _with_uncertainty(run_function):
    """The decorated wrapper's docstring: ``run_function``'s numpy-style docstring with the
    ``uncertainty`` parameter added at the end of its Parameters section."""

    def document(wrapper):
        doc = run_function.__doc__ or ""
        head, sep, tail = doc.partition("    Returns\n")
        wrapper.__doc__ = head + _UNCERTAINTY_PARAMETERS + sep + tail if sep else doc
        return wrapper

    return document


def _split(kwargs: dict, uncertainty: bool) -> dict:
    options = {k: kwargs.pop(k) for k in _OPTIONS if k in kwargs}
    if options and not uncertainty:
        raise TypeError(f"{', '.join(options)}: options of uncertainty=True")
    return options


@_with_uncertainty(_replay)
def replay(protocol, model=None, *, uncertainty: bool = False, **kwargs):
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _replay(protocol, model, **kwargs)
    return run.replay_uncertainty(protocol, model, **options, **kwargs)


@_with_uncertainty(_simulate)
def simulate(cell, *, uncertainty: bool = False, **kwargs):
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _simulate(cell, **kwargs)
    return run.simulate_uncertainty(cell, **options, **kwargs)


@_with_uncertainty(_energy)
def energy(cell, current_mA_per_g=None, c_rate=None, temperature_C=None, model="DFN", *,
           uncertainty: bool = False, **kwargs):
    options = _split(kwargs, uncertainty)
    if not uncertainty:
        return _energy(cell, current_mA_per_g, c_rate, temperature_C, model, **kwargs)
    return run.energy_uncertainty(cell, current_mA_per_g, c_rate, temperature_C, model,
                                  **options, **kwargs)


__all__ = ["energy", "replay", "simulate"]
