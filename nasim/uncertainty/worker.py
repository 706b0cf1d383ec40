"""Running samples: one built model per worker process, the samples as its input values.

The coordinator first sorts the sampled inputs (:func:`probe`): an input that
:func:`nasim.physics.values.input_paths` names (diffusivities, rate constants, their slopes,
scales and activation energies, the Na-metal exchange current, aging rates) is an input of the
built model by its path; any other (loading, porosity, N/P, windows, electrolyte
concentration ...) is tried at both ends of its range, and the scalar PyBaMM values it moves
become inputs (with the initial concentrations: the start state follows them), as in
:mod:`nasim.sweep.worker`. An input that moves neither PyBaMM values nor the active masses has
no effect on the run and is not sampled. A sample that changes a PyBaMM function (not a
number) gets a model of its own (counted as ``rebuilt``).

Each worker builds the group's model once (cached per process), then for each sample loads the
sample's cell, sets the inputs and replays the protocol on that model
(:func:`nasim.simulate.replay.replay_on`). A sample that fails is returned with its reason;
nothing raises.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from nasim.params.loading import LoadedCell, load_cell
from nasim.params.names import STATE_OF_CHARGE, initial_state_of
from nasim.params.units import to_si
from nasim.protocols import LoadedProtocol, load_protocol
from nasim.sweep.worker import numeric_changes
from nasim.uncertainty.inputs import UncertainInput, changes, mass_fractions

#: the summary columns whose values depend on the model (reported with their percentiles)
QUANTITIES = ("capacity_mAh_per_g", "median_voltage_V", "mean_voltage_V",
              "specific_energy_Wh_per_kg_cathode", "specific_energy_Wh_per_kg_active",
              "specific_power_W_per_kg_cathode", "duration_s", "retention",
              "coulombic_efficiency", "curve_rmse_V")
_GROUPS: OrderedDict = OrderedDict()
CACHE_SIZE = 2


@dataclass(frozen=True)
class Group:
    """What every task of one propagation shares: the run and the sorted inputs."""

    protocol_path: str
    cell_path: str
    model: str | None
    aging: tuple[str, ...] | None
    inputs: tuple[UncertainInput, ...]
    path_inputs: tuple[str, ...]  # input paths (of input_paths) of path-named inputs
    value_keys: tuple[str, ...]  # PyBaMM keys the other inputs move
    sequential: bool = False
    accelerate: bool | None = None  # cycle jumping of aging repeats (None: the protocol's)
    #: ("replay",) or ("simulate", direction, current keyword, its value, temperature_C)
    run: tuple = ("replay",)


@dataclass(frozen=True)
class SampleTask:
    group: Group
    samples: tuple[tuple[int, tuple[float, ...]], ...]  # (sample index, values in units)


def _base(protocol_path: str, cell_path: str, model: str | None, aging, run: tuple):
    """(protocol or cell, model name, initial state of charge, aging mechanisms) of a run."""
    if run[0] in ("simulate", "energy"):
        cell = load_cell(cell_path)
        return cell, model, STATE_OF_CHARGE[initial_state_of(run[1])], ()
    loaded = load_protocol(protocol_path, cell_path)
    return (loaded, loaded.plan(model).model, STATE_OF_CHARGE[loaded.protocol.initial_state],
            tuple(loaded.protocol.aging.mechanisms if aging is None else aging))


def _cell(base):
    return base if isinstance(base, LoadedCell) else base.cell


def _values(cell, mechanisms, paths):
    """The values the group's (isothermal) runner builds with, for ``cell``."""
    from nasim.physics.aging import run_parameter_values

    return run_parameter_values(cell, paths, mechanisms)


def _masses(cell, budget: bool = False) -> tuple:
    """The active masses (and with ``budget`` the mass and volume at every level)."""
    out = (cell.design.cathode_active_mass_kg, cell.design.anode_active_mass_kg or 0.0)
    if budget:
        from nasim.analysis.energy import level_metrics
        from nasim.params.budget import mass_budget

        out += tuple(level_metrics(1.0, 1.0, mass_budget(cell)).values())
    return out


def _closed_forms(cell) -> list[np.ndarray]:
    """The tabulated closed-form OCVs (MSMR) of ``cell``: a sampled reaction value moves one,
    a function rather than a number, so such a sample needs a model of its own."""
    fns = [m.open_circuit_potential for m in (cell.cathode, cell.anode) if m is not None]
    return [a for fn in fns if fn.closed_form is not None for a in fn.closed_form.tabulate()]


def same_functions(cell, other) -> bool:
    """Whether ``cell`` and ``other`` have the same closed-form OCVs (see
    :func:`_closed_forms`)."""
    a, b = _closed_forms(cell), _closed_forms(other)
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y)
                                    for x, y in zip(a, b, strict=True))


def probe(protocol_path: str, cell_path: str, model: str | None, aging,
          inputs: list[UncertainInput], run: tuple = ("replay",)
          ) -> tuple[Group, list[tuple[UncertainInput, str]]]:
    """Sort ``inputs`` (see the module doc): the group, and the inputs with no effect."""
    from nasim.physics.values import input_paths

    base, model_name, _, mechanisms = _base(protocol_path, cell_path, model, aging, run)
    base_cell = _cell(base)
    paths = input_paths(base_cell)
    path_inputs = [i for i in inputs if i.short_path in paths]
    names = sorted({i.short_path for i in path_inputs})
    nominal = _values(base_cell, mechanisms, names)
    keys = {k for k in nominal.keys() if k.startswith("Initial concentration in ")}
    kept, no_effect = list(path_inputs), []
    fractions = mass_fractions(cell_path)
    for item in inputs:
        if item in path_inputs:
            continue
        moved = False  # a PyBaMM number, an active mass or a closed-form OCV
        for end in (item.low, item.high):
            try:
                cell = load_cell(cell_path, changes([item], [end], fractions))
            except ValueError:
                continue  # that end does not validate: samples there fail on their own
            changed = numeric_changes(nominal, _values(cell, mechanisms, names))
            keys |= changed
            moved = moved or bool(changed) or not np.allclose(
                _masses(cell, run[0] == "energy"), _masses(base_cell, run[0] == "energy")
            ) or not same_functions(cell, base_cell)
        if moved:
            kept.append(item)
        else:
            no_effect.append((item, "no effect on this run (moves no PyBaMM value and no "
                                    "active mass)"))
    order = [i for i in inputs if i in kept]
    numeric = {k for k in keys if isinstance(nominal[k], int | float)} if keys else set()
    group = Group(str(protocol_path), str(cell_path), model_name, aging, tuple(order),
                  tuple(names), tuple(sorted(numeric)), run=tuple(run))
    return group, no_effect


def _group_runner(group: Group):
    """(loaded protocol or cell, runner, soc, mechanisms, paths) of ``group``, built once per
    worker process."""
    if group in _GROUPS:
        _GROUPS.move_to_end(group)
        return _GROUPS[group]
    from nasim.physics.values import input_paths
    from nasim.simulate.engine import CellRunner

    base, model, soc, mechanisms = _base(group.protocol_path, group.cell_path, group.model,
                                         group.aging, group.run)
    cell = _cell(base)
    paths = input_paths(cell)
    plain = CellRunner(cell, model, initial_soc=soc, aging=mechanisms,
                       inputs={p: paths[p][1] for p in group.path_inputs})
    inputs = {**{p: paths[p][1] for p in group.path_inputs},
              **{k: plain.values[k] for k in group.value_keys}}
    runner = CellRunner(cell, model, initial_soc=soc, aging=mechanisms,
                        inputs=inputs) if group.value_keys else plain
    _GROUPS[group] = (base, runner, soc, mechanisms, paths, _soh_solver(cell, plain.values,
                                                                         group.value_keys))
    while len(_GROUPS) > CACHE_SIZE:
        _GROUPS.popitem(last=False)
    return _GROUPS[group]


def warm_group(tasks: list[SampleTask]) -> None:
    """Before the worker processes are forked: build the group's model(s) here, so that every
    worker inherits them (and PyBaMM's import) instead of building its own. A model that
    cannot be built is left to the workers, whose records say why."""
    from nasim.simulate import circuit

    if not tasks:
        return
    group = tasks[0].group
    try:
        runner = _group_runner(group)[1]
        runner.build(circuit.control_of("current", False))
        if group.run[0] == "replay":  # charges end with voltage holds
            runner.build(circuit.control_of("voltage", False))
    except Exception:  # noqa: BLE001 - the workers meet it again and record it per sample
        return


def _soh_solver(cell, values, keys: tuple[str, ...]):
    """A full cell's electrode-SOH solver for every sample of a group: PyBaMM's, built on the
    group's values with the numbers samples move (``keys``) as input parameters (None for a
    half cell, whose start state is a root search on the cathode OCV alone)."""
    if cell.configuration != "full":
        return None
    import pybamm

    values = values.copy()
    values.update({k: "[input]" for k in keys})
    return pybamm.lithium_ion.ElectrodeSOHSolver(values)


def _sample_state(cell, values, soc: float, solver, keys: tuple[str, ...]) -> None:
    """Set the start state of a sample's ``values`` (see
    :func:`nasim.physics.state.set_initial_state`) with the group's SOH ``solver``. Its
    simulation forgets the last sample's solution first: PyBaMM would start the next solve
    from it, and a sample's result would depend on which samples its worker ran before."""
    from nasim.physics.state import set_initial_state

    if solver is not None:
        solver._get_electrode_soh_sims_full(None)._solution = None  # noqa: SLF001
    set_initial_state(cell, values, soc, soh=None if solver is None else
                      (solver, {k: values[k] for k in keys}))


def _record(index: int, status: str, error: str = "", rows=(), comparisons=(),
            rebuilt: bool = False, elapsed: float = 0.0, jumps_rejected: int = 0) -> dict:
    return {"sample": index, "status": status, "error": " ".join(error.split()),
            "rows": list(rows), "comparisons": list(comparisons), "rebuilt": rebuilt,
            "time_s": elapsed, "jumps_rejected": jumps_rejected}


def run_sample(group: Group, index: int, values: tuple[float, ...]) -> dict:
    """Replay one sample on the group's model (or its own, if it moves a function)."""
    from nasim.simulate.engine import CellRunner
    from nasim.simulate.replay import replay_on

    tic = time.perf_counter()
    base, runner, soc, mechanisms, paths, soh = _group_runner(group)
    by_path = dict(zip((i.path for i in group.inputs), values, strict=True))
    path_si = {}
    for item in group.inputs:
        if item.short_path in group.path_inputs:
            path_si[item.short_path] = to_si(by_path[item.path], item.unit,
                                             paths[item.short_path][0])
    others = [i for i in group.inputs if i.short_path not in group.path_inputs]
    rebuilt = False
    try:
        cell = _cell(base)
        if others:
            cell = load_cell(group.cell_path, changes(others, [by_path[i.path] for i in others],
                                                      mass_fractions(group.cell_path)))
            values = _values(cell, mechanisms, group.path_inputs)
            if numeric_changes(runner.values, values) <= set(runner.inputs) and \
                    same_functions(cell, _cell(base)):
                _sample_state(cell, values, soc, soh, group.value_keys)
                runner.set_inputs({**path_si, **{k: values[k] for k in group.value_keys}},
                                  cell)
            else:
                runner, rebuilt = CellRunner(cell, runner.model_name, initial_soc=soc,
                                             aging=mechanisms, inputs=path_si), True
        else:
            runner.set_inputs(path_si)
        # PyBaMM keeps per-model state from the last solve: without a fresh set-up a sample's
        # run depended on the samples its worker ran before (seen: a 60 degC rate-test
        # sample whose voltage hold failed after another sample and solved alone)
        runner.forget_set_up("function")
        if group.run[0] in ("simulate", "energy"):
            return _simulate(group, index, runner, cell, rebuilt, tic)
        loaded = LoadedProtocol(base.path, base.protocol, cell)
        result = replay_on(loaded, loaded.plan(group.model), runner, mechanisms,
                           sequential=group.sequential, accelerate=group.accelerate)
    except Exception as exc:  # a sample whose cell does not validate or whose run fails
        return _record(index, "failed", f"{type(exc).__name__}: {exc}",
                       elapsed=time.perf_counter() - tic)
    summary = result.summary
    rows = [{"step": int(r["step"]), "status": r["status"],
             **{q: float(r[q]) if r[q] == r[q] else float("nan") for q in QUANTITIES}}
            for r in summary.to_dict("records")]
    comps = [{"step": r["step"], "quantity": r["quantity"], "simulated": float(r["simulated"])}
             for r in result.comparisons.to_dict("records")]
    failed = result.failed
    status = "ok" if not len(failed) else "failed"
    error = "; ".join(f"step {r.step}: {r.termination}" for r in failed.itertuples())
    return _record(index, status, error, rows, comps, rebuilt, time.perf_counter() - tic,
                   result.jumps.get("jumps_rejected", 0))


def simulate_row(frame, cell, levels: bool = False) -> dict:
    """The QUANTITIES of one constant-current step (step 1); ``levels``: also the energy,
    energy density and power at the four levels of :mod:`nasim.analysis.energy`."""
    from nasim.analysis.metrics import step_metrics

    m = step_metrics(frame, cell.design.cathode_active_mass_kg, cell.design.anode_active_mass_kg)
    row = {"step": 1, "status": "ok", **{q: float(m.get(q, float("nan"))) for q in QUANTITIES}}
    if levels:
        from nasim.params.budget import mass_budget
        from nasim.sweep.worker import discharge_metrics

        row.update({k: float(v) for k, v in discharge_metrics(frame, cell, mass_budget(cell))
                    .items() if isinstance(v, int | float)})
    return row


def _simulate(group: Group, index: int, runner, cell, rebuilt: bool, tic: float) -> dict:
    """One constant-current step of ``group.run`` (see :func:`nasim.simulate`)."""
    from nasim.simulate.ends import SimulationError
    from nasim.simulate.engine import constant_current_step

    _, direction, key, value, temperature_C = group.run
    temperature_K = (cell.cell.ambient_temperature.si if temperature_C is None
                     else temperature_C + 273.15)
    step = constant_current_step(cell, direction, cell.current_A(**{key: value}), temperature_K)
    try:
        solved = runner.run(step, None)
    except SimulationError as exc:
        return _record(index, "failed", exc.reason, rebuilt=rebuilt,
                       elapsed=time.perf_counter() - tic)
    return _record(index, "ok", "", [simulate_row(solved.frame, cell, group.run[0] == "energy")],
                   (), rebuilt, time.perf_counter() - tic)


def run_samples(task: SampleTask) -> list[dict]:
    """Every sample of ``task`` (one record each; never raises for a sample)."""
    try:
        return [run_sample(task.group, i, values) for i, values in task.samples]
    except Exception as exc:  # the group's model could not be built: every sample fails
        return [_record(i, "failed", f"{type(exc).__name__}: {exc}") for i, _ in task.samples]


__all__ = ["QUANTITIES", "Group", "SampleTask", "probe", "run_sample", "run_samples",
           "warm_group"]
