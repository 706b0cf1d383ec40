"""The cyclable sodium inventory of a full cell after its first (formation) cycle.

Convention (all amounts in mol of Na in the active particles; C_e = c_max,e eps_a,e L_e A is the
Na an electrode holds per unit of stoichiometry):

- At assembly the cathode holds Na at the discharged end of its window, x_d (the end its first
  discharge returns to: for HEO the pristine x = 1 less the cathode's own first-cycle loss, which
  the window already contains, see ``materials/heo.yaml``) and the anode sits at the discharged
  end of its window, y_d (about empty hard carbon):  N_0 = x_d C_c + y_d C_a.
- The first charge moves Q_1 to the anode, Q_1 = the capacity of the limiting electrode's
  window (``CellDesign.window_capacity_Ah``: the charge that takes the cathode from x_d to its
  charged end when N/P > 1). The anode keeps (1 - ICE) Q_1 in its SEI and irreversible sites,
  ICE being its first-cycle coulombic efficiency in a half cell (``first_cycle_coulombic_
  efficiency`` in the anode file).
- The cyclable inventory is N = N_0 - (1 - ICE) Q_1 / F. nasim takes the loss out of the cathode
  (the Na that never comes back): the post-formation discharged state is x_0 = x_d - (1 - ICE)
  Q_1 / (F C_c), y_0 = y_d. PyBaMM's electrode-SOH solver (``set_initial_state``) keeps this
  inventory when it places the cell at a cut-off.

A cell whose ``electrode_preparation`` says ``precycled: true`` was assembled from electrodes
cycled in half cells first: the anode's first-cycle loss was paid from the half cell's Na metal,
so no loss is applied (ICE counts as 1) and the anode starts at y_d.

A cell file that gives ``initial_stoichiometry`` (a published charged state) fixes the inventory
itself; no loss is applied then. Half cells have an unlimited Na reservoir (the metal foil).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from nasim.params.loading import LoadedCell
from nasim.params.quantities import FARADAY


@dataclass(frozen=True)
class SodiumInventory:
    """Na inventory of a full cell [mol] and the stoichiometries that carry it."""

    first_cycle_coulombic_efficiency: float
    first_charge_capacity_mAh: float
    first_cycle_loss_mAh: float
    assembly_mol: float
    first_cycle_loss_mol: float
    cyclable_mol: float
    cathode_stoichiometry: float
    anode_stoichiometry: float
    fixed_by_initial_stoichiometry: bool

    def to_dict(self) -> dict:
        return asdict(self)


def sodium_inventory(loaded: LoadedCell) -> SodiumInventory | None:
    """The post-formation Na inventory of a full cell (None for a half cell)."""
    if loaded.anode is None:
        return None
    design = loaded.design
    cat, an = design.cathode, design.anode
    c_c = cat.sites_mol_per_m2 * design.area_m2
    c_a = an.sites_mol_per_m2 * design.area_m2
    init = loaded.cell.initial_stoichiometry
    if init is not None:
        x0, y0 = init.cathode.si, init.anode.si
        n = x0 * c_c + y0 * c_a
        return SodiumInventory(1.0, 0.0, 0.0, n, 0.0, n, x0, y0, True)
    x_d = loaded.cathode.stoichiometry_window.discharged.si
    y_d = loaded.anode.stoichiometry_window.discharged.si
    ice_q = loaded.anode.first_cycle_coulombic_efficiency
    prep = loaded.cell.electrode_preparation
    precycled = prep is not None and prep.precycled
    ice = 1.0 if ice_q is None or precycled else ice_q.si
    q1_C = design.window_capacity_Ah * 3600.0
    loss_mol = (1.0 - ice) * q1_C / FARADAY
    n0 = x_d * c_c + y_d * c_a
    x0 = x_d - loss_mol / c_c
    if x0 <= 0.0:
        raise ValueError(f"{loaded.path.name}: a first-cycle efficiency of {ice:g} removes more "
                         "sodium than the cathode holds")
    return SodiumInventory(
        first_cycle_coulombic_efficiency=ice,
        first_charge_capacity_mAh=q1_C / 3.6,
        first_cycle_loss_mAh=(1.0 - ice) * q1_C / 3.6,
        assembly_mol=n0,
        first_cycle_loss_mol=loss_mol,
        cyclable_mol=n0 - loss_mol,
        cathode_stoichiometry=x0,
        anode_stoichiometry=y_d,
        fixed_by_initial_stoichiometry=False,
    )


__all__ = ["SodiumInventory", "sodium_inventory"]
