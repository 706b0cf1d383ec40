"""The spatial mesh of a cell's models and its convergence check (``nasim mesh-check``).

A :class:`Mesh` holds the finite-volume points per domain (``x_n``, ``x_s``, ``x_p``: through
the anode, separator and cathode; ``r_n``, ``r_p``: along the particle radii) and the kind of
particle mesh: ``uniform`` or ``exponential`` (PyBaMM's ``Exponential1DSubMesh`` clustered
towards the particle surface, where the concentration gradients of a high-rate step sit, with
``stretch``). A cell file's ``mesh:`` section sets it (with its source; a study file's
``mesh:`` overrides it for the study's points); without one the mesh is PyBaMM's default (20
points everywhere, uniform). The bundled cells' meshes and what they cost:
``benchmarks/README.md``, "DFN accuracy per cost".

:func:`mesh_check` solves one constant-current discharge (from the charged state) on the mesh in
use and on the mesh with every point count doubled, and compares capacity and voltage.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pybamm

DOMAIN_KEYS = ("x_n", "x_s", "x_p", "r_n", "r_p")
PYBAMM_DEFAULT_POINTS = 20
PARTICLE_DOMAINS = {"r_n": "negative particle", "r_p": "positive particle"}


@dataclass(frozen=True)
class Mesh:
    """Points per domain and the particle mesh kind (see the module docstring)."""

    points: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(DOMAIN_KEYS, PYBAMM_DEFAULT_POINTS))
    particle: str = "uniform"
    stretch: float = 1.5

    @classmethod
    def uniform(cls, n: int) -> Mesh:
        return cls(dict.fromkeys(DOMAIN_KEYS, int(n)))

    @classmethod
    def of_cell(cls, cell, model: str | None = None) -> Mesh:
        """The mesh a cell file asks for (``mesh:``) for ``model``, else PyBaMM's default."""
        spec = getattr(cell.cell, "mesh", None)
        return cls() if spec is None else cls.of_spec(spec, model)

    @classmethod
    def of_spec(cls, spec, model: str | None = None) -> Mesh:
        """The mesh of a ``mesh:`` section (:class:`nasim.params.cell_sections.CellMesh`, in a
        cell or study file) for ``model`` (its ``models:`` points over the common ones);
        points not given keep PyBaMM's 20."""
        points = dict.fromkeys(DOMAIN_KEYS, PYBAMM_DEFAULT_POINTS)
        points.update({k: int(v) for k, v in spec.points.items()})
        points.update({k: int(v) for k, v in spec.models.get(model, {}).items()})
        return cls(points, spec.particle, float(spec.stretch))

    def refined(self, factor: int = 2) -> Mesh:
        return replace(self, points={k: v * factor for k, v in self.points.items()})

    def var_pts(self) -> dict[str, int]:
        return dict(self.points)

    def submesh_types(self, defaults: dict) -> dict:
        """PyBaMM submesh types: ``defaults`` (the model's) with the particle meshes set."""
        out = dict(defaults)
        if self.particle == "exponential":
            gen = pybamm.MeshGenerator(pybamm.Exponential1DSubMesh,
                                       submesh_params={"side": "right", "stretch": self.stretch})
            for domain in PARTICLE_DOMAINS.values():
                if domain in out:
                    out[domain] = gen
        return out

    def simulation_kwargs(self, model: pybamm.BaseModel) -> dict:
        """``var_pts`` and ``submesh_types`` for ``pybamm.Simulation(model, ...)``: the same
        discretisation as nasim's runs of the cell (e.g. with :func:`nasim.to_pybamm`)."""
        return {"var_pts": self.var_pts(),
                "submesh_types": self.submesh_types(model.default_submesh_types)}

    def describe(self) -> dict:
        """What ``summary.json``/``fit_report.json`` record under ``mesh_points``."""
        return {**self.points, "particle_mesh": self.particle,
                **({"stretch": self.stretch} if self.particle == "exponential" else {})}


def resolve(cell, mesh_points: int | Mesh | None, model: str | None = None) -> Mesh:
    """The mesh of a run of ``model``: a :class:`Mesh`, a uniform point count, or the cell
    file's."""
    if isinstance(mesh_points, Mesh):
        return mesh_points
    if mesh_points is not None:
        return Mesh.uniform(mesh_points)
    return Mesh.of_cell(cell, model)


def shell_edges(solution: pybamm.Solution, variable: str, n: int) -> np.ndarray:
    """Radial cell edges (scaled 0..1) of a particle variable of ``solution`` (uniform if the
    mesh cannot be read)."""
    try:
        edges = np.asarray(solution[variable].mesh[0].edges, dtype=float)
        if len(edges) == n + 1:
            return (edges - edges[0]) / (edges[-1] - edges[0])
    except (AttributeError, IndexError, KeyError, TypeError):
        pass
    return np.linspace(0.0, 1.0, n + 1)


def _discharge(cell, model: str, c_rate: float, mesh: Mesh, temperature_C: float | None):
    from nasim.simulate import simulate

    tic = time.perf_counter()
    # not compiled: a one-off comparison, and the refined mesh would be a build of its own
    result = simulate(cell, model=model, c_rate=c_rate, mesh_points=mesh,
                      temperature_C=temperature_C, compiled=False)
    wall = time.perf_counter() - tic
    return result, wall


def mesh_check(cell, model: str = "DFN", *, c_rate: float = 1.0,
               temperature_C: float | None = None, mesh: int | Mesh | None = None,
               factor: int = 2) -> pd.DataFrame:
    """Compare a discharge at ``c_rate`` on the mesh in use (the cell file's unless ``mesh``)
    with the same discharge on a mesh with ``factor`` times the points.

    Returns one row per mesh (``mesh`` = ``in use`` / ``refined``) with its points, number of
    states, solve and wall time, capacity and median voltage, and on the ``in use`` row the
    differences: ``capacity_rel_diff`` = |Q - Q_ref| / Q_ref and ``voltage_rms_diff_mV``, the RMS
    of V - V_ref over the common capacity range (both curves interpolated on 400 capacities)."""
    from nasim.params import load_cell
    from nasim.params.loading import LoadedCell

    loaded = cell if isinstance(cell, LoadedCell) else load_cell(cell)
    base = resolve(loaded, mesh, model)
    rows, curves = [], []
    for label, m in (("in use", base), ("refined", base.refined(factor))):
        result, wall = _discharge(loaded, model, c_rate, m, temperature_C)
        ts = result.timeseries
        curves.append((ts.capacity_mAh_per_g.to_numpy(), ts.voltage_V.to_numpy()))
        rows.append({"mesh": label, **m.describe(), "model": model, "c_rate": c_rate,
                     "states": int(result.n_states) if getattr(result, "n_states", None)
                     else None,
                     "solve_time_s": result.solve_time_s, "wall_time_s": wall,
                     "capacity_mAh_per_g": float(ts.capacity_mAh_per_g.iloc[-1]),
                     "median_voltage_V": result.metrics["median_voltage_V"]})
    capacity_diff, voltage_diff = compare_curves(*curves[0], *curves[1])
    frame = pd.DataFrame(rows)
    frame["capacity_rel_diff"] = [capacity_diff, 0.0]
    frame["voltage_rms_diff_mV"] = [voltage_diff, 0.0]
    return frame


def compare_curves(capacity: np.ndarray, voltage_V: np.ndarray, capacity_ref: np.ndarray,
                   voltage_ref_V: np.ndarray) -> tuple[float, float]:
    """How far a discharge curve is from a reference one: the relative difference of the end
    capacities (|Q - Q_ref| / Q_ref, any capacity unit shared by both) and the RMS voltage
    difference [mV] over the common capacity range (both curves interpolated on 400
    capacities)."""
    q_common = np.linspace(0.0, min(capacity[-1], capacity_ref[-1]), 400)
    dv = np.interp(q_common, capacity, voltage_V) - np.interp(q_common, capacity_ref,
                                                              voltage_ref_V)
    return (float(abs(capacity[-1] - capacity_ref[-1]) / capacity_ref[-1]),
            float(np.sqrt(np.mean(dv**2)) * 1e3))
