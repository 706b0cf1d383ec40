"""Model assembly: nasim's SPM, SPMe and DFN are PyBaMM's lithium-ion models run with sodium
parameters (PyBaMM's ``lithium_ion`` models are chemistry-agnostic intercalation models; only
the parameter names say "lithium"). A half cell is the positive electrode against a metal
counter electrode (PyBaMM's ``{"working electrode": "positive"}`` option)."""

from __future__ import annotations

import pybamm

MODEL_CLASSES = {
    "SPM": pybamm.lithium_ion.SPM,
    "SPMe": pybamm.lithium_ion.SPMe,
    "DFN": pybamm.lithium_ion.DFN,
}
MODEL_NAMES = tuple(MODEL_CLASSES)


def model_options(configuration: str) -> dict:
    """PyBaMM options for a ``"half"`` or ``"full"`` cell."""
    if configuration == "half":
        return {"working electrode": "positive"}
    if configuration == "full":
        return {}
    raise ValueError(f"configuration {configuration!r}: expected 'half' or 'full'")


def build_model(name: str, configuration: str) -> pybamm.BaseModel:
    """A fresh PyBaMM model ``name`` (SPM, SPMe or DFN) for a half or full cell."""
    try:
        cls = MODEL_CLASSES[name]
    except KeyError:
        raise ValueError(f"model {name!r}: expected one of {', '.join(MODEL_NAMES)}") from None
    return cls(model_options(configuration), name=f"nasim {name} ({configuration} cell)")
