"""The ``nasim mesh-check`` verb: a discharge on the mesh in use against the same discharge on
a 2x mesh (:func:`nasim.simulate.mesh.mesh_check`); :mod:`nasim.cli` registers it."""

from __future__ import annotations

from nasim.cli_support import EXIT_OK


def cmd_mesh_check(args) -> int:
    from nasim.simulate.mesh import mesh_check

    frame = mesh_check(args.cell, args.model, c_rate=args.c_rate,
                       temperature_C=args.temperature_C, mesh=args.mesh_points)
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
        frame.to_csv(args.out, index=False)
    return EXIT_OK


def add_parser(sub) -> None:
    mc = sub.add_parser("mesh-check", help="compare a discharge on the mesh in use with the "
                        "same discharge on a 2x mesh (capacity and voltage differences)")
    mc.add_argument("cell")
    mc.add_argument("--model", choices=["SPM", "SPMe", "DFN"], default="DFN")
    mc.add_argument("--c-rate", type=float, default=1.0, help="C-rate of the discharge")
    mc.add_argument("--temperature-C", type=float, help="ambient temperature")
    mc.add_argument("--mesh-points", type=int, help="uniform points instead of the cell's mesh")
    mc.add_argument("--out", help="CSV file for the two rows")
    mc.set_defaults(func=cmd_mesh_check)
