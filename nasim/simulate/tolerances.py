"""The IDAKLU tolerances of a :class:`~nasim.simulate.engine.CellRunner`'s solves.

PyBaMM's defaults are rtol 1e-4 and atol 1e-6 for every state. PyBaMM scales its states
(concentrations by their maximum or initial value) but solves the potentials in volts relative
to a reference, so that the electrolyte potential (about 0 V) and the electrode potentials
near their reference are held to 1 uV absolute: far below anything nasim compares (voltage
curves to 0.1-2 mV), and it sets the step size of a DFN. nasim's default is therefore PyBaMM's,
except an absolute tolerance of :data:`POTENTIAL_ATOL_V` on the potential states (the DFN's;
SPM/SPMe solve no potential). Measured on ``heo_half`` (compiled, 190 states,
``benchmarks/dfn_accuracy_speed.py`` and the numbers in ``benchmarks/README.md``): repeat solves
1.2x faster at 1C and 20C and at -20 degC 4C, the curves within 0.05-0.17 mV RMS and 0.001 %
capacity of the same mesh at rtol 1e-6 / atol 1e-8 (atol 1e-4 on every state instead: 0.9 mV at
-20 degC 4C; rtol 1e-3: 8 mV there). Tolerances given to a runner are used as given.

Two exceptions take a tighter relative tolerance, :func:`default_tolerances`:

- the SPM, rtol 1e-5: its error accumulates over a slow discharge. Measured on ``heo_half``
  (2026-12-02, its mesh, against rtol 1e-7 / atol 1e-9), C/20 discharge: at rtol 1e-4 9.8 mV
  at the end of discharge (1.7 mV RMS), at 1e-5 0.03 mV, both 2.8 ms per solve; at 1C 1.0 mV
  vs 0.11 mV, 3.0 vs 3.3 ms. The SPMe keeps PyBaMM's 1e-4 (C/20: 2.3 mV, 0.37 mV RMS; 1C
  0.7 mV), where 3e-5 would cost it 50 % at 1C; the DFN at C/20 is within 1.5 mV;
- lumped thermal, rtol 1e-6 and atol 1e-10: the temperature rise is a small difference of
  large heat terms; at PyBaMM's default tolerances SPM/SPMe overstate a 1C rise 5-20 fold;
  these agree with the DFN (0.004 K at 1C).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pybamm

PYBAMM_ATOL = 1e-6  # IDAKLU's default absolute tolerance
POTENTIAL_ATOL_V = 1e-4
_POTENTIAL = "potential [V]"


LUMPED_TOLERANCES = {"rtol": 1e-6, "atol": 1e-10}
MODEL_TOLERANCES = {"SPM": {"rtol": 1e-5}}


def default_tolerances(model_name: str, thermal: str) -> dict[str, float]:
    """nasim's default ``rtol``/``atol`` of a ``model_name`` runner with ``thermal`` (the
    exceptions to PyBaMM's defaults above; an empty dict: PyBaMM's, with :func:`state_atol`)."""
    return dict(LUMPED_TOLERANCES if thermal == "lumped" else MODEL_TOLERANCES.get(model_name, {}))


def state_atol(model: pybamm.BaseModel, given: Mapping[str, float]) -> float | np.ndarray:
    """The absolute tolerance of each state of the discretised ``model`` [state units]:
    ``given["atol"]`` if given, else PyBaMM's 1e-6 with :data:`POTENTIAL_ATOL_V` on the
    potential states."""
    if "atol" in given:
        return given["atol"]
    atol = np.full(model.len_rhs_and_alg, PYBAMM_ATOL)
    for variable, slices in model.y_slices.items():
        if variable.name.endswith(_POTENTIAL):
            for where in slices:
                atol[where] = POTENTIAL_ATOL_V
    return atol
