"""Cycle jumping for long aging runs (``aging: {accelerate: true}``; ``--accelerate``): the
adaptive inter-cycle extrapolation of Sulzer et al., J. Electrochem. Soc. 168 (2021) 120531,
applied to nasim's walk (:mod:`nasim.simulate.execute`).

Within a repeat, after :data:`SPAN` + 1 consecutive cycles solved in full, the state at the end
of the last (a cycle-synchronous point: the end of its last step) is extrapolated linearly over
N cycles with the mean per-cycle change over the span, y_{c+N} = y_c + N (y_c - y_{c-S}) / S
(the time too), and the steps of the N skipped cycles are reported as skipped. Which states:
in a full cell every state, so that the Na inventory stays conserved (the Na the SEI takes
comes out of the electrodes' concentrations); in a half cell (a Na-metal counter electrode,
an unlimited Na reservoir) only the aging states (LAM fractions, the Na lost with them), the
concentrations, potentials and temperature staying those of the last solved cycle's end: the
end-of-discharge state of a cold or fast cycle scatters from one cycle to the next (at
-20 degC, 1C: retention 0.933, 0.932, 0.940 over cycles 161-163), and extrapolated over ~35
cycles it started the next discharge below its cut-off. The next S + 1 cycles are solved in
full again, which gives the new per-cycle change d'. Error control: the local error of the jump
is estimated from the change of the per-cycle change of the slow aging states that carry the
aging (LAM fractions, SEI thickness; :func:`aging_state_indices`), err = N/2 max_i |d'_i - d_i|
/ |y_i| (the second-order term of the extrapolation), and the next jump length is
N sqrt(tol / err), between N/2 and 2N, at most ``max_jump``; a jump never skips a cycle the
listener keeps (kept time series, measured cycles, fitted targets), and the S + 1 cycles up to
such a cycle are solved in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pybamm

#: cycles over which the per-cycle change is taken (S above). 2, not 1: the cycle-synchronous
#: state can alternate between two values from one cycle to the next (the 10C CC-CV protocol,
#: every cycle solved, alternates by +-0.01 in retention from cycle 150 on); a one-cycle change
#: carries that alternation, and extrapolated over ~50 cycles it drove the electrolyte
#: concentration negative, while the mean over two cycles is the drift.
SPAN = 2

#: words in the names of the slow aging states of PyBaMM's models that the jump length is
#: controlled on (LAM, SEI). The Na-loss counters ("Loss of lithium ...") are extrapolated with
#: every other state but not controlled on: they are functions of these (Na lost with the
#: active material = c_s V d eps, to the SEI ~ dL), so their error follows; relative to their
#: own small early values (they start at 0) they throttled the jumps to ~10 cycles (500 cycles
#: at 10C: 62 solved with tolerance 2e-3, the LAM fraction's estimated error < 1e-4).
_AGING_STATE_WORDS = ("active material volume fraction", "SEI thickness", "CEI thickness",
                      "SEI on cracks thickness")
#: the Na-loss counters: extrapolated with the states above in a half cell
_NA_LOSS_WORDS = ("Loss of lithium",)



def aging_state_indices(runner, words: tuple[str, ...] = _AGING_STATE_WORDS) -> np.ndarray:
    """Indices in the state vector of the slow aging states (active material fractions,
    SEI thickness): the states cycle jumping controls the jump length on."""
    model = runner.build().model
    out = [np.arange(sl.start, sl.stop) for var, slices in model.y_slices.items()
           for sl in slices if any(k in var.name for k in words)]
    return np.concatenate(out) if out else np.array([], dtype=int)

def extrapolate(before: pybamm.Solution, after: pybamm.Solution, n_cycles: int,
                span: int = 1, states: np.ndarray | None = None) -> pybamm.Solution:
    """The state ``n_cycles`` cycles after ``after``, extrapolated linearly from the change
    between two cycle-synchronous states ``span`` cycles apart (``before``, ``after``):
    y + n (y - y_before) / span, likewise the time and the sensitivities dy/dp (cycle jumping,
    :mod:`nasim.simulate.execute`). ``states``: the indices whose values are extrapolated
    (the others stay those of ``after``); None: every state, so that what the model conserves
    linearly (the Na inventory, with the Na lost to LAM and SEI) stays conserved. The
    sensitivities of every state are extrapolated: a fast state's end-of-cycle value barely
    drifts, but its derivative by an aging rate grows with the damage accumulated (keeping
    them, the fit's Jacobian of the 60 degC retention came out 100-400 times its finite
    difference)."""
    a, b = before.last_state, after.last_state
    ya = np.asarray(a.all_ys[0])[:, -1]
    yb = np.asarray(b.all_ys[0])[:, -1]
    f = n_cycles / span
    mask = np.ones(len(yb)) if states is None else np.isin(np.arange(len(yb)), states)
    y = yb + f * mask * (yb - ya)
    t = float(b.t[-1]) + f * (float(b.t[-1]) - float(a.t[-1]))
    sens = {}
    for key, value in (b._all_sensitivities or {}).items():
        sb = np.asarray(value[0] if isinstance(value, list) else value)
        old = a._all_sensitivities[key]
        sa = np.asarray(old[0] if isinstance(old, list) else old)
        sens[key] = sb + f * (sb - sa)
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
    n: int = 16  # the next jump's length (the first: its error is measured, the next scaled)
    history: dict[str, list[_Boundary]] = field(default_factory=dict)
    slope_before: dict[str, tuple[int, np.ndarray]] = field(default_factory=dict)
    errors: list[float] = field(default_factory=list)
    jumped: int = 0
    jumps: int = 0

    def __post_init__(self):
        self.index = aging_state_indices(self.runner)
        #: the states a jump extrapolates (None: every state; see the module doc)
        self.extrapolated = (None if self.runner.cell.configuration == "full" else
                             aging_state_indices(self.runner,
                                                 _AGING_STATE_WORDS + _NA_LOSS_WORDS))

    def _slow(self, state) -> np.ndarray:
        y = np.asarray(state.last_state.all_ys[0])[:, -1]
        return y[self.index]

    def cycle_solved(self, group: str, cycle: int, state) -> None:
        """The last step of ``cycle`` solved: its end state is a cycle boundary."""
        hist = self.history.setdefault(group, [])
        hist.append(_Boundary(cycle, state, self._slow(state)))
        del hist[:-(SPAN + 1)]
        if group not in self.slope_before or not self._run(hist):
            return
        n, before = self.slope_before.pop(group)
        after = self._slope(hist)
        scale = np.maximum(np.abs(hist[-1].slow), 1e-12)
        err = 0.5 * n * float(np.max(np.abs(after - before) / scale)) if len(scale) else 0.0
        self.errors.append(err)
        factor = 2.0 if err == 0 else float(np.clip(np.sqrt(self.tolerance / err), 0.5, 2.0))
        self.n = int(max(2, min(self.max_jump, round(n * factor))))

    def cycle_failed(self, group: str) -> None:
        self.history.pop(group, None)
        self.slope_before.pop(group, None)

    @staticmethod
    def _run(hist: list[_Boundary]) -> bool:
        """Whether ``hist`` holds SPAN + 1 consecutive solved cycles."""
        return len(hist) == SPAN + 1 and hist[-1].cycle == hist[0].cycle + SPAN

    @staticmethod
    def _slope(hist: list[_Boundary]) -> np.ndarray:
        """The mean per-cycle change of the controlled states over the span."""
        return (hist[-1].slow - hist[0].slow) / SPAN

    def jump(self, group: str, next_kept: int) -> tuple[int, object] | None:
        """(N, the extrapolated state) for a jump from the last solved cycle of ``group``, or
        None (fewer than SPAN + 1 consecutive solved cycles, or the next kept cycle
        ``next_kept`` too near: the SPAN + 1 cycles up to it are solved)."""
        hist = self.history.get(group, [])
        if not self._run(hist) or len(self.index) == 0:
            return None
        n = min(self.n, next_kept - hist[-1].cycle - SPAN - 1)
        if n < 2:
            return None
        state = extrapolate(hist[0].state, hist[-1].state, n, SPAN, self.extrapolated)
        self.slope_before[group] = (n, self._slope(hist))
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
