"""Physical limits: the largest magnitude, in SI, a value of each dimension may have.

A field's own range (``Q(..., gt=0)``) says what the model needs; these limits catch what no
cell has (1e308 mol/L, a million volts) before a solver sees it, and values whose SI conversion
overflows. They are generous: an order of magnitude or more beyond any cell, material or test.
"""

from __future__ import annotations

import math

#: dimension -> largest |SI value| (see nasim.params.units.DIMENSIONS for the SI units)
PHYSICAL_MAX: dict[str, float] = {
    "dimensionless": 1e6,
    "length": 1.0,  # m
    "area": 10.0,  # m2
    "volume_per_formula_unit": 1e-26,  # m3 (10^4 cubic angstrom)
    "mass": 1e3,  # kg
    "volume": 1.0,  # m3
    "areal_mass": 10.0,  # kg/m2 (1000 mg/cm2)
    "density": 3e4,  # kg/m3
    "molar_mass": 10.0,  # kg/mol
    "molar_volume": 1.0,  # m3/mol
    "concentration": 1e5,  # mol/m3 (100 mol/L)
    "specific_capacity": 3.6e7,  # C/kg (10 000 mAh/g)
    "capacity": 3.6e9,  # C (1 MAh)
    "specific_current": 1e6,  # A/kg (10^6 mA/g)
    "current": 1e5,  # A
    "current_density": 1e6,  # A/m2 (100 A/cm2)
    "temperature": 2000.0,  # K
    "voltage": 100.0,  # V
    "voltage_per_temperature": 1.0,  # V/K
    "conductivity": 1e8,  # S/m (copper: 6e7)
    "diffusivity": 1.0,  # m2/s
    "rate_constant": 1e3,  # m/s
    "molar_energy": 1e7,  # J/mol (10 000 kJ/mol)
    "resistance": 1e9,  # Ohm
    "areal_resistance": 1e6,  # Ohm.m2
    "time": 1e10,  # s (three centuries)
    "voltage_rate": 1e3,  # V/s
    "pressure": 1e12,  # Pa
    "inverse_time": 1e9,  # 1/s
    "resistivity": 1e12,  # Ohm.m
    "specific_heat_capacity": 1e6,  # J/kg/K
    "heat_transfer_coefficient": 1e7,  # W/m2/K
}
_UNLISTED_MAX = 1e30


def physical_problem(si: float, dimension: str, si_unit: str) -> str | None:
    """Why an SI value of ``dimension`` is not physical (not finite, or beyond
    :data:`PHYSICAL_MAX`), or None when it is."""
    if not math.isfinite(si):
        return f"is {si} in SI ({si_unit}): too large to be a number"
    limit = PHYSICAL_MAX.get(dimension, _UNLISTED_MAX)
    if abs(si) > limit:
        return (f"is {si:g} {si_unit} in SI, beyond the physical limit |value| <= {limit:g} "
                f"{si_unit} for a {dimension.replace('_', ' ')}")
    return None


__all__ = ["PHYSICAL_MAX", "physical_problem"]
