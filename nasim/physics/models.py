"""Model assembly: nasim's SPM, SPMe and DFN are PyBaMM's lithium-ion models run with sodium
parameters (PyBaMM's ``lithium_ion`` models are chemistry-agnostic intercalation models; only
the parameter names say "lithium"). A half cell is the positive electrode against a metal
counter electrode (PyBaMM's ``{"working electrode": "positive"}`` option)."""

from __future__ import annotations

import pybamm

from nasim.params.names import MODEL_NAMES, THERMAL_MODES

MODEL_CLASSES = {name: getattr(pybamm.lithium_ion, name) for name in MODEL_NAMES}


def model_options(configuration: str, thermal: str = "isothermal") -> dict:
    """PyBaMM options for a ``"half"`` or ``"full"`` cell, ``"isothermal"`` (at the ambient
    temperature) or ``"lumped"`` (one cell temperature from a heat balance; the cell's whole
    heat capacity, hardware included, is one effective value: PyBaMM's "use lumped thermal
    capacity", see :mod:`nasim.params.thermal`)."""
    if configuration == "half":
        options = {"working electrode": "positive"}
    elif configuration == "full":
        options = {}
    else:
        raise ValueError(f"configuration {configuration!r}: expected 'half' or 'full'")
    if thermal == "lumped":
        options.update({"thermal": "lumped", "use lumped thermal capacity": "true"})
    elif thermal != "isothermal":
        raise ValueError(f"thermal {thermal!r}: expected one of {', '.join(THERMAL_MODES)}")
    return options


def build_model(name: str, configuration: str, thermal: str = "isothermal") -> pybamm.BaseModel:
    """A fresh PyBaMM model ``name`` (SPM, SPMe or DFN) for a half or full cell."""
    try:
        cls = MODEL_CLASSES[name]
    except KeyError:
        raise ValueError(f"model {name!r}: expected one of {', '.join(MODEL_NAMES)}") from None
    label = f"nasim {name} ({configuration} cell" + (", lumped thermal)" if thermal == "lumped"
                                                     else ")")
    return cls(model_options(configuration, thermal), name=label)
