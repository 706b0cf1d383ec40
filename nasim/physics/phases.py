"""Phase fractions and unit-cell volume from a cathode's phase map.

For Na content x in a solid-solution range of phase P, P's fraction is 1 and its volume per
formula unit is linear in x between the range's end values. In a two-phase range [x_lo, x_hi]
between A (the high-x phase) and B, the lever rule gives f_A = (x - x_lo) / (x_hi - x_lo) and
f_B = 1 - f_A, each phase at its boundary volume. Volume change is relative to the pristine
material (the first phase at its high-x end). Outside the map, the end phases continue.
"""

from __future__ import annotations

import numpy as np

from nasim.params.schema import PhaseMap


def phase_fractions(phase_map: PhaseMap, x: np.ndarray) -> dict[str, np.ndarray]:
    """Fraction of each single phase at Na content(s) ``x``."""
    x = np.asarray(x, dtype=float)
    out = {p.name: np.zeros_like(x) for p in phase_map.single_phases()}
    entries = phase_map.phases
    for i, p in enumerate(entries):
        lo, hi = p.x_low.si, p.x_high.si
        inside = (x >= lo) & (x <= hi) if i < len(entries) - 1 else x <= hi
        if i == 0:
            inside |= x > hi
        if p.kind == "solid_solution":
            out[p.name] = np.where(inside, 1.0, out[p.name])
        else:
            high_phase, low_phase = p.between
            f_high = (x - lo) / (hi - lo)
            out[high_phase] = np.where(inside, f_high, out[high_phase])
            out[low_phase] = np.where(inside, 1.0 - f_high, out[low_phase])
    return out


def _single_phase_volume(p, x: np.ndarray) -> np.ndarray:
    lo, hi = p.x_low.si, p.x_high.si
    v_lo, v_hi = p.volume_at_x_low.si, p.volume_at_x_high.si
    return v_lo + (np.clip(x, lo, hi) - lo) / (hi - lo) * (v_hi - v_lo)


def volume_change(phase_map: PhaseMap, x: np.ndarray) -> np.ndarray:
    """Unit-cell volume relative to the pristine material, minus 1, at Na content(s) ``x``."""
    x = np.asarray(x, dtype=float)
    fractions = phase_fractions(phase_map, x)
    volume = np.zeros_like(x)
    for p in phase_map.single_phases():
        volume += fractions[p.name] * _single_phase_volume(p, x)
    pristine = phase_map.phases[0].volume_at_x_high.si
    return volume / pristine - 1.0


def shell_weights(n: int, edges: np.ndarray | None = None) -> np.ndarray:
    """Volume weights of the n shells of a radial finite-volume mesh (sum 1): uniform, or
    with the given cell ``edges`` (0..1; e.g. a mesh clustered at the surface)."""
    edges = np.linspace(0.0, 1.0, n + 1) if edges is None else np.asarray(edges, float)
    return np.diff(edges**3) / (edges[-1] ** 3 - edges[0] ** 3)


def phase_sequence(fractions: dict[str, np.ndarray], threshold: float = 0.5) -> list[str]:
    """Phases in the order in which they first exceed ``threshold``."""
    first = {}
    for name, f in fractions.items():
        above = np.nonzero(np.asarray(f) > threshold)[0]
        if len(above):
            first[name] = int(above[0])
    return sorted(first, key=lambda n: first[n])


def phase_columns(phase_map: PhaseMap, x_particles: np.ndarray, x_surface: np.ndarray,
                  edges: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Time series of phase fractions and volume change of an electrode's particles.

    ``x_particles``: Na content over (particle shell, electrode position, time);
    ``x_surface``: at the particle surface over (electrode position, time). Fractions are
    particle-volume averages over each particle and then means over the electrode (uniform mesh);
    ``surface_phase_fraction_*`` use the surface content; ``edges``: the radial cell edges
    (0..1) of a non-uniform particle mesh. Columns: ``phase_fraction_<name>``,
    ``surface_phase_fraction_<name>``, ``volume_change``.
    """
    weights = shell_weights(x_particles.shape[0], edges)

    def average(field: np.ndarray) -> np.ndarray:
        return np.tensordot(weights, field, axes=(0, 0)).mean(axis=0)

    columns = {}
    for name, f in phase_fractions(phase_map, x_particles).items():
        columns[f"phase_fraction_{name}"] = average(f)
    for name, f in phase_fractions(phase_map, x_surface).items():
        columns[f"surface_phase_fraction_{name}"] = f.mean(axis=0)
    columns["volume_change"] = average(volume_change(phase_map, x_particles))
    return columns
