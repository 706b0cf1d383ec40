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


# --------------------------------------------------------------------------- lab currents

#: the units of a lab current: unit -> (basis, factor to the basis's SI unit). The bases are
#: ``c_rate`` (multiples of the cell file's 1C), ``specific`` (A per kg of cathode active
#: mass), ``areal`` (A per m2 of electrode area) and ``absolute`` (A);
#: :meth:`nasim.params.loading.LoadedCell.current_A` turns each into amperes on a cell.
CURRENT_UNITS: dict[str, tuple[str, float]] = {
    "C": ("c_rate", 1.0),
    "mA/g": ("specific", 1.0),  # mA/g = A/kg
    "A/g": ("specific", 1e3),
    "mA/cm2": ("areal", 10.0),  # A/m2
    "A": ("absolute", 1.0),
    "mA": ("absolute", 1e-3),
}


def current_basis(unit: str) -> tuple[str, float]:
    """(basis, factor) of a lab current unit; a UnitError names the accepted ones."""
    try:
        return CURRENT_UNITS[unit]
    except KeyError:
        raise UnitError(f"unit {unit!r} is not a current unit (expected one of "
                        f"{', '.join(CURRENT_UNITS)})") from None


# --------------------------------------------------------------------------- curve x-units

#: x-axis units of a measured or simulated curve of one constant-current step:
#: unit -> (kind, factor to C, C/g or s). Capacities per gram are per gram of cathode active
#: mass.
CURVE_X_UNITS: dict[str, tuple[str, float]] = {
    "mAh": ("capacity", 3.6),
    "Ah": ("capacity", 3600.0),
    "mAh/g": ("specific_capacity", 3.6),
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
}
_MAH_C = 3.6  # C per mAh


def curve_x_to_time_s(x, unit: str, current_A: float, cathode_mass_kg: float):
    """Time from the step start [s] of curve x-values in ``unit`` at a constant
    ``current_A`` (its magnitude)."""
    kind, to_base = CURVE_X_UNITS[unit]
    if kind == "time":
        return x * to_base
    if kind == "capacity":
        return x * to_base / current_A
    return x * to_base * cathode_mass_kg * 1e3 / current_A


def time_to_curve_x(t_s, unit: str, current_A: float, cathode_mass_kg: float):
    """The inverse of :func:`curve_x_to_time_s`: curve x-values in ``unit`` at times ``t_s``."""
    kind, factor = CURVE_X_UNITS[unit]
    if kind == "time":
        return t_s / factor
    if kind == "capacity":
        return t_s * current_A / factor
    return t_s * current_A / factor / (cathode_mass_kg * 1e3)


def capacity_to_mAh_per_g(q, unit: str, cathode_mass_kg: float):
    """Capacities in ``unit`` (``mAh/g``, ``mAh`` or ``Ah``) as mAh per g of cathode active
    mass."""
    kind, factor = CURVE_X_UNITS[unit]
    if kind == "specific_capacity":
        return q
    if kind != "capacity":
        raise UnitError(f"unit {unit!r} is not a capacity (expected mAh/g, mAh or Ah)")
    return q * (factor / _MAH_C) / (cathode_mass_kg * 1e3)
