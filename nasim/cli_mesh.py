"""The ``nasim mesh-check`` verb: a discharge on the mesh in use against the same discharge on
a 2x mesh (:func:`nasim.simulate.mesh.mesh_check`); :mod:`nasim.cli` registers it."""

from __future__ import annotations

from nasim.cli_support import EXIT_OK, TEMPERATURE_C, add_current_options, bounded, current_A
from nasim.console import terminal_options
from nasim.params.names import MODEL_NAMES


def cmd_mesh_check(args) -> int:
    from nasim.params.loading import load_cell

    cell = load_cell(args.cell)
    c_rate = current_A(args, cell) / cell.one_c_current_A  # every current form, as a C-rate
    if args.out:
        from nasim.cli_support import run_folder

        out = run_folder(args)  # a used --out is refused before PyBaMM is imported
    from nasim.simulate.mesh import mesh_check

    frame = mesh_check(cell, args.model, c_rate=c_rate, temperature_C=args.temperature_C,
                       mesh=args.mesh_points)
    row = frame.iloc[0]
    mesh = {k: (str(row[k]) if k == "particle_mesh" else int(row[k]))
            for k in ("x_n", "x_s", "x_p", "r_n", "r_p", "particle_mesh") if k in frame}
    print(f"mesh in use            {mesh}")
    print(f"states                 {frame.states.iloc[0]} (2x mesh: {frame.states.iloc[1]})")
    print(f"solve time             {frame.solve_time_s.iloc[0]:.3f} s "
          f"(2x mesh: {frame.solve_time_s.iloc[1]:.3f} s)")
    print(f"capacity               {row.capacity_mAh_per_g:.3f} mAh/g "
          f"(2x mesh: {frame.capacity_mAh_per_g.iloc[1]:.3f})")
    print(f"capacity_rel_diff      {row.capacity_rel_diff:.5f}")
    print(f"voltage_rms_diff_mV    {row.voltage_rms_diff_mV:.3f}")
    if args.out:
        from nasim.rundir import save

        print(f"wrote {save(out / 'mesh_check.csv', lambda p: frame.to_csv(p, index=False))}")
    return EXIT_OK


def add_parser(sub) -> None:
    mc = sub.add_parser("mesh-check", help="compare a discharge on the mesh in use with the "
                        "same discharge on a 2x mesh (capacity and voltage differences)")
    mc.add_argument("cell", help="cell file, or the name of a bundled cell (nasim list)")
    mc.add_argument("--model", choices=MODEL_NAMES, default="DFN", help="PyBaMM model")
    add_current_options(mc)
    mc.add_argument("--temperature-C", type=TEMPERATURE_C,
                    help="ambient temperature, -273 to 1700 (default: the cell file's)")
    mc.add_argument("--mesh-points", type=bounded("--mesh-points", 3, 500, kind=int),
                    help="uniform points instead of the cell file's mesh")
    mc.add_argument("--out", metavar="DIR", help="folder for this run: mesh_check.csv (the two "
                    "rows), run.json and solver.log; a folder holding another run is refused "
                    "unless --overwrite")
    mc.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    terminal_options(mc)
    mc.set_defaults(func=cmd_mesh_check)
