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
aging (LAM fractions, the SEI state; :func:`aging_state_indices`), err = N/2 max_i |d'_i - d_i|
/ |y_i| (the second-order term of the extrapolation), and the next jump length is
N sqrt(tol / err), between N/2 and 2N, at most ``max_jump``; a jump never skips a cycle the
listener keeps (kept time series, measured cycles, fitted targets), and the S + 1 cycles up to
such a cycle are solved in full.

Step rejection (as an adaptive integrator rejects a step): a jump is provisional until the S + 1
cycles after it are solved. If one of their steps fails (an extrapolated state from which a
cycle cannot be solved: a cut-off reached at once, a solver failure), or the error estimate is
above :data:`REJECT_FACTOR` times the tolerance, the walk returns to the state before the jump
(its records of the skipped and solved cycles are dropped) and jumps half as far; a jump halved
below 2 cycles is not made, and the S + 1 cycles after that boundary are solved in full before
the next jump (of 2 cycles) is tried. A repeat that ends by its retention rule, or whose last
cycle comes before the S + 1 cycles are solved, accepts the jump. The number of rejected jumps
is in the run's note and :attr:`Jumper.rejected`.
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
#: PyBaMM's SEI state is its concentration ("Negative SEI concentration [mol.m-3]", PyBaMM 26;
#: a thickness in older versions): with only "SEI thickness" here the full cell's SEI went
#: uncontrolled, and with a fast SEI a 4-cycle jump put the retention 0.19 below solving every
#: cycle at an estimated error of 4e-4 (the LAM fraction's alone).
_AGING_STATE_WORDS = ("active material volume fraction", "SEI thickness", "CEI thickness",
                      "SEI on cracks thickness", "SEI concentration",
                      "SEI on cracks concentration")
#: the Na-loss counters: extrapolated with the states above in a half cell
_NA_LOSS_WORDS = ("Loss of lithium",)
#: a jump whose estimated local error exceeds this many tolerances is rejected ("far above"
#: the tolerance: up to it the controller only shortens the next jump, by at most half). 10:
#: the bundled aging protocols' largest estimates are 0.2-4.9 tolerances (4.9 at 60 degC), so
#: that rejection by error changes none of them; a failed cycle after a jump always rejects.
REJECT_FACTOR = 10.0


def aging_state_indices(runner, words: tuple[str, ...] = _AGING_STATE_WORDS) -> np.ndarray:
    """Indices in the state vector of the slow aging states (active material fractions,
    SEI concentration or thickness): the states cycle jumping controls the jump length on."""
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
class _Pending:
    """A jump on trial: its length, the per-cycle change it extrapolated with (the controlled
    states) and the history of the boundaries before it (restored if it is rejected)."""

    n: int
    slope: np.ndarray
    history: list[_Boundary]


@dataclass
class Jumper:
    """Cycle-jumping bookkeeping of one walk (see the module doc)."""

    runner: object  # CellRunner (its built model)
    tolerance: float
    max_jump: int
    n: int = 16  # the next jump's length (the first: its error is measured, the next scaled)
    history: dict[str, list[_Boundary]] = field(default_factory=dict)
    pending: dict[str, _Pending] = field(default_factory=dict)
    errors: list[float] = field(default_factory=list)
    jumped: int = 0
    jumps: int = 0
    rejected: int = 0
    rejected_failed: int = 0  # of which after a failed cycle

    def __post_init__(self):
        self.index = aging_state_indices(self.runner)
        #: the states a jump extrapolates (None: every state; see the module doc)
        self.extrapolated = (None if self.runner.cell.configuration == "full" else
                             aging_state_indices(self.runner,
                                                 _AGING_STATE_WORDS + _NA_LOSS_WORDS))

    def _slow(self, state) -> np.ndarray:
        y = np.asarray(state.last_state.all_ys[0])[:, -1]
        return y[self.index]

    def cycle_solved(self, group: str, cycle: int, state) -> bool | None:
        """The last step of ``cycle`` solved: its end state is a cycle boundary. Once the
        SPAN + 1 cycles after a jump are solved, the jump's verdict: True (accepted; the next
        jump's length follows from its error) or False (its error is above
        :data:`REJECT_FACTOR` tolerances: undo it, :meth:`reject`); None otherwise."""
        hist = self.history.setdefault(group, [])
        hist.append(_Boundary(cycle, state, self._slow(state)))
        del hist[:-(SPAN + 1)]
        if group not in self.pending or not self._run(hist):
            return None
        pending = self.pending[group]
        scale = np.maximum(np.abs(hist[-1].slow), 1e-12)
        err = (0.5 * pending.n * float(np.max(np.abs(self._slope(hist) - pending.slope)
                                              / scale)) if len(scale) else 0.0)
        if err > REJECT_FACTOR * self.tolerance:
            return False
        del self.pending[group]
        self.errors.append(err)
        factor = 2.0 if err == 0 else float(np.clip(np.sqrt(self.tolerance / err), 0.5, 2.0))
        self.n = int(max(2, min(self.max_jump, round(pending.n * factor))))
        return True

    def cycle_failed(self, group: str) -> None:
        self.history.pop(group, None)
        self.pending.pop(group, None)

    def accept(self, group: str) -> None:
        """The repeat ended (by its retention rule, or at its last cycle) before the cycles
        that check the jump on trial were solved: the jump stands."""
        self.pending.pop(group, None)

    def reject(self, group: str, failed: bool) -> None:
        """Undo the jump on trial of ``group`` (the walk is back at the boundary it jumped
        from; ``failed``: a cycle after it failed, else its error was too large): the next
        jump from there is half as long; below 2 cycles none is made there and the history is
        cleared, so that SPAN + 1 cycles are solved in full before a jump of 2 cycles is
        tried."""
        pending = self.pending.pop(group)
        self.jumped -= pending.n
        self.jumps -= 1
        self.rejected += 1
        self.rejected_failed += failed
        half = pending.n // 2
        self.n = max(2, half)
        self.history[group] = pending.history if half >= 2 else []

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
        ``next_kept`` too near: the SPAN + 1 cycles up to it are solved). The jump is on
        trial until :meth:`cycle_solved` gives its verdict (or :meth:`accept`,
        :meth:`reject`)."""
        hist = self.history.get(group, [])
        if not self._run(hist) or len(self.index) == 0:
            return None
        n = min(self.n, next_kept - hist[-1].cycle - SPAN - 1)
        if n < 2:
            return None
        state = extrapolate(hist[0].state, hist[-1].state, n, SPAN, self.extrapolated)
        self.pending[group] = _Pending(n, self._slope(hist), list(hist))
        self.history[group] = []
        self.jumped += n
        self.jumps += 1
        return n, state

    def counts(self) -> dict[str, int]:
        """Cycles extrapolated, jumps made, jumps rejected (undone) so far and, of those,
        the ones rejected after a failed cycle."""
        return {"cycles_jumped": self.jumped, "jumps": self.jumps,
                "jumps_rejected": self.rejected,
                "jumps_rejected_after_failure": self.rejected_failed}

    def note(self) -> str:
        worst = max(self.errors) if self.errors else 0.0
        return (f"cycle jumping (Sulzer et al. 2021 adaptive inter-cycle extrapolation): "
                f"{self.jumped} cycles extrapolated in {self.jumps} jumps; "
                f"{self.rejected} jumps rejected (undone and halved: {self.rejected_failed} "
                f"after a failed cycle, {self.rejected - self.rejected_failed} with an error "
                f"above {REJECT_FACTOR:g} tolerances); largest "
                f"estimated local error of an accepted jump {worst:.2e} (tolerance "
                f"{self.tolerance:g}, max jump {self.max_jump})")
