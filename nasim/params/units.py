"""Units: the one place where lab units are converted to SI.

Every quantity in a parameter file carries a unit string. Each field of the schema declares a
*dimension* (``"length"``, ``"areal_mass"`` ...); the unit is parsed by `pint`, so every
spelling of a unit is accepted (``mg/cm2``, ``mg/cm^2``, ``mg/cm**2``, ``mg cm-2``,
``milligram/centimeter^2``), and its dimension must be the field's. :func:`to_si` converts
``value`` to the SI unit of the dimension.

Spellings pint does not read are rewritten first: a trailing exponent (``cm2`` → ``cm**2``,
``cm-2`` → ``cm**-2``, ``Å3`` → ``Å**3``), ``Ohm`` → ``ohm``, ``-`` → dimensionless. A molar
energy also accepts a per-particle energy (``eV`` means eV × N_A = 96485.33 J/mol).
Temperatures are affine (°C → K adds 273.15); every other conversion is a factor. Factors are
computed once per (unit, dimension), with pint's float noise rounded off: they equal those of
the former spelling table (1 mg/cm2 = 0.01 kg/m2 exactly), except that ``eV`` is now e·N_A
(96485.33212331 J/mol, was 96485.33212).

pint is imported at the first conversion, not with :mod:`nasim.params`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property

CELSIUS_OFFSET_K = 273.15


class UnitError(ValueError):
    """A unit that is unknown or belongs to another dimension."""


@dataclass(frozen=True)
class Dimension:
    """A physical dimension: its SI unit and example spellings (for messages; pint accepts any
    spelling of the same dimension)."""

    name: str
    si_unit: str
    examples: tuple[str, ...] = ()

    def accepts(self, unit: str) -> bool:
        try:
            _conversion(unit, self.name)
        except UnitError:
            return False
        return True

    def to_si(self, value: float, unit: str) -> float:
        factor, offset = _conversion(unit, self.name)
        return value * factor + offset

    @cached_property
    def factors(self) -> dict[str, float]:
        """The SI factor of the SI unit and of each example spelling."""
        return {u: _conversion(u, self.name)[0] for u in (self.si_unit, *self.examples)}


def _dim(name: str, si_unit: str, *examples: str) -> Dimension:
    return Dimension(name, si_unit, examples)


DIMENSIONS: dict[str, Dimension] = {
    d.name: d
    for d in [
        _dim("dimensionless", "1", "-", "%"),
        _dim("length", "m", "cm", "mm", "um", "µm", "nm", "angstrom", "Å"),
        _dim("area", "m2", "cm2", "mm2", "cm^2"),
        _dim("volume_per_formula_unit", "m3", "angstrom3", "Å3"),
        _dim("mass", "kg", "g", "mg"),
        _dim("volume", "m3", "cm3", "mL", "uL", "µL", "L"),
        _dim("areal_mass", "kg/m2", "mg/cm2", "mg/cm^2", "g/m2"),
        _dim("density", "kg/m3", "g/cm3", "g/mL"),
        _dim("molar_mass", "kg/mol", "g/mol"),
        _dim("molar_volume", "m3/mol", "cm3/mol"),
        _dim("concentration", "mol/m3", "mol/L", "M", "mol/dm3", "mmol/L"),
        # specific charge: SI is C/kg; 1 mAh/g = 3.6 C / 1e-3 kg = 3600 C/kg
        _dim("specific_capacity", "C/kg", "mAh/g", "Ah/kg"),
        _dim("capacity", "C", "Ah", "mAh"),
        _dim("specific_current", "A/kg", "mA/g"),
        _dim("current", "A", "mA", "uA"),
        _dim("current_density", "A/m2", "mA/cm2", "A/cm2"),
        _dim("temperature", "K", "degC", "°C"),
        _dim("voltage", "V", "mV"),
        _dim("voltage_per_temperature", "V/K", "mV/K"),
        _dim("conductivity", "S/m", "mS/cm", "S/cm"),
        _dim("diffusivity", "m2/s", "cm2/s", "m^2/s"),
        _dim("rate_constant", "m/s", "cm/s"),
        _dim("molar_energy", "J/mol", "kJ/mol", "eV"),
        _dim("resistance", "Ohm", "ohm", "mOhm"),
        _dim("areal_resistance", "Ohm.m2", "Ohm.cm2"),
        _dim("time", "s", "min", "h"),
        _dim("voltage_rate", "V/s", "mV/s"),
        _dim("pressure", "Pa", "kPa", "MPa", "GPa"),
        _dim("inverse_time", "1/s", "1/min", "1/h"),
        _dim("resistivity", "Ohm.m", "Ohm.cm"),
        _dim("specific_heat_capacity", "J/kg/K", "J/(kg K)", "J/g/K"),
        _dim("heat_transfer_coefficient", "W/m2/K", "W/(m2 K)"),
    ]
}

# a symbol followed by digits is a power (cm2, Å3, dm3); pint reads 'cm2' as one unknown name
_TRAILING_POWER = re.compile(r"(?<=[A-Za-zµμÅ])(-?\d+)")
_DIMENSIONLESS = ("", "1", "-")


@cache
def _registry():
    import pint

    return pint.UnitRegistry()


def _pint_text(unit: str) -> str:
    text = unit.strip()
    if text in _DIMENSIONLESS:
        return "dimensionless"
    text = re.sub(r"Ohm", "ohm", text)
    return _TRAILING_POWER.sub(r"**\1", text)


def _expected(name: str, reason: str) -> str:
    dim = DIMENSIONS[name]
    examples = ", ".join(repr(u) for u in (dim.si_unit, *dim.examples) if u)
    return f"{reason} for a {name} (SI {dim.si_unit}); e.g. {examples}"


@cache
def _conversion(unit: str, name: str) -> tuple[float, float]:
    """(factor, offset) with SI = value * factor + offset; raises UnitError. The spellings in
    :data:`DIMENSIONS` come from :mod:`nasim.params.unit_factors` (pint's own numbers, written
    out so that reading the bundled files needs no pint: ~0.5 s of import and registry set-up;
    tests/test_units_table.py holds them equal to pint's); any other spelling asks pint."""
    if not isinstance(unit, str):
        raise UnitError(_expected(name, f"unit {unit!r} is not text"))
    from nasim.params.unit_factors import KNOWN

    known = KNOWN.get((name, unit))
    return known if known is not None else pint_conversion(unit, name)


def pint_conversion(unit: str, name: str) -> tuple[float, float]:
    """(factor, offset) of ``unit`` for the dimension ``name``, parsed by pint."""
    import pint

    ureg = _registry()
    si = ureg.Unit(_pint_text(DIMENSIONS[name].si_unit))
    try:
        given = ureg.Quantity(1.0, _pint_text(unit)).units
        scale = 1.0
        if name == "molar_energy" and given.dimensionality == ureg.Unit("J").dimensionality:
            scale = ureg.Quantity(1.0, "avogadro_constant").to("1/mol").magnitude
            given = given / ureg.Unit("mol")  # a per-particle energy, times N_A
        if given.dimensionality != si.dimensionality:
            raise UnitError(_expected(
                name, f"unit {unit!r} is a {given.dimensionality}, not the expected "
                      f"{si.dimensionality},"))
        zero = ureg.Quantity(0.0, given).to(si).magnitude
        one = ureg.Quantity(1.0, given).to(si).magnitude
    except UnitError:
        raise
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, SyntaxError) as exc:
        raise UnitError(_expected(name, f"unknown unit {unit!r} ({type(exc).__name__})")) \
            from None
    return _decimal(scale * (one - zero)), _decimal(zero)


def known_spellings() -> list[tuple[str, str]]:
    """(dimension, unit) of every SI unit and example spelling in :data:`DIMENSIONS`."""
    return [(d.name, u) for d in DIMENSIONS.values() for u in (d.si_unit, *d.examples)]


def _decimal(x: float) -> float:
    """The shortest decimal within 4e-16 relative (2 ulp) of ``x``: pint's float noise goes (1 L is
    1.0000000000000002e-3 m3 in pint, 1e-3 here), true values stay (1/60 is not rounded)."""
    for digits in range(1, 16):
        short = float(f"{x:.{digits}g}")
        if abs(short - x) <= 4e-16 * abs(x):
            return short
    return x


def dimension(name: str) -> Dimension:
    return DIMENSIONS[name]


def to_si(value: float, unit: str, dimension_name: str) -> float:
    """Convert ``value`` given in ``unit`` to the SI unit of ``dimension_name``.

    Raises :class:`UnitError` naming the unit, the dimension, its SI unit and example
    spellings when the unit is unknown or of another dimension.
    """
    return DIMENSIONS[dimension_name].to_si(float(value), unit)


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
