"""Propagating input uncertainty through a replay: samples, runs, percentiles, drivers.

:func:`replay_uncertainty` runs the protocol once with the files' values (the central value),
lists the uncertain inputs (:mod:`nasim.uncertainty.inputs`), keeps those that move the run
(:func:`nasim.uncertainty.worker.probe`), draws ``samples`` Latin-hypercube samples
(:mod:`nasim.uncertainty.sampling`) and replays each on one built model per worker through the
sweep's executors (local processes, or Dask with ``scheduler``). Each step's quantities get the
2.5 and 97.5 percentiles over the samples whose step solved; failed samples are counted and
reported with their reasons.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from nasim.params.names import DEFAULT_SAMPLES
from nasim.protocols import LoadedProtocol, load_protocol
from nasim.sweep.run import execute_tasks
from nasim.uncertainty.inputs import discover, read_exclude_file, select
from nasim.uncertainty.result import UncertaintyResult
from nasim.uncertainty.sampling import latin_hypercube
from nasim.uncertainty.worker import SampleTask, probe, run_samples, warm_group


def _tasks(group, values: np.ndarray, workers: int) -> list[SampleTask]:
    """Contiguous chunks of the samples, eight per worker (each worker process builds the model
    once and keeps it: small chunks only balance the load when some samples solve slowly)."""
    n = len(values)
    chunks = max(1, min(n, 8 * workers))
    bounds = [round(i * n / chunks) for i in range(chunks + 1)]
    return [SampleTask(group, tuple((i, tuple(float(v) for v in values[i]))
                                    for i in range(a, b)))
            for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


class StepRun:
    """The central run of :func:`simulate_uncertainty` / :func:`energy_uncertainty` in the
    shape the result reads from a replay: a one-row ``summary``, no comparisons."""

    def __init__(self, result, cell, model: str, levels: bool):
        from nasim.uncertainty.worker import simulate_row

        self.result, self.model = result, model
        self.name = f"{Path(cell.path).name} {result.direction} at {result.c_rate:.4g}C"
        row = simulate_row(result.timeseries, cell, levels)
        self.summary = pd.DataFrame([{
            "step": 1, "direction": result.direction, "c_rate": result.c_rate,
            "current_mA_per_g": result.current_A / cell.design.cathode_active_mass_kg,
            "temperature_C": result.temperature_K - 273.15,
            **{k: v for k, v in row.items() if k not in ("step", "status")}, "status": "ok",
            "termination": result.termination}])
        self.comparisons = pd.DataFrame(columns=["step", "cycle", "label", "quantity",
                                                 "simulated", "measured", "relative_error",
                                                 "source", "note"])
        self.failed = pd.DataFrame()

    def write(self, out_dir: Path) -> list[Path]:
        from nasim.rundir import save

        path = Path(out_dir) / "timeseries.csv"
        save(path, lambda p: self.result.timeseries.to_csv(p, index=False))
        return [path]


def _propagate(nominal, name: str, protocol_path: str, cell_path: str, model, aging, run: tuple,
               *, samples: int, seed, vary: str, exclude, exclude_file, only, workers,
               scheduler, sequential: bool, progress: bool, tic: float,
               accelerate: bool | None = None) -> UncertaintyResult:
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 2:
        raise ValueError(f"samples must be an integer >= 2 (got {samples!r})")
    patterns = list(exclude) + (read_exclude_file(exclude_file) if exclude_file else [])
    keep, left = select(discover(cell_path), vary, patterns, list(only),
                        mass_budget=run[0] == "energy")
    group, no_effect = probe(protocol_path, cell_path, model, aging, keep, run)
    group = replace(group, sequential=sequential, accelerate=accelerate)
    values = latin_hypercube(list(group.inputs), samples, seed)
    workers = workers or min(os.cpu_count() or 1, samples)
    records: list[dict] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=samples, desc=f"{name} samples", unit="sample")
    try:
        for batch in execute_tasks(_tasks(group, values, workers), run_samples, workers,
                                   scheduler, warm=warm_group):
            records += batch
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    records.sort(key=lambda r: r["sample"])
    return UncertaintyResult(nominal, list(group.inputs), left + no_effect, values, records,
                             seed, vary, time.perf_counter() - tic, name)


def replay_uncertainty(protocol: LoadedProtocol | str | Path, model: str | None = None, *,
                       samples: int = DEFAULT_SAMPLES, seed: int | None = None,
                       vary: str = "all", exclude: Sequence[str] = (),
                       exclude_file: str | Path | None = None, only: Sequence[str] = (),
                       workers: int | None = None, scheduler: str | None = None, cell=None,
                       aging: Sequence[str] | None = None, sequential: bool = False,
                       progress: bool = False,
                       accelerate: bool | None = None) -> UncertaintyResult:
    """The replay of ``protocol`` with the 95 % intervals of its results (see the module
    doc). ``vary``: ``assumed`` (ranges of assumed and literature values), ``fitted`` (the
    fits' intervals and correlations) or ``all``; ``exclude``/``exclude_file``: fnmatch
    patterns of input paths (or ``file:path``) left at their values; ``only``: patterns of
    the only inputs to vary. ``accelerate``: cycle jumping of aging repeats in the central
    run and in every sample (None: the protocol's ``aging.accelerate``)."""
    from nasim.simulate.replay import replay

    tic = time.perf_counter()
    path = protocol.path if isinstance(protocol, LoadedProtocol) else protocol
    loaded = (protocol if isinstance(protocol, LoadedProtocol) and cell is None
              else load_protocol(path, cell))
    nominal = replay(loaded, model, aging=aging, sequential=sequential, progress=progress,
                     accelerate=accelerate)
    return _propagate(nominal, loaded.path.name, str(loaded.path), str(loaded.cell.path),
                      model, aging, ("replay",), samples=samples, seed=seed, vary=vary,
                      exclude=exclude, exclude_file=exclude_file, only=only, workers=workers,
                      scheduler=scheduler, sequential=sequential, progress=progress, tic=tic,
                      accelerate=accelerate)


def _step_uncertainty(kind: str, cell, model: str, direction: str, c_rate, current_mA_per_g,
                      temperature_C, **options) -> UncertaintyResult:
    from nasim.params.loading import LoadedCell, load_cell
    from nasim.simulate import simulate

    tic = time.perf_counter()
    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    given = {k: v for k, v in (("c_rate", c_rate), ("mA_per_g", current_mA_per_g))
             if v is not None}
    if len(given) != 1:
        raise ValueError("give exactly one of c_rate or current_mA_per_g")
    (key, value), = given.items()
    nominal = StepRun(simulate(loaded, model=model, direction=direction,
                               temperature_C=temperature_C,
                               **{"c_rate" if key == "c_rate" else "current_mA_per_g": value}),
                      loaded, model, kind == "energy")
    return _propagate(nominal, nominal.name, "", str(loaded.path), model, None,
                      (kind, direction, key, value, temperature_C), tic=tic,
                      sequential=False, **options)


def simulate_uncertainty(cell, *, model: str = "DFN", c_rate: float | None = None,
                         current_mA_per_g: float | None = None, direction: str = "discharge",
                         temperature_C: float | None = None, samples: int = DEFAULT_SAMPLES,
                         seed: int | None = None, vary: str = "all",
                         exclude: Sequence[str] = (), exclude_file=None,
                         only: Sequence[str] = (), workers: int | None = None,
                         scheduler: str | None = None, progress: bool = False
                         ) -> UncertaintyResult:
    """:func:`nasim.simulate` (one constant-current step) with the 95 % intervals of its
    capacity, voltages, energy and power (options as :func:`replay_uncertainty`)."""
    return _step_uncertainty("simulate", cell, model, direction, c_rate, current_mA_per_g,
                             temperature_C, samples=samples, seed=seed, vary=vary,
                             exclude=exclude, exclude_file=exclude_file, only=only,
                             workers=workers, scheduler=scheduler, progress=progress)


def energy_uncertainty(cell, current_mA_per_g: float | None = None,
                       c_rate: float | None = None, temperature_C: float | None = None,
                       model: str = "DFN", **options) -> UncertaintyResult:
    """:func:`nasim.energy`'s discharge from the charged state with the 95 % intervals of the
    energy, energy density and power at the four levels (the mass budget's assumed values
    vary too; options as :func:`replay_uncertainty`)."""
    return _step_uncertainty("energy", cell, model, "discharge", c_rate, current_mA_per_g,
                             temperature_C, **{"samples": DEFAULT_SAMPLES, "seed": None,
                                               "vary": "all", "exclude": (),
                                               "exclude_file": None, "only": (),
                                               "workers": None, "scheduler": None,
                                               "progress": False, **options})


__all__ = ["DEFAULT_SAMPLES", "StepRun", "energy_uncertainty", "replay_uncertainty",
           "simulate_uncertainty"]
