"""Cycle jumping for long aging runs (``aging: {accelerate: true}``; ``--accelerate``): the
adaptive inter-cycle extrapolation of Sulzer et al., J. Electrochem. Soc. 168 (2021) 120531,
applied to nasim's walk (:mod:`nasim.simulate.execute`).

Within a repeat, after two consecutive cycles solved in full, the state at the end of the
second (a cycle-synchronous point: the end of its last step) is extrapolated linearly over N
cycles, y_{c+N} = y_c + N (y_c - y_{c-1}) (every state, so that the Na inventory stays
conserved; the time too), and the steps of the N skipped cycles are reported as skipped. The
next two cycles are solved in full again, which gives the new per-cycle change d'. Error
control: the local error of the jump is estimated from the change of the per-cycle change of
the slow aging states (LAM fractions, SEI thickness, Na lost; :meth:`CellRunner.
aging_state_indices`), err = N/2 max_i |d'_i - d_i| / |y_i| (the second-order term of the
extrapolation), and the next jump length is N sqrt(tol / err), between N/2 and 2N, at most
``max_jump``; a jump never skips a cycle the listener keeps (kept time series, measured
cycles, fitted targets), and the last two cycles before such a cycle are solved in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pybamm

#: words in the names of the slow aging states of PyBaMM's models (LAM, SEI, Na lost)
_AGING_STATE_WORDS = ("active material volume fraction", "SEI thickness", "Loss of lithium",
                      "SEI on cracks thickness")



def aging_state_indices(runner) -> np.ndarray:
    """Indices in the state vector of the slow aging states (active material fractions,
    SEI thickness, Na lost to LAM and SEI): the states cycle jumping controls."""
    model = runner.build().model
    out = [np.arange(sl.start, sl.stop) for var, slices in model.y_slices.items()
           for sl in slices if any(k in var.name for k in _AGING_STATE_WORDS)]
    return np.concatenate(out) if out else np.array([], dtype=int)

def extrapolate(before: pybamm.Solution, after: pybamm.Solution, n_cycles: int
                ) -> pybamm.Solution:
    """The state ``n_cycles`` cycles after ``after``, extrapolated linearly from the change
    between two cycle-synchronous states of consecutive cycles (``before``, ``after``):
    y + n (y - y_before), likewise the time and the sensitivities dy/dp (cycle jumping,
    :mod:`nasim.simulate.execute`). Every state is extrapolated, so that what the model
    conserves linearly (the Na inventory, with the Na lost to LAM and SEI) stays
    conserved."""
    a, b = before.last_state, after.last_state
    ya = np.asarray(a.all_ys[0])[:, -1]
    yb = np.asarray(b.all_ys[0])[:, -1]
    y = yb + n_cycles * (yb - ya)
    t = float(b.t[-1]) + n_cycles * (float(b.t[-1]) - float(a.t[-1]))
    sens = {}
    for key, value in (b._all_sensitivities or {}).items():
        sb = np.asarray(value[0] if isinstance(value, list) else value)
        old = a._all_sensitivities[key]
        sa = np.asarray(old[0] if isinstance(old, list) else old)
        sens[key] = sb + n_cycles * (sb - sa)
    state = pybamm.Solution(np.array([t]), y[:, None], b.all_models[-1:],
                            b.all_inputs[-1:], None, None, "final time",
                            all_sensitivities=sens or None)
    return state


@dataclass
class _Boundary:
    cycle: int
    state: object  # pybamm.Solution (the end state of the cycle's last step)
    slow: np.ndarray


@dataclass
class Jumper:
    """Cycle-jumping bookkeeping of one walk (see the module doc)."""

    runner: object  # CellRunner (its built model)
    tolerance: float
    max_jump: int
    n: int = 4  # the next jump's length
    history: dict[str, list[_Boundary]] = field(default_factory=dict)
    slope_before: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)
    errors: list[float] = field(default_factory=list)
    jumped: int = 0
    jumps: int = 0

    def __post_init__(self):
        self.index = aging_state_indices(self.runner)

    def _slow(self, state) -> np.ndarray:
        y = np.asarray(state.last_state.all_ys[0])[:, -1]
        return y[self.index]

    def cycle_solved(self, group: str, cycle: int, state) -> None:
        """The last step of ``cycle`` solved: its end state is a cycle boundary."""
        hist = self.history.setdefault(group, [])
        hist.append(_Boundary(cycle, state, self._slow(state)))
        del hist[:-2]
        if group not in self.slope_before or not self._pair(hist):
            return
        n, before = self.slope_before.pop(group)
        after = hist[1].slow - hist[0].slow
        scale = np.maximum(np.abs(hist[1].slow), 1e-12)
        err = 0.5 * n * float(np.max(np.abs(after - before) / scale)) if len(scale) else 0.0
        self.errors.append(err)
        factor = 2.0 if err == 0 else float(np.clip(np.sqrt(self.tolerance / err), 0.5, 2.0))
        self.n = int(max(2, min(self.max_jump, round(n * factor))))

    def cycle_failed(self, group: str) -> None:
        self.history.pop(group, None)
        self.slope_before.pop(group, None)

    @staticmethod
    def _pair(hist: list[_Boundary]) -> bool:
        return len(hist) == 2 and hist[1].cycle == hist[0].cycle + 1

    def jump(self, group: str, next_kept: int) -> tuple[int, object] | None:
        """(N, the extrapolated state) for a jump from the last solved cycle of ``group``, or
        None (no pair of consecutive solved cycles, or the next kept cycle ``next_kept`` too
        near: the two cycles before it are solved)."""
        hist = self.history.get(group, [])
        if not self._pair(hist) or len(self.index) == 0:
            return None
        n = min(self.n, next_kept - hist[1].cycle - 2)
        if n < 2:
            return None
        state = extrapolate(hist[0].state, hist[1].state, n)
        self.slope_before[group] = (n, hist[1].slow - hist[0].slow)
        self.history[group] = []
        self.jumped += n
        self.jumps += 1
        return n, state

    def note(self) -> str:
        worst = max(self.errors) if self.errors else 0.0
        return (f"cycle jumping (Sulzer et al. 2021 adaptive inter-cycle extrapolation): "
                f"{self.jumped} cycles extrapolated in {self.jumps} jumps; largest estimated "
                f"local error of an aging state {worst:.2e} (tolerance {self.tolerance:g}, "
                f"max jump {self.max_jump})")
