"""The lumped thermal description of a cell: its heat capacity budget, its current collectors and
the checks a lumped run needs.

A coin cell's thermal mass is almost all its stainless-steel hardware (can, cap, spacer,
spring), not its electrodes: a few mg of cathode against ~3 g of steel. nasim therefore gives
PyBaMM one effective heat capacity for the whole cell (PyBaMM's "use lumped thermal capacity"
option) instead of PyBaMM's default, which builds the heat capacity from the electrode stack
layers alone and would miss the hardware.

The hardware is described once, in the cell file's budget sections (see
:mod:`nasim.params.budget`): the heat capacity is the sum of mass x specific heat over the
housing parts (``format.housing_parts``) and the budget components whose file gives a specific
heat (cathode and anode active mass, a half cell's Na foil, the electrolyte); binder, carbon,
separator and Al foils (< 1 % each of a coin cell's heat capacity) have none and are left out.
The cell volume is the budget's cell volume; the collectors are ``current_collectors``. The
``thermal`` section holds only what the heat balance alone needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasim.params.budget import mass_budget
from nasim.params.loading import LoadedCell, ParameterFileError
from nasim.params.schema import CellThermal

THERMAL_SECTION_HELP = (
    "a lumped thermal run needs a 'thermal' section in the cell file with cooling_surface_area "
    "and heat_transfer_coefficient (and, for a half cell, negative_current_collector: the "
    "spacer under the Na foil), besides the budget sections format (housing_parts with "
    "specific_heat_capacity), current_collectors (with electronic_conductivity) and "
    "electrolyte_fill; see parameter_sets/cells/heo_half.yaml"
)

#: budget components with a heat capacity: component -> the LoadedCell field of its file
_COMPONENT_FILES = {"cathode_active": "cathode", "anode_active": "anode",
                    "anode_na_metal": "counter_electrode", "electrolyte": "electrolyte"}


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


@dataclass(frozen=True)
class ThermalCollector:
    """A current collector's through-plane Ohmic heat i^2 L / sigma."""

    name: str
    thickness_m: float
    conductivity_S_per_m: float


def _missing(loaded: LoadedCell, field: str, path=None) -> ParameterFileError:
    return ParameterFileError(path or loaded.path, [f"field {field!r}: missing; "
                                                    f"{THERMAL_SECTION_HELP}"])


def cell_thermal(loaded: LoadedCell) -> CellThermal:
    """The cell's ``thermal`` section; a clear :class:`ParameterFileError` when it is missing."""
    thermal = loaded.cell.thermal
    if thermal is None:
        raise _missing(loaded, "thermal")
    return thermal


def heat_capacity(loaded: LoadedCell) -> HeatCapacityBudget:
    """Heat capacity of the cell (see module doc): the housing parts plus the budget's active
    masses, Na foil and electrolyte, each times its file's ``specific_heat_capacity``."""
    cell_thermal(loaded)
    budget = mass_budget(loaded)
    if budget.missing:
        raise _missing(loaded, budget.missing[0])
    parts = loaded.cell.format.housing_parts
    if parts is None:
        raise _missing(loaded, "format.housing_parts")
    rows = []
    for part in parts:
        cp = part.specific_heat_capacity
        if cp is None:
            raise _missing(loaded, f"format.housing_parts[{part.name}].specific_heat_capacity")
        rows.append((part.name, part.mass.si * cp.si,
                     f"{part.mass.value:g} {part.mass.unit} x {cp.value:g} {cp.unit}"))
    files = loaded.files()
    for component in budget.components:
        role = _COMPONENT_FILES.get(component.name)
        if role is None:
            continue
        source = getattr(loaded, role)
        cp = source.specific_heat_capacity
        if cp is None:
            raise ParameterFileError(files[role], [
                "field 'specific_heat_capacity': missing; a lumped thermal run of "
                f"{loaded.path.name} needs the {role.replace('_', ' ')}'s specific heat capacity "
                "(e.g. {value: 900, unit: J/kg/K, source: {...}})"])
        rows.append((f"{component.name} ({source.name})", component.mass_kg * cp.si,
                     f"{component.mass_kg * 1e6:.4g} mg (mass budget) x {cp.si:g} J/kg/K"))
    return HeatCapacityBudget(tuple(rows), budget.level_volume_m3["cell"])


def current_collectors(loaded: LoadedCell) -> tuple[ThermalCollector, ThermalCollector]:
    """(positive, negative) collector: the foils of ``current_collectors``; a half cell's
    negative one is ``thermal.negative_current_collector``."""
    thermal = cell_thermal(loaded)
    cc = loaded.cell.current_collectors
    if cc is None:
        raise _missing(loaded, "current_collectors")
    found = []
    for role, foil in (("cathode", cc.cathode), ("anode", cc.anode)):
        if foil is None:
            spacer = thermal.negative_current_collector
            if spacer is None:
                raise _missing(loaded, "thermal.negative_current_collector")
            found.append(ThermalCollector(spacer.name, spacer.thickness.si,
                                          spacer.electronic_conductivity.si))
            continue
        if foil.electronic_conductivity is None:
            raise _missing(loaded, f"current_collectors.{role}.electronic_conductivity")
        found.append(ThermalCollector(foil.material, foil.thickness.si,
                                      foil.electronic_conductivity.si))
    return found[0], found[1]


__all__ = ["HeatCapacityBudget", "THERMAL_SECTION_HELP", "ThermalCollector", "cell_thermal",
           "current_collectors", "heat_capacity"]
