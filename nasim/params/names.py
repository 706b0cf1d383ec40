"""The names nasim accepts in more than one place, each listed once; ``Literal`` types for the
schemas are built from these tuples."""

from __future__ import annotations

from typing import Literal

#: the cell models (PyBaMM's SPM, SPMe and DFN, see nasim.physics.models)
MODEL_NAMES = ("SPM", "SPMe", "DFN")
ModelName = Literal[MODEL_NAMES]  # type: ignore[valid-type]

#: isothermal (the ambient temperature) or one lumped cell temperature from a heat balance
THERMAL_MODES = ("isothermal", "lumped")
ThermalMode = Literal[THERMAL_MODES]  # type: ignore[valid-type]

#: cycle-aging mechanisms (see nasim.physics.aging)
AGING_MECHANISMS = ("phase_strain", "dissolution", "sei", "cei")
AgingMechanism = Literal[AGING_MECHANISMS]  # type: ignore[valid-type]
#: aging constants of a cathode's ``degradation`` section that can be input parameters (fits,
#: sweeps), with their dimensions
AGING_INPUT_FIELDS = {"strain_loss_rate": "inverse_time",
                      "strain_rate_exponent": "dimensionless",
                      "strain_relaxation.activation_energy": "molar_energy",
                      "dissolution_rate": "inverse_time",
                      "dissolution_arrhenius.activation_energy": "molar_energy",
                      "cei.growth_rate": "rate_constant"}

#: where a run starts: at the upper cut-off (charged) or the lower (discharged)
INITIAL_STATES = ("charged", "discharged")
InitialState = Literal[INITIAL_STATES]  # type: ignore[valid-type]
#: PyBaMM's state of charge of each start state (the electrode-SOH solver's argument)
STATE_OF_CHARGE = {"charged": 1.0, "discharged": 0.0}


def initial_state_of(direction: str) -> str:
    """The start state of a constant-current ``direction``: a discharge starts charged, a
    charge discharged."""
    if direction not in ("discharge", "charge"):
        raise ValueError(f"direction {direction!r}: expected 'discharge' or 'charge'")
    return "charged" if direction == "discharge" else "discharged"


def check_name(value: str, names: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``names``, else a ValueError naming them."""
    if value not in names:
        raise ValueError(f"{what} {value!r}: expected one of {', '.join(names)}")
    return value

#: which inputs an uncertainty run samples (``--vary``), and its default number of samples
VARY: tuple[str, ...] = ("assumed", "fitted", "all")
DEFAULT_SAMPLES = 64


__all__ = [
    "AGING_INPUT_FIELDS",
    "AGING_MECHANISMS",
    "DEFAULT_SAMPLES",
    "INITIAL_STATES",
    "MODEL_NAMES",
    "STATE_OF_CHARGE",
    "THERMAL_MODES",
    "VARY",
    "AgingMechanism",
    "InitialState",
    "ModelName",
    "ThermalMode",
    "check_name",
    "initial_state_of",
]
