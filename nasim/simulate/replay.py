"""Replaying a protocol file: every step solved on one set of built models, every end checked.

A step that cannot run (cut-off reached at once, solver failure, electrolyte depletion beyond
zero, no cut-off reached) is recorded with its reason and the run goes on with the next step
from the last good state (the cell as it was before the failed step). Nothing fails silently:
``ReplayResult.failed`` lists every such step and the CLI exits 1 when it is not empty. The walk
over the plan (rate tests, GITT, repeats) is :mod:`nasim.simulate.execute`'s; replay records a
row per step.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pybamm

from nasim.analysis.metrics import step_metrics
from nasim.params.loading import LoadedCell
from nasim.params.names import STATE_OF_CHARGE
from nasim.protocols import LoadedProtocol, PlannedStep, load_protocol
from nasim.protocols.plan import Plan
from nasim.simulate.compile import default_for
from nasim.simulate.ends import SimulationError
from nasim.simulate.engine import CellRunner, StepSolution
from nasim.simulate.execute import execute
from nasim.simulate.mesh import Mesh
from nasim.simulate.outputs import aging_state

SUMMARY_COLUMNS = [
    "step", "cycle", "direction", "c_rate", "current_mA_per_g", "temperature_C",
    "capacity_mAh_per_g", "median_voltage_V", "mean_voltage_V",
    "specific_energy_Wh_per_kg_cathode", "specific_energy_Wh_per_kg_active",
    "specific_power_W_per_kg_cathode", "measured_capacity_mAh_per_g", "relative_error",
    "retention", "coulombic_efficiency", "label", "description", "status", "termination",
    "duration_s", "solve_time_s", "curve_rmse_V",
]
AGING_COLUMNS = ["active_material_fraction", "sodium_lost_to_sei_mAh_per_g"]
_METRICS = ("capacity_mAh_per_g", "median_voltage_V", "mean_voltage_V",
            "specific_energy_Wh_per_kg_cathode", "specific_energy_Wh_per_kg_active",
            "specific_power_W_per_kg_cathode", "duration_s")
_MEASURED_KEYS = ("capacity_mAh_per_g", "median_voltage_V", "specific_energy_Wh_per_kg_cathode",
                  "specific_power_W_per_kg_cathode", "coulombic_efficiency")


@dataclass
class ReplayResult:
    """What a replay produced: a row per step, the time series, comparisons with measurement.

    ``timeseries`` (every column of the kept steps, with ``protocol_time_s``, ``step``,
    ``cycle``, ``kind``) is assembled on first access from the kept PyBaMM solutions."""

    protocol: LoadedProtocol
    model: str
    steps: pd.DataFrame
    comparisons: pd.DataFrame
    wall_time_s: float
    notes: list[str] = field(default_factory=list)
    mesh_points: dict = field(default_factory=dict)
    kept: list[tuple[int, float, StepSolution]] = field(default_factory=list, repr=False)
    #: cycle jumping's counts (``cycles_jumped``, ``jumps``, ``jumps_rejected``; empty without)
    jumps: dict[str, int] = field(default_factory=dict)

    @cached_property
    def timeseries(self) -> pd.DataFrame:
        frames = []
        for row_step, clock_s, solved in self.kept:
            out = solved.full_frame()
            out.insert(0, "protocol_time_s", out.time_s + clock_s)
            out.insert(1, "step", row_step)
            out.insert(2, "cycle", solved.step.cycle)
            out.insert(3, "kind", solved.step.kind)
            frames.append(out)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["protocol_time_s", "step", "cycle", "kind"])

    @property
    def solutions(self) -> dict[int, pybamm.Solution]:
        """The PyBaMM solution of each kept step, by step number (``steps.step``)."""
        return {row_step: solved.solution for row_step, _, solved in self.kept}

    @property
    def solution(self) -> list[pybamm.Solution]:
        """The PyBaMM solutions of the kept steps, in protocol order (one per step: each
        step is its own solve of one built model, started from the previous step's state)."""
        return list(self.solutions.values())

    @property
    def summary(self) -> pd.DataFrame:
        """One row per charge/discharge step (the ``summary.csv`` table)."""
        rows = self.steps[self.steps.direction.isin(["charge", "discharge"])]
        columns = SUMMARY_COLUMNS + [c for c in AGING_COLUMNS if c in rows]
        return rows[columns].reset_index(drop=True)

    @property
    def failed(self) -> pd.DataFrame:
        """The rows of ``steps`` that failed, with how they ended (``termination``)."""
        return self.steps[self.steps.status == "failed"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The ``summary`` table: one row per charge/discharge step."""
        return self.summary

    def plot(self) -> dict:
        """The figures that fit the protocol (voltage-capacity, rate capability, GITT
        voltage-time ...): name → matplotlib Figure."""
        from nasim.plots.report import replay_figures

        return replay_figures(self)

    def write(self, out_dir: str | Path, fmt: str = "png", dpi: int | None = None
              ) -> list[Path]:
        """Write ``summary.csv``, ``steps.csv``, ``comparisons.csv``, ``timeseries.csv``, the
        figures (``fmt``: png, svg or pdf; ``dpi`` for png) and ``report.md`` into
        ``out_dir``; returns the paths written."""
        from nasim.plots.report import write_replay

        return write_replay(self, Path(out_dir), self.protocol.cell, fmt, dpi)


def curve_rmse_V(frame: pd.DataFrame | Mapping[str, np.ndarray],
                 capacity_mAh_per_g: np.ndarray, voltage_V: np.ndarray) -> float:
    """RMS difference [V] between a measured curve and the simulated voltage at the measured
    capacities (points beyond the simulated capacity compare with its last voltage);
    ``frame``: columns capacity_mAh_per_g and voltage_V (a DataFrame or a dict of arrays)."""
    simulated = np.interp(capacity_mAh_per_g, np.asarray(frame["capacity_mAh_per_g"]),
                          np.asarray(frame["voltage_V"]))
    return float(np.sqrt(np.mean((simulated - voltage_V) ** 2)))


class _Recorder:
    """Replay's listener of :func:`nasim.simulate.execute.execute`: a row per step (metrics of
    charges and discharges, aging state), the kept time series, a progress tick per step."""

    batch_rates = True

    def __init__(self, plan: Plan, progress, protocol: LoadedProtocol, aging=()):
        self.aging = tuple(aging)
        self.protocol = protocol
        self.plan = plan
        self.cell = plan.cell
        self.rows: list[dict] = []
        self.kept: list[tuple[int, float, StepSolution]] = []
        self.clock_s = 0.0
        self.progress = progress

    def _row(self, step: PlannedStep, status: str, termination: str) -> dict:
        return {"step": len(self.rows) + 1, "cycle": step.cycle, "direction": step.kind,
                "c_rate": step.c_rate, "current_mA_per_g": step.current_mA_per_g,
                "temperature_C": step.temperature_K - 273.15, "label": step.label,
                "description": step.description, "status": status, "termination": termination,
                "measured_ref": step.measured}

    def prepare(self, step: PlannedStep) -> tuple[PlannedStep, None]:
        return step, None

    def needs(self, step: PlannedStep) -> bool:
        return True

    def done(self) -> bool:
        return False

    def keeps(self, step: PlannedStep) -> bool:
        return step.keep_timeseries or step.measured is not None

    def solved(self, solved: StepSolution) -> None:
        step, frame = solved.step, solved.columns  # arrays: no DataFrame per step
        row = self._row(step, "ok", solved.termination)
        if step.kind in ("charge", "discharge"):
            metrics = step_metrics(frame, self.cell.design.cathode_active_mass_kg,
                                   self.cell.design.anode_active_mass_kg)
            row.update({k: metrics.get(k, np.nan) for k in _METRICS})
            curve = step.measured.curve if step.measured is not None else None
            if curve is not None:
                row["curve_rmse_V"] = curve_rmse_V(frame, *self.protocol.curve(curve))
        else:
            row["duration_s"] = float(frame["time_s"][-1])
        row["solve_time_s"] = solved.solve_time_s
        if self.aging:
            row.update(aging_state(solved.end_state, self.cell, self.aging))
        self.rows.append(row)
        if solved.solution is not None:
            self.kept.append((row["step"], self.clock_s, solved))
        self.clock_s += float(frame["time_s"][-1])
        self.tick()

    def failed(self, step: PlannedStep, exc: SimulationError) -> None:
        row = self._row(step, "failed", exc.reason)
        if exc.partial_capacity_mAh_per_g is not None:
            row["partial_capacity_mAh_per_g"] = exc.partial_capacity_mAh_per_g
        self.rows.append(row)
        self.tick()

    def skipped(self, step: PlannedStep, why: str) -> None:
        self.rows.append(self._row(step, "skipped", why))
        self.tick()

    def not_run(self, step: PlannedStep) -> None:
        self.tick()

    def tick(self) -> None:
        if self.progress is not None:
            self.progress.update(1)


def _derived_columns(steps: pd.DataFrame) -> pd.DataFrame:
    """Retention (vs the first discharge) and coulombic efficiency (discharge / the charge
    before it in the same cycle)."""
    steps["retention"] = np.nan
    steps["coulombic_efficiency"] = np.nan
    ok = steps.status == "ok"
    dis = steps[ok & (steps.direction == "discharge")]
    if len(dis):
        first = dis.capacity_mAh_per_g.iloc[0]
        steps.loc[dis.index, "retention"] = dis.capacity_mAh_per_g / first
    # one pass in step order: the charge capacity of each cycle so far (a filter per discharge
    # took seconds for 500 cycles)
    order = np.argsort(steps.index.to_numpy(), kind="stable")
    good = ok.to_numpy()[order]
    direction = steps.direction.to_numpy()[order]
    cycle = steps.cycle.to_numpy()[order]
    capacity = steps.capacity_mAh_per_g.to_numpy(dtype=float)[order]
    efficiency = np.full(len(steps), np.nan)
    charged: dict = {}  # cycle -> capacities of its charges so far
    for k in range(len(steps)):
        if not good[k]:
            continue
        if direction[k] == "charge":
            charged.setdefault(cycle[k], []).append(capacity[k])
        elif direction[k] == "discharge" and cycle[k] in charged:
            efficiency[order[k]] = np.float64(capacity[k]) / np.sum(charged[cycle[k]])
    steps["coulombic_efficiency"] = efficiency
    return steps


def _comparisons(steps: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    rows = []

    def add(step_row, quantity, simulated, measured, source, note=""):
        err = (simulated - measured) / measured if np.isfinite(simulated) else np.nan
        rows.append({"step": step_row.step if step_row is not None else None,
                     "cycle": step_row.cycle if step_row is not None else None,
                     "label": step_row.label if step_row is not None else None,
                     "quantity": quantity, "simulated": simulated, "measured": measured,
                     "relative_error": err, "source": source, "note": note})

    by_label = {r.label: r for r in steps.itertuples() if r.label}
    for r in steps.itertuples():
        m = r.measured_ref
        if m is None:
            continue
        for key in _MEASURED_KEYS:
            value = getattr(m, key)
            if value is not None:
                sim = getattr(r, key) if r.status == "ok" else np.nan
                add(r, key, float(sim), value, m.source, m.note)
        if m.curve is not None:
            rmse = r.curve_rmse_V if r.status == "ok" else np.nan
            rows.append({"step": r.step, "cycle": r.cycle, "label": r.label,
                         "quantity": "voltage RMSE vs measured curve [V]",
                         "simulated": float(rmse), "measured": 0.0, "relative_error": np.nan,
                         "source": m.curve.source, "note": m.note})
        if m.capacity_retention is not None:
            ref = by_label.get(m.relative_to)
            sim = (r.capacity_mAh_per_g / ref.capacity_mAh_per_g
                   if ref is not None and r.status == "ok" and ref.status == "ok" else np.nan)
            add(r, f"capacity_retention vs {m.relative_to}", float(sim), m.capacity_retention,
                m.source, m.note)
    dis = steps[(steps.direction == "discharge")]
    for target in plan.cycle_targets:
        at = dis[dis.cycle == target.cycle]
        first = dis[(dis.cycle == target.first_cycle) & (dis.status == "ok")]
        row = at.iloc[-1] if len(at) else None
        ok = row is not None and row.status == "ok"
        if target.capacity_retention is not None:
            sim = (row.capacity_mAh_per_g / first.capacity_mAh_per_g.iloc[0]
                   if ok and len(first) else np.nan)
            add(row, f"capacity_retention at cycle {target.cycle}", float(sim),
                target.capacity_retention, target.source, target.note)
        if target.capacity_mAh_per_g is not None:
            sim = row.capacity_mAh_per_g if ok else np.nan
            add(row, f"capacity_mAh_per_g at cycle {target.cycle}", float(sim),
                target.capacity_mAh_per_g, target.source, target.note)
    return pd.DataFrame(rows, columns=["step", "cycle", "label", "quantity", "simulated",
                                       "measured", "relative_error", "source", "note"])


def replay(protocol: LoadedProtocol | str | Path, model: str | None = None, *,
           sequential: bool = False, progress: bool = False, num_threads: int = 2,
           mesh_points: int | Mesh | None = None, aging: Sequence[str] | None = None,
           cell: LoadedCell | str | Path | None = None,
           accelerate: bool | None = None, compiled: bool | None = None) -> ReplayResult:
    """Run a protocol file and compare with its measured values.

    Parameters
    ----------
    protocol
        A loaded protocol (:func:`nasim.load_protocol`) or the path of a protocol file (see
        :mod:`nasim.protocols.schema`).
    model
        ``"SPM"``, ``"SPMe"`` or ``"DFN"`` instead of the protocol's model.
    sequential
        Run a rate test's charge before every rate even when the file declares the rates
        independent.
    progress
        Show a progress bar (tqdm) over the steps.
    num_threads
        Threads of the IDAKLU solver.
    mesh_points
        Points per domain and in each particle (default PyBaMM's).
    aging
        Aging mechanisms instead of the protocol's (``[]`` switches aging off; see
        :mod:`nasim.physics.aging`).
    cell
        Another cell to run the protocol on (e.g. a fitted parameter set).
    accelerate
        Cycle jumping on or off (None: the protocol's ``aging.accelerate``; see
        :mod:`nasim.simulate.jump`).
    compiled
        Solve with the model compiled by gcc (None: the DFN where gcc is found, see
        :func:`nasim.simulate.compile.default_for`; the same results to solver roundoff).

    Returns
    -------
    ReplayResult
        Steps, comparisons with the measured values, time series; failed steps are in it
        with their reasons (never raised).

    Raises
    ------
    ParameterFileError
        The protocol or its cell is missing or invalid.

    Examples
    --------
    >>> run = nasim.replay("experiments/heo_half_rate_25C.yaml", model="SPMe")
    >>> run.comparisons[["label", "simulated", "measured", "relative_error"]]
    >>> run.write("out/rate_25C")
    """
    if isinstance(protocol, LoadedProtocol):
        loaded = protocol if cell is None else load_protocol(protocol.path, cell)
    else:
        loaded = load_protocol(protocol, cell)
    tic = time.perf_counter()
    plan = loaded.plan(model)
    soc = STATE_OF_CHARGE[loaded.protocol.initial_state]
    mechanisms = tuple(loaded.protocol.aging.mechanisms if aging is None else aging)
    runner = CellRunner(loaded.cell, plan.model, initial_soc=soc, mesh_points=mesh_points,
                        num_threads=num_threads, aging=mechanisms,
                        compiled=default_for(plan.model) if compiled is None else compiled)
    return replay_on(loaded, plan, runner, mechanisms, sequential=sequential,
                     progress=progress, tic=tic, accelerate=accelerate)


def replay_on(loaded: LoadedProtocol, plan: Plan, runner: CellRunner,
              mechanisms: Sequence[str] = (), *, sequential: bool = False,
              progress: bool = False, tic: float | None = None,
              accelerate: bool | None = None) -> ReplayResult:
    """Replay ``plan`` (of ``loaded``) on a given runner: the built model of another run
    with new input values (:mod:`nasim.uncertainty` runs its samples so); ``accelerate`` as
    for :func:`replay`."""
    tic = time.perf_counter() if tic is None else tic
    mechanisms = tuple(mechanisms)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=plan.n_steps, desc=loaded.path.name, unit="step", leave=False,
                   mininterval=1.0)
    rec = _Recorder(plan, bar, loaded, mechanisms)
    try:
        walked = execute(plan, runner, rec, sequential=sequential, accelerate=accelerate)
    finally:
        if bar is not None:
            bar.close()
    steps = pd.DataFrame(rec.rows)
    for column in SUMMARY_COLUMNS:
        if column not in steps:
            steps[column] = np.nan
    steps = _derived_columns(steps)
    comparisons = _comparisons(steps, plan)
    cap = comparisons[comparisons.quantity == "capacity_mAh_per_g"].set_index("step")
    steps["measured_capacity_mAh_per_g"] = steps.step.map(cap.measured)
    steps["relative_error"] = steps.step.map(cap.relative_error)
    steps = steps.drop(columns="measured_ref")
    return ReplayResult(loaded, plan.model, steps, comparisons, time.perf_counter() - tic,
                        walked.notes, runner.mesh.describe(), rec.kept, walked.jumps)
