"""The ``nasim`` verbs that only read data (no PyBaMM, about a second to start): ``params
validate``, ``params show``, ``material`` and ``list``."""

from __future__ import annotations

import json

from nasim.cli_support import EXIT_OK


def cmd_params_validate(args) -> int:
    from nasim.params.provenance import parameter_rows

    rows = parameter_rows(args.file)
    print(f"OK: {args.file} is valid ({len(rows)} values, every one with a unit and a source)")
    return EXIT_OK


def cmd_params_show(args) -> int:
    import pandas as pd

    from nasim.params import parameter_table
    from nasim.params.provenance import sources_used

    table = parameter_table(args.file)
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    shown = table.drop(columns=["si_value", "si_unit"]).astype(str)
    shown["source"] = [s if len(s) <= args.width else s[: args.width - 3] + "..."
                       for s in shown.source]
    with pd.option_context("display.max_rows", None, "display.width", 400,
                           "display.colheader_justify", "left"):
        print(shown.to_string(index=False, justify="left",
                              formatters={c: f"{{:<{shown[c].str.len().max()}}}".format
                                          for c in shown.columns}))
    print("\nSources:")
    for s in sources_used(table):
        print(f"  - {s}")
    return EXIT_OK


def cmd_material(args) -> int:
    from nasim.params.formula import parse_formula, parse_redox

    comp = parse_formula(args.formula)
    out = {
        "formula": args.formula,
        "molar_mass_g_per_mol": round(comp.molar_mass_g_per_mol, 3),
        "capacity_per_na_mAh_per_g": round(comp.capacity_per_na_mAh_per_g(), 2),
        "configurational_entropy_R": round(comp.configurational_entropy_R(), 3),
        "sites": comp.sites(),
    }
    if args.redox:
        electrons, capacity = comp.redox_capacity(parse_redox(args.redox))
        out["redox"] = args.redox
        out["redox_electrons_per_formula_unit"] = round(electrons, 4)
        out["redox_limited_capacity_mAh_per_g"] = round(capacity, 2)
    if args.json:
        print(json.dumps(out, indent=2))
        return EXIT_OK
    print(f"formula                       {args.formula}")
    print(f"molar mass                    {out['molar_mass_g_per_mol']:.3f} g/mol")
    print(f"capacity per Na (1 e-/f.u.)   {out['capacity_per_na_mAh_per_g']:.2f} mAh/g")
    if args.redox:
        print(f"redox-limited capacity        {out['redox_limited_capacity_mAh_per_g']:.2f} mAh/g "
              f"({out['redox_electrons_per_formula_unit']:.3f} e-/f.u. from {args.redox})")
    else:
        print("redox-limited capacity        (give --redox, e.g. Ni:2-4,Fe:3-4)")
    print(f"configurational entropy       {out['configurational_entropy_R']:.3f} R "
          "(TM, polyanion-centre and anion sites)")
    for site, occ in filter(lambda item: item[1], out["sites"].items()):
        print(f"  {site:9s} site: " + ", ".join(f"{e} {n:g}" for e, n in occ.items()))
    return EXIT_OK


def cmd_list(args) -> int:
    from nasim.params.bundle import bundled_root, listing

    print(f"bundled files in {bundled_root()} (load a cell, protocol or study by its name, "
          "e.g. `nasim simulate heo_half --c-rate 1 --out D`)")
    for folder, files in listing().items():
        print(f"{folder}/")
        for name in files:
            print(f"  {name}")
    return EXIT_OK
