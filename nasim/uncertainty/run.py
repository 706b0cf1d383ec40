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
from pathlib import Path

import numpy as np

from nasim.protocols import LoadedProtocol, load_protocol
from nasim.sweep.run import execute_tasks
from nasim.uncertainty.inputs import DEFAULT_SAMPLES, discover, read_exclude_file, select
from nasim.uncertainty.result import UncertaintyResult
from nasim.uncertainty.sampling import latin_hypercube
from nasim.uncertainty.worker import SampleTask, probe, run_samples


def _tasks(group, values: np.ndarray, workers: int) -> list[SampleTask]:
    """Contiguous chunks of the samples, two per worker (each worker builds the model once)."""
    n = len(values)
    chunks = max(1, min(n, 2 * workers))
    bounds = [round(i * n / chunks) for i in range(chunks + 1)]
    return [SampleTask(group, tuple((i, tuple(float(v) for v in values[i]))
                                    for i in range(a, b)))
            for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def replay_uncertainty(protocol: LoadedProtocol | str | Path, model: str | None = None, *,
                       samples: int = DEFAULT_SAMPLES, seed: int | None = None,
                       vary: str = "all", exclude: Sequence[str] = (),
                       exclude_file: str | Path | None = None, workers: int | None = None,
                       scheduler: str | None = None, cell=None,
                       aging: Sequence[str] | None = None, sequential: bool = False,
                       progress: bool = False) -> UncertaintyResult:
    """The replay of ``protocol`` with the 95 % intervals of its results (see the module
    doc). ``vary``: ``assumed`` (ranges of assumed and literature values), ``fitted`` (the
    fits' intervals and correlations) or ``all``; ``exclude``/``exclude_file``: fnmatch
    patterns of input paths (or ``file:path``) left at their values."""
    from nasim.simulate.replay import replay

    if not isinstance(samples, int) or samples < 2:
        raise ValueError(f"samples must be an integer >= 2 (got {samples!r})")
    tic = time.perf_counter()
    loaded = (protocol if isinstance(protocol, LoadedProtocol) and cell is None
              else load_protocol(protocol.path if isinstance(protocol, LoadedProtocol)
                                 else protocol, cell))
    patterns = list(exclude) + (read_exclude_file(exclude_file) if exclude_file else [])
    nominal = replay(loaded, model, aging=aging, sequential=sequential, progress=progress)
    keep, left = select(discover(loaded.cell.path), vary, patterns)
    group, no_effect = probe(str(loaded.path), str(loaded.cell.path), model, aging, keep)
    if sequential:
        from dataclasses import replace

        group = replace(group, sequential=True)
    values = latin_hypercube(list(group.inputs), samples, seed)
    workers = workers or min(os.cpu_count() or 1, samples)
    records: list[dict] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=samples, desc=f"{loaded.path.name} samples", unit="sample")
    try:
        for batch in execute_tasks(_tasks(group, values, workers), run_samples, workers,
                                   scheduler):
            records += batch
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    records.sort(key=lambda r: r["sample"])
    return UncertaintyResult(nominal, list(group.inputs), left + no_effect, values, records,
                             seed, vary, time.perf_counter() - tic)


__all__ = ["DEFAULT_SAMPLES", "replay_uncertainty"]
