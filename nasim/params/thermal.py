"""The lumped thermal description of a cell: its heat capacity budget and the checks a lumped
run needs (a ``thermal`` section in the cell file, a specific heat capacity for each active
material).

A coin cell's thermal mass is almost all its stainless-steel hardware (can, cap, spacer,
spring), not its electrodes: a few mg of cathode against ~3 g of steel. nasim therefore gives
PyBaMM one effective heat capacity for the whole cell (PyBaMM's "use lumped thermal capacity"
option) instead of PyBaMM's default, which builds the heat capacity from the electrode stack
layers alone and would miss the hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasim.params.loading import LoadedCell, ParameterFileError
from nasim.params.schema import CellThermal

THERMAL_SECTION_HELP = (
    "a lumped thermal run needs a 'thermal' section in the cell file with cell_volume, "
    "cooling_surface_area, heat_transfer_coefficient, parts (name, mass, "
    "specific_heat_capacity of each part of the cell's thermal mass), "
    "positive_current_collector and negative_current_collector (name, thickness, "
    "electronic_conductivity); see parameter_sets/cells/heo_half.yaml"
)


@dataclass(frozen=True)
class HeatCapacityBudget:
    """Heat capacity of a cell, part by part: (name, J/K, where it comes from)."""

    rows: tuple[tuple[str, float, str], ...]
    cell_volume_m3: float

    @property
    def total_J_per_K(self) -> float:
        return float(sum(c for _, c, _ in self.rows))

    @property
    def volumetric_J_per_m3_K(self) -> float:
        """Total heat capacity over the cell volume (PyBaMM's "Cell heat capacity")."""
        return self.total_J_per_K / self.cell_volume_m3


def cell_thermal(loaded: LoadedCell) -> CellThermal:
    """The cell's ``thermal`` section; a clear :class:`ParameterFileError` when it is missing."""
    thermal = loaded.cell.thermal
    if thermal is None:
        raise ParameterFileError(loaded.path, [f"field 'thermal': missing; {THERMAL_SECTION_HELP}"])
    return thermal


def heat_capacity(loaded: LoadedCell) -> HeatCapacityBudget:
    """Heat capacity of the cell: the file's ``thermal.parts`` plus each active material's mass
    times its ``specific_heat_capacity`` (required for a lumped run)."""
    thermal = cell_thermal(loaded)
    rows = [(p.name, p.heat_capacity_J_per_K(),
             f"{p.mass.value:g} {p.mass.unit} x {p.specific_heat_capacity.value:g} "
             f"{p.specific_heat_capacity.unit}") for p in thermal.parts]
    files = loaded.files()
    design = loaded.design
    for role, material, mass_kg in (("cathode", loaded.cathode, design.cathode_active_mass_kg),
                                    ("anode", loaded.anode, design.anode_active_mass_kg)):
        if material is None:
            continue
        cp = material.specific_heat_capacity
        if cp is None:
            raise ParameterFileError(files[role], [
                "field 'specific_heat_capacity': missing; a lumped thermal run of "
                f"{loaded.path.name} needs the {role} material's specific heat capacity "
                "(e.g. {value: 900, unit: J/kg/K, source: {...}})"])
        rows.append((f"{role} active material ({material.name})", mass_kg * cp.si,
                     f"active mass {mass_kg * 1e6:.3g} mg x {cp.si:g} J/kg/K"))
    return HeatCapacityBudget(tuple(rows), thermal.cell_volume.si)


__all__ = ["HeatCapacityBudget", "THERMAL_SECTION_HELP", "cell_thermal", "heat_capacity"]
