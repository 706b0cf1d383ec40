"""Units: the one place where lab units are converted to SI.

Every quantity in a parameter file carries a unit string. Each field of the schema declares a
*dimension* (``"length"``, ``"areal_mass"`` ...); the unit must be one of that dimension's
spellings, and :func:`to_si` converts ``value`` to the SI unit of the dimension.

Temperatures are affine (°C → K adds 273.15); every other conversion is a factor.
"""

from __future__ import annotations

from dataclasses import dataclass

CELSIUS_OFFSET_K = 273.15


@dataclass(frozen=True)
class Dimension:
    """A physical dimension: its SI unit and the accepted spellings with their SI factors."""

    name: str
    si_unit: str
    factors: dict[str, float]
    offsets: dict[str, float] | None = None

    def accepts(self, unit: str) -> bool:
        return unit in self.factors

    def to_si(self, value: float, unit: str) -> float:
        offset = (self.offsets or {}).get(unit, 0.0)
        return value * self.factors[unit] + offset


_MICRO = ("um", "µm", "μm")


def _dim(name: str, si_unit: str, factors: dict[str, float], offsets=None) -> Dimension:
    return Dimension(name, si_unit, {si_unit: 1.0, **factors}, offsets)


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in [
        _dim("dimensionless", "1", {"-": 1.0, "": 1.0, "%": 0.01}),
        _dim(
            "length",
            "m",
            {"cm": 1e-2, "mm": 1e-3, **{u: 1e-6 for u in _MICRO}, "nm": 1e-9,
             "angstrom": 1e-10, "Å": 1e-10},
        ),
        _dim("area", "m2", {"cm2": 1e-4, "mm2": 1e-6}),
        _dim("volume_per_formula_unit", "m3", {"angstrom3": 1e-30, "Å3": 1e-30}),
        _dim("mass", "kg", {"g": 1e-3, "mg": 1e-6}),
        _dim("volume", "m3", {"cm3": 1e-6, "mL": 1e-6, "uL": 1e-9, "µL": 1e-9, "L": 1e-3}),
        _dim("areal_mass", "kg/m2", {"mg/cm2": 1e-2, "g/m2": 1e-3}),
        _dim("density", "kg/m3", {"g/cm3": 1e3, "g/mL": 1e3}),
        _dim("molar_mass", "kg/mol", {"g/mol": 1e-3}),
        _dim("molar_volume", "m3/mol", {"cm3/mol": 1e-6}),
        _dim("concentration", "mol/m3", {"mol/L": 1e3, "M": 1e3, "mol/dm3": 1e3, "mmol/L": 1.0}),
        # specific charge: SI is C/kg; 1 mAh/g = 3.6 C / 1e-3 kg = 3600 C/kg
        _dim("specific_capacity", "C/kg", {"mAh/g": 3600.0, "Ah/kg": 3600.0}),
        _dim("capacity", "C", {"Ah": 3600.0, "mAh": 3.6}),
        _dim("specific_current", "A/kg", {"mA/g": 1.0}),
        _dim("current", "A", {"mA": 1e-3, "uA": 1e-6}),
        _dim("current_density", "A/m2", {"mA/cm2": 10.0, "A/cm2": 1e4}),
        _dim("temperature", "K", {"degC": 1.0, "°C": 1.0},
             {"degC": CELSIUS_OFFSET_K, "°C": CELSIUS_OFFSET_K}),
        _dim("voltage", "V", {"mV": 1e-3}),
        _dim("voltage_per_temperature", "V/K", {"mV/K": 1e-3}),
        _dim("conductivity", "S/m", {"mS/cm": 0.1, "S/cm": 100.0}),
        _dim("diffusivity", "m2/s", {"cm2/s": 1e-4}),
        _dim("rate_constant", "m/s", {"cm/s": 1e-2}),
        _dim("molar_energy", "J/mol", {"kJ/mol": 1e3, "eV": 96485.33212}),
        _dim("resistance", "Ohm", {"ohm": 1.0, "mOhm": 1e-3}),
        _dim("areal_resistance", "Ohm.m2", {"Ohm.cm2": 1e-4, "ohm.cm2": 1e-4}),
        _dim("time", "s", {"min": 60.0, "h": 3600.0}),
        _dim("voltage_rate", "V/s", {"mV/s": 1e-3}),
        _dim("pressure", "Pa", {"kPa": 1e3, "MPa": 1e6, "GPa": 1e9}),
        _dim("inverse_time", "1/s", {"1/min": 1.0 / 60.0, "1/h": 1.0 / 3600.0}),
        _dim("resistivity", "Ohm.m", {"Ohm.cm": 1e-2, "ohm.m": 1.0}),
        _dim("specific_heat_capacity", "J/kg/K", {"J/(kg K)": 1.0, "J/g/K": 1e3,
                                                  "J/(g K)": 1e3}),
        _dim("heat_transfer_coefficient", "W/m2/K", {"W/(m2 K)": 1.0}),
    ]
}


class UnitError(ValueError):
    """A unit that is unknown or belongs to another dimension."""


def dimension(name: str) -> Dimension:
    return DIMENSIONS[name]


def to_si(value: float, unit: str, dimension_name: str) -> float:
    """Convert ``value`` given in ``unit`` to the SI unit of ``dimension_name``.

    Raises :class:`UnitError` naming the accepted spellings when the unit is not one of them.
    """
    dim = DIMENSIONS[dimension_name]
    if not dim.accepts(unit):
        accepted = ", ".join(repr(u) for u in dim.factors)
        raise UnitError(
            f"unknown unit {unit!r} for a {dimension_name} (SI {dim.si_unit}); accepted: {accepted}"
        )
    return dim.to_si(float(value), unit)
