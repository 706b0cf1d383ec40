"""Electrode and cell design: the values nasim derives from a cell file (SI units).

Composite electrode (per unit area): active loading m_a [kg/m2], mass fractions w_a, w_b, w_c,
densities rho_a, rho_b, rho_c and porosity eps give the thickness
    L = m_a / w_a * (w_a/rho_a + w_b/rho_b + w_c/rho_c) / (1 - eps)
and the active volume fraction eps_a = m_a / (rho_a L). When the file gives L, eps_a follows
from it and the remaining solid volume 1 - eps - eps_a is the inactive (binder + carbon) part.
"""

from __future__ import annotations

from dataclasses import dataclass

from nasim.params.schema import ActiveMaterial, Cell, ElectrodeDesign


class DesignError(ValueError):
    """An electrode design that is physically impossible; ``field`` names the offending field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"field '{field}': {message}")


@dataclass(frozen=True)
class ElectrodeGeometry:
    loading_kg_per_m2: float
    thickness_m: float
    porosity: float
    active_volume_fraction: float
    particle_radius_m: float
    maximum_concentration_mol_per_m3: float
    window_capacity_C_per_m2: float
    thickness_derived: bool

    @property
    def sites_mol_per_m2(self) -> float:
        """Na sites of the active material per electrode area (stoichiometry 0 to 1) [mol/m2]:
        c_max eps_a L."""
        return self.maximum_concentration_mol_per_m3 * self.active_volume_fraction \
            * self.thickness_m

    @property
    def max_loading_kg_per_m2(self) -> float:
        """The most active mass that fits in this thickness at this porosity (no room left for
        binder and carbon): eps_a = 1 - eps [kg/m2]."""
        return self.loading_kg_per_m2 * (1.0 - self.porosity) / self.active_volume_fraction


def electrode_geometry(
    name: str, design: ElectrodeDesign, material: ActiveMaterial, loading_kg_per_m2: float
) -> ElectrodeGeometry:
    rho_a = material.density_kg_per_m3()
    eps = design.porosity.si
    if design.thickness is None:
        solid_volume_per_active_mass = (
            design.active_mass_fraction.si / rho_a
            + design.binder_mass_fraction.si / design.binder_density.si
            + design.carbon_mass_fraction.si / design.carbon_density.si
        ) / design.active_mass_fraction.si
        thickness = loading_kg_per_m2 * solid_volume_per_active_mass / (1.0 - eps)
        derived = True
    else:
        thickness = design.thickness.si
        derived = False
    eps_a = loading_kg_per_m2 / (rho_a * thickness)
    if eps_a + eps > 1.0 + 1e-9:
        raise DesignError(
            f"{name}.thickness",
            f"{thickness * 1e6:.4g} um is too thin for a loading of "
            f"{loading_kg_per_m2 * 100:.4g} mg/cm2 at porosity {eps:g}: active volume fraction "
            f"{eps_a:.3f} + porosity exceeds 1",
        )
    radius = (design.particle_radius or material.particle_radius).si
    c_max = material.maximum_concentration_mol_per_m3()
    return ElectrodeGeometry(
        loading_kg_per_m2=loading_kg_per_m2,
        thickness_m=thickness,
        porosity=eps,
        active_volume_fraction=eps_a,
        particle_radius_m=radius,
        maximum_concentration_mol_per_m3=c_max,
        window_capacity_C_per_m2=loading_kg_per_m2 * material.window_specific_capacity_C_per_kg(),
        thickness_derived=derived,
    )


@dataclass(frozen=True)
class CellDesign:
    area_m2: float
    cathode: ElectrodeGeometry
    anode: ElectrodeGeometry | None
    anode_loading_derived: bool

    @property
    def cathode_active_mass_kg(self) -> float:
        return self.cathode.loading_kg_per_m2 * self.area_m2

    @property
    def anode_active_mass_kg(self) -> float:
        return 0.0 if self.anode is None else self.anode.loading_kg_per_m2 * self.area_m2

    @property
    def window_capacity_Ah(self) -> float:
        """Capacity of the limiting electrode's stoichiometry window."""
        areal = self.cathode.window_capacity_C_per_m2
        if self.anode is not None:
            areal = min(areal, self.anode.window_capacity_C_per_m2)
        return areal * self.area_m2 / 3600.0

    @property
    def np_ratio(self) -> float | None:
        if self.anode is None:
            return None
        return self.anode.window_capacity_C_per_m2 / self.cathode.window_capacity_C_per_m2


def cell_design(cell: Cell, cathode: ActiveMaterial, anode: ActiveMaterial | None) -> CellDesign:
    area = cell.electrode_area.si
    cat = electrode_geometry("cathode", cell.cathode, cathode, cell.cathode.loading.si)
    an = None
    derived = False
    if anode is not None:
        if cell.anode.loading is not None:
            loading = cell.anode.loading.si
        else:
            # N/P = anode window capacity / cathode window capacity (per area)
            loading = (cell.np_ratio.si * cat.window_capacity_C_per_m2
                       / anode.window_specific_capacity_C_per_kg())
            derived = True
        an = electrode_geometry("anode", cell.anode, anode, loading)
    return CellDesign(area, cat, an, derived)


def one_c_current_A(cell: Cell, design: CellDesign) -> float:
    """1C: the file's specific current (e.g. the paper's 150 mA/g) times the cathode active
    mass; else the nominal capacity over one hour; else the window capacity over one hour."""
    if cell.one_c_specific_current is not None:
        return cell.one_c_specific_current.si * design.cathode_active_mass_kg
    if cell.nominal_capacity is not None:
        return cell.nominal_capacity.si / 3600.0
    return design.window_capacity_Ah


__all__ = ["CellDesign", "DesignError", "ElectrodeGeometry", "cell_design", "one_c_current_A"]
