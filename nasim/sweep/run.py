"""Running a study: tasks by geometry group, local processes or Dask, the resumable store.

Execution: the study's points that are not yet in the store are grouped so that the points of
a group share one built model (:meth:`nasim.sweep.study.Point.group_key`: current,
temperature and the cell file's own fields are inputs of the model, material and electrolyte
fields are not) and split into tasks of at most ``MAX_TASK_POINTS`` points, and into at least
as many tasks as there are workers. Tasks run on local worker processes
(``concurrent.futures.ProcessPoolExecutor``; in this process when ``workers == 1``) or on Dask
distributed (``scheduler="tcp://host:port"`` or ``"dask-local"`` for a ``LocalCluster`` on
this machine). The coordinating process stores each task's points as the task finishes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nasim.params.loading import ParameterFileError
from nasim.rundir import atomic, lock
from nasim.sweep.mesh_guard import MESH_CHECK_FILE, guard
from nasim.sweep.schema import CURRENT, HeatmapFigure, RagoneFigure
from nasim.sweep.store import STORE_NAME, ResultStore
from nasim.sweep.study import LoadedStudy, Point, load_study
from nasim.sweep.worker import BATCH_POINTS, Task, run_task, warm_group

#: points per task: a task's points are stored together when it finishes
MAX_TASK_POINTS = {"SPM": 100, "SPMe": 100, "DFN": 32}
DASK_LOCAL = "dask-local"
MAX_POINTS = 100_000  # default limit of a study's size (--max-points)
WORKER_TIMEOUT_S = 120.0  # default: a Dask sweep stops after this long without workers
#: the store's files and the corner's mesh check: kept by --resume, removed by --overwrite
STORE_FILES = (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", MESH_CHECK_FILE)


class SweepStopped(RuntimeError):
    """A sweep that cannot go on (no Dask worker alive); what finished is stored."""


def check_size(study: LoadedStudy, max_points: int = MAX_POINTS) -> int:
    """The study's number of points, computed without enumerating them; more than
    ``max_points`` is bad input naming both."""
    n = study.size()
    if n > max_points:
        field = "sampling.samples" if study.study.sampling.method != "grid" else "axes"
        raise ParameterFileError(study.path, [
            f"field '{field}': the study has {n:.4g} points ({n} in all); the limit is "
            f"{max_points} (--max-points / max_points)"], "study file")
    return n
_FIRST_COLUMNS = ("c_rate", "current_mA_per_g", "current_A", "temperature_C",
                  "cathode_loading_mg_per_cm2", "cathode_thickness_um", "anode_thickness_um",
                  "np_ratio")


@dataclass
class SweepRun:
    """What one call did: points in the study, already stored, computed now, wall time."""

    n_points: int
    n_stored_before: int
    n_computed: int = 0
    wall_time_s: float = 0.0
    n_tasks: int = 0
    figures: list[Path] = field(default_factory=list)
    mesh_check: dict | None = None  # the corner's record (nasim.sweep.mesh_guard), if checked


def _even_chunks(items: list, n: int) -> list[list]:
    """``items`` in ``n`` consecutive chunks whose lengths differ by at most one."""
    q, r = divmod(len(items), n)
    bounds = [i * q + min(i, r) for i in range(n + 1)]
    return [items[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def plan_tasks(study: LoadedStudy, points: list[Point], workers: int,
               missing: set[str] | None = None, compiled: bool = False) -> list[Task]:
    """Tasks for the batches of ``points`` (the whole study) that hold a ``missing`` point id
    (None: all), in group order (see the module doc and :class:`Task`); ``compiled``: their
    solves use IDAKLU's compiled mode."""
    groups: OrderedDict[tuple, OrderedDict[tuple, list[Point]]] = OrderedDict()
    for p in points:
        geometries = groups.setdefault(p.group_key(study), OrderedDict())
        geometries.setdefault(p.geometry_key(study), []).append(p)
    size = BATCH_POINTS[study.model]
    todo = []
    for key, geometries in groups.items():
        base = next(iter(geometries.values()))[0]
        batches = [tuple(chunk) for pts in geometries.values()
                   for chunk in _even_chunks(pts, math.ceil(len(pts) / size))]
        batches = [b for b in batches if missing is None or any(p.id in missing for p in b)]
        if batches:
            todo.append((key, base, batches))
    cap = MAX_TASK_POINTS[study.model]
    spread = math.ceil(workers / len(todo)) if todo else 1
    tasks = []
    for key, base, batches in todo:
        n_points = sum(len(b) for b in batches)
        n = max(math.ceil(n_points / cap), spread)
        if len(todo) < workers:  # few groups: a multiple of the workers keeps all busy
            n = spread * math.ceil(n / spread)
        n = min(n, len(batches))
        part: list[tuple[Point, ...]] = []
        done, k = 0, 1
        for batch in batches:  # contiguous runs of batches with about n_points / n points
            part.append(batch)
            done += len(batch)
            if done >= n_points * k / n:
                tasks.append(Task(str(study.path), key, base, tuple(part), compiled))
                part, k = [], k + 1
        if part:
            tasks.append(Task(str(study.path), key, base, tuple(part), compiled))
    return tasks


def _ignore_sigint() -> None:
    """Worker processes leave Ctrl-C to the coordinator (no tracebacks from each worker)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _local(tasks: list, workers: int, fn=run_task, warm=None) -> Iterator[list[dict]]:
    """``fn(task)`` of each task on ``workers`` local processes (1: in this process), as the
    tasks finish (``fn``: :func:`nasim.sweep.worker.run_task`, or another module-level
    function, e.g. :func:`nasim.uncertainty.worker.run_samples`). ``warm(tasks)``: run here
    before the worker processes start when they are forked from this one, so that what it
    caches (PyBaMM's import, a built model every worker needs) is done once, not per worker."""
    if workers <= 1:
        for task in tasks:
            yield fn(task)
        return
    if warm is not None and multiprocessing.get_start_method() == "fork":
        warm(tasks)
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)
    futures = [pool.submit(fn, t) for t in tasks]
    try:
        for fut in as_completed(futures):
            yield fut.result()
    except BaseException:  # Ctrl-C, a closed generator: stop the workers now
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _dask(tasks: list, scheduler: str, workers: int,
          worker_timeout: float = WORKER_TIMEOUT_S, fn=run_task) -> Iterator[list[dict]]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("a Dask scheduler needs dask.distributed: pip install "
                         "'nasim[cluster]'") from None
    cluster = None
    if scheduler == DASK_LOCAL:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        yield from _dask_results(client, client.map(fn, tasks, pure=False), scheduler,
                                 worker_timeout)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute_tasks(tasks: list, fn, workers: int, scheduler: str | None = None,
                  worker_timeout: float = WORKER_TIMEOUT_S, warm=None
                  ) -> Iterator[list[dict]]:
    """The sweep's executors for any module-level ``fn(task) -> list[dict]``: local
    processes (``warm``: see :func:`_local`), or Dask when ``scheduler`` is given (see
    :func:`sweep`)."""
    if scheduler:
        return _dask(tasks, scheduler, workers, worker_timeout, fn)
    return _local(tasks, workers, fn, warm)


def _dask_results(client, futures: list, scheduler: str, worker_timeout: float
                  ) -> Iterator[list[dict]]:
    """Results as tasks finish; :class:`SweepStopped` after ``worker_timeout`` seconds with
    no live worker."""
    from dask.distributed import wait

    pending, alive_at = set(futures), time.monotonic()
    while pending:
        try:
            done = wait(pending, timeout=min(5.0, worker_timeout),
                        return_when="FIRST_COMPLETED").done
        except TimeoutError:
            done = set()
        for fut in done:
            pending.discard(fut)
            yield fut.result()
        if client.scheduler_info().get("workers"):
            alive_at = time.monotonic()
        elif time.monotonic() - alive_at > worker_timeout:
            raise SweepStopped(f"no Dask worker alive at {scheduler} for {worker_timeout:g} s; "
                               f"{len(futures) - len(pending)} of {len(futures)} tasks stored "
                               "(start workers and run again with --resume)")


def results_frame(study: LoadedStudy, store: ResultStore,
                  points: list[Point] | None = None) -> pd.DataFrame:
    """One row per stored point of ``study``: point_id, index, the axis columns, the derived
    design and current columns, the metrics, status, error, solve_time_s, worker."""
    points = study.points() if points is None else points
    stored = store.records([p.id for p in points])
    rows = []
    for r in stored.itertuples():
        row = {"point_id": r.id, "index": r.idx, **r.metrics}
        for axis in study.study.axes:  # the axis value as given (a derived column may share
            row[axis.column] = r.inputs.get(axis.parameter)  # its name, e.g. current_mA_per_g)
        row.update({"status": r.status, "error": r.error, "solve_time_s": r.solve_time_s,
                    "worker": r.worker})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    head = ["point_id", "index", *(a.column for a in study.study.axes)]
    first = [c for c in _FIRST_COLUMNS if c in frame and c not in head]
    tail = ["status", "error", "solve_time_s", "worker"]
    rest = [c for c in frame.columns if c not in head + first + tail]
    return frame[head + first + rest + tail].sort_values("index").reset_index(drop=True)


def default_figures(study: LoadedStudy) -> list[HeatmapFigure | RagoneFigure]:
    """With two or more axes: heatmaps of capacity and of specific energy (cathode active mass
    and stack) over the first two; with a current axis and another axis: Ragone families."""
    axes = study.study.axes
    out: list[HeatmapFigure | RagoneFigure] = []
    if len(axes) >= 2:
        x, y = axes[0], axes[1]
        for metric in ("capacity_mAh_per_g", "specific_energy_Wh_per_kg_cathode_active",
                       "specific_energy_Wh_per_kg_stack"):
            out.append(HeatmapFigure(type="heatmap", x=x.parameter, y=y.parameter,
                                     metric=metric,
                                     log_x=x.range is not None and x.range.spacing == "log",
                                     log_y=y.range is not None and y.range.spacing == "log"))
    others = [a for a in axes if a.parameter != CURRENT]
    if any(a.parameter == CURRENT for a in axes) and others:
        for level in ("cathode_active", "stack"):
            out.append(RagoneFigure(type="ragone", family=others[0].parameter, level=level))
    return out


def study_figures(study: LoadedStudy, frame: pd.DataFrame) -> dict[str, object]:
    """The study's figures (its ``figures`` list, or :func:`default_figures`) as
    ``{file stem: matplotlib Figure}``; a figure whose metric has no finite value is left
    out. Axes other than those of a heatmap are held at the value of the first point."""
    from nasim.plots.sweep import heatmap, ragone_families

    figures = {}
    if frame.empty:
        return figures
    specs = study.study.figures if study.study.figures is not None else default_figures(study)
    for spec in specs:
        if isinstance(spec, HeatmapFigure):
            x, y = study.axis(spec.x), study.axis(spec.y)
            part, held = _hold_other_axes(study, frame, {x.parameter, y.parameter})
            if spec.metric not in part or not part[spec.metric].notna().any():
                continue
            title = f"{study.name}" + (f" ({held})" if held else "")
            figures[f"heatmap_{spec.metric}"] = heatmap(
                part, x.column, y.column, spec.metric, log_x=spec.log_x, log_y=spec.log_y,
                title=title)
        else:
            fam = study.axis(spec.family)
            part, held = _hold_other_axes(study, frame, {fam.parameter, CURRENT})
            column = f"specific_energy_Wh_per_kg_{spec.level}"
            if column not in part or not part[column].notna().any():
                continue
            title = f"{study.name}" + (f" ({held})" if held else "")
            figures[f"ragone_{spec.level}"] = ragone_families(part, fam.column, spec.level,
                                                              title=title)
    return figures


def _hold_other_axes(study: LoadedStudy, frame: pd.DataFrame, keep: set[str]
                     ) -> tuple[pd.DataFrame, str]:
    part, held = frame, []
    for axis in study.study.axes:
        if axis.parameter in keep:
            continue
        value = frame[axis.column].iloc[0]
        part = part[part[axis.column] == value]
        held.append(f"{axis.column} = {value:.4g}")
    return part, ", ".join(held)


def run_study(study: LoadedStudy | str | Path, out: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: bool = False,
              retry_failed: bool = False, compiled: bool | None = None,
              max_points: int = MAX_POINTS, worker_timeout: float = WORKER_TIMEOUT_S,
              mesh_check: bool | None = None) -> tuple[pd.DataFrame, SweepRun]:
    """Compute the study's missing points into ``out`` (see :func:`nasim.sweep.sweep`);
    first, when there are points to compute, the mesh check of the study's corner
    (:mod:`nasim.sweep.mesh_guard`; ``mesh_check`` None: the study's ``options``)."""
    loaded = study if isinstance(study, LoadedStudy) else load_study(study)
    check_size(loaded, max_points)
    if compiled is None:
        compiled = loaded.study.options.compiled
    if compiled and loaded.protocol_path is not None:
        raise ValueError("compiled: discharge studies only (a protocol study builds a model "
                         "per point, each would be compiled)")
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (got {workers})")
    tic = time.perf_counter()
    points = loaded.points()
    with lock(out), ResultStore(out) as store:
        statuses = store.statuses()
        done = {pid for pid, s in statuses.items() if s == "ok" or not retry_failed}
        missing = {p.id for p in points if p.id not in done}
        run = SweepRun(len(points), len(points) - len(missing))
        tasks = plan_tasks(loaded, points, workers, missing, compiled)
        run.n_tasks = len(tasks)
        if tasks and (loaded.study.options.mesh_check if mesh_check is None else mesh_check):
            run.mesh_check = guard(loaded, Path(out))
        if tasks:
            results = execute_tasks(tasks, run_task, workers, scheduler, worker_timeout,
                                    warm_group)
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=sum(len(t.points) for t in tasks), desc=loaded.name,
                           unit="point")
            try:
                for records in results:
                    run.n_computed += store.put(loaded.fingerprint, records)
                    if bar is not None:
                        bar.update(len(records))
            finally:
                if bar is not None:
                    bar.close()
        frame = results_frame(loaded, store, points)
    run.wall_time_s = time.perf_counter() - tic
    frame.attrs["study"] = loaded.name
    return frame, run


def sweep(study: LoadedStudy | str | Path, out: str | Path | None = None, *,
          workers: int | None = None, scheduler: str | None = None, progress: bool = False,
          retry_failed: bool = False, figures: bool = True, compiled: bool | None = None,
          mesh_check: bool | None = None) -> pd.DataFrame:
    """Run a study file (:mod:`nasim.sweep.study`) and return its results, one row per point.

    Parameters
    ----------
    study
        A loaded study (:func:`nasim.load_study`) or the path of a study file.
    out
        Folder of the resumable store, the results table and the figures (below).
    workers
        Local processes (default: one per core; 1 runs in this process).
    scheduler
        ``"tcp://host:port"`` of a Dask scheduler, or ``"dask-local"``.
    progress
        Show a progress bar (tqdm).
    retry_failed
        Also recompute the points stored as failed.
    figures
        Draw the study's figures into ``out``.
    compiled
        Solve with IDAKLU's compiled mode (None: the study's ``options.compiled``).
    mesh_check
        Before the points, check the mesh at the study's corner and warn if it is not
        converged there (:mod:`nasim.sweep.mesh_guard`; None: the study's
        ``options.mesh_check``, default on).

    Returns
    -------
    pandas.DataFrame
        One row per point (columns below).

    Raises
    ------
    ParameterFileError
        The study, its cell or its protocol is missing or invalid.

    Examples
    --------
    >>> results = nasim.sweep("studies/heo_hc_loading_crate.yaml", out="out/loading")
    >>> results[["cathode_loading_mg_per_cm2", "c_rate", "specific_energy_Wh_per_kg_stack"]]

    Notes
    -----
    ``out``: directory of the resumable store (``sweep.sqlite``), ``results.csv`` and the
    figures (PNG); a study started again in the same directory computes only the points not
    stored yet (``retry_failed`` also recomputes failed ones). Without ``out`` a temporary
    directory is used and nothing is kept. ``workers``: local processes (default: one per
    core; 1 runs in this process). ``scheduler``: ``"tcp://host:port"`` of a Dask scheduler or
    ``"dask-local"`` (a ``LocalCluster`` of ``workers`` processes); its workers must see the
    same files. ``progress`` shows a tqdm bar. Columns: ``point_id``, ``index``, one per axis,
    derived ``c_rate``, ``current_mA_per_g``, ``temperature_C``, loading and thickness, the
    metrics (capacity, median and mean voltage, and per level ``specific_energy_Wh_per_kg_*``,
    ``energy_density_Wh_per_L_*``, ``specific_power_W_per_kg_*``), ``status`` ("ok" or
    "failed"), ``error`` (the reason), ``solve_time_s``, ``worker``. ``compiled`` (None: the
    study's ``options.compiled``) solves with IDAKLU's compiled mode: ~1 min of gcc per model
    the first time (cached on disk), then faster solves; results equal to ~1e-12.
    """
    if out is None:
        with tempfile.TemporaryDirectory(prefix="nasim-sweep-") as tmp:
            return run_study(study, tmp, workers=workers, scheduler=scheduler,
                             progress=progress, retry_failed=retry_failed,
                             compiled=compiled, mesh_check=mesh_check)[0]
    frame, _ = write_outputs(study, out, workers=workers, scheduler=scheduler,
                             progress=progress, retry_failed=retry_failed, figures=figures,
                             compiled=compiled, mesh_check=mesh_check)
    return frame


def write_outputs(study: LoadedStudy | str | Path, out: str | Path, *,
                  figures: bool = True, fmt: str = "png", dpi: int | None = None,
                  **kwargs) -> tuple[pd.DataFrame, SweepRun]:
    """:func:`run_study`, then ``out/results.csv`` and (``figures``) one figure file per
    figure (``fmt``: png, svg or pdf)."""
    from nasim.plots import save_figure

    loaded = study if isinstance(study, LoadedStudy) else load_study(study)
    out = Path(out)
    frame, run = run_study(loaded, out, **kwargs)
    with atomic(out / "results.csv") as tmp:
        frame.to_csv(tmp, index=False)
    if figures:
        for stem, fig in study_figures(loaded, frame).items():
            run.figures.append(save_figure(fig, out / f"{stem}.{fmt}", dpi))
    return frame, run


__all__ = ["DASK_LOCAL", "MAX_POINTS", "STORE_FILES", "SweepRun", "SweepStopped", "check_size",
           "default_figures", "execute_tasks", "plan_tasks", "results_frame", "run_study",
           "study_figures", "sweep", "write_outputs"]
