"""The ``nasim`` command line: a thin layer over the Python API.

Exit codes: 0 success, 1 a simulation failed (reason printed), 2 bad input (file, field, value
and expectation printed), 130 interrupted (Ctrl-C). Every error is one line; --debug also
prints the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from nasim import cli_interop, cli_mesh, cli_uncertainty
from nasim.cli_support import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_debug,
    error_line,
    one_line_warnings,
    options_ok,
    read_first,
    run_folder,
)
from nasim.params.names import MODEL_NAMES, THERMAL_MODES


def _cmd_params_validate(args) -> int:
    from nasim.params.provenance import parameter_rows

    rows = parameter_rows(args.file)
    print(f"OK: {args.file} is valid ({len(rows)} values, every one with a unit and a source)")
    return EXIT_OK


def _cmd_params_show(args) -> int:
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


def _cmd_material(args) -> int:
    from nasim.params.formula import parse_formula, parse_redox

    comp = parse_formula(args.formula)
    out = {"formula": args.formula, "molar_mass_g_per_mol": round(comp.molar_mass_g_per_mol, 3),
           "capacity_per_na_mAh_per_g": round(comp.capacity_per_na_mAh_per_g(), 2),
           "configurational_entropy_R": round(comp.configurational_entropy_R(), 3),
           "sites": comp.sites()}
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


def _cmd_list(args) -> int:
    from nasim.params.bundle import bundled_root, listing

    print(f"bundled files in {bundled_root()} (load a cell, protocol or study by its name, "
          "e.g. `nasim simulate heo_half --c-rate 1`)")
    for folder, files in listing().items():
        print(f"{folder}/")
        for name in files:
            print(f"  {name}")
    return EXIT_OK


def _cmd_simulate(args) -> int:
    import nasim
    from nasim.rundir import save

    out = run_folder(args) if args.out else None
    result = nasim.simulate(
        args.cell, model=args.model, c_rate=args.c_rate, current_mA_per_g=args.current_mA_per_g,
        direction="charge" if args.charge else "discharge", temperature_C=args.temperature_C,
        mesh_points=args.mesh_points, thermal=args.thermal,
    )
    summary = result.summary()
    if out is not None:
        summary["outputs"] = [str(out / n) for n in
                              ("timeseries.csv", "summary.json", "voltage_capacity.png")]
        save(out / "timeseries.csv", lambda p: result.timeseries.to_csv(p, index=False))
        save(out / "summary.json",
             lambda p: p.write_text(json.dumps(summary, indent=2, default=float)))
        save(out / "voltage_capacity.png", result.plot().savefig)
    print(json.dumps(summary, indent=2, default=float))
    return EXIT_OK


def _cmd_energy(args) -> int:
    from nasim.rundir import save

    out = run_folder(args)  # a used --out is refused before PyBaMM is imported
    from nasim.simulate.energy import DEFAULT_RAGONE_CURRENTS_mA_PER_G, energy, ragone

    result = energy(args.cell, current_mA_per_g=args.current_mA_per_g, c_rate=args.c_rate,
                    temperature_C=args.temperature_C, model=args.model)
    save(out / "energy.csv", lambda p: result.table.to_csv(p, index=False))
    save(out / "mass_budget.csv", lambda p: result.mass_budget_frame().to_csv(p, index=False))
    written = ["energy.csv", "mass_budget.csv", "summary.json"]
    summary = result.summary()
    if args.ragone:
        currents = (tuple(float(c) for c in args.ragone_currents.split(","))
                    if args.ragone_currents else DEFAULT_RAGONE_CURRENTS_mA_PER_G)
        rag = ragone(result.cell, currents, temperature_C=args.temperature_C, model=args.model)
        save(out / "ragone.csv", lambda p: rag.frame.to_csv(p, index=False))
        save(out / "ragone.png", rag.plot().savefig)
        written += ["ragone.csv", "ragone.png"]
        failed = rag.frame[rag.frame.status != "ok"].drop_duplicates("current_mA_per_g")
        summary["ragone_failed"] = {f"{r.current_mA_per_g:g} mA/g": r.error
                                    for r in failed.itertuples()}
    summary["outputs"] = [str(out / n) for n in written]
    save(out / "summary.json", lambda p: p.write_text(json.dumps(summary, indent=2,
                                                                  default=float)))
    print(result.table[["level", "mass_g", "volume_cm3", "specific_energy_Wh_per_kg",
                        "energy_density_Wh_per_L", "specific_power_W_per_kg"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for note in summary["notes"]:
        print(f"note: {note}")
    for rate, reason in summary.get("ragone_failed", {}).items():
        print(f"ragone: {rate} failed: {reason}")
    print("wrote " + ", ".join(summary["outputs"]))
    return EXIT_OK


def _protocol_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
            if not found:
                raise ValueError(f"{p}: no protocol files (*.yaml) in this directory")
            files.extend(found)
        else:
            files.append(p)
    return files


def _aging(text: str | None) -> list[str] | None:
    """--aging: None keeps the protocol's mechanisms, 'none' switches aging off."""
    if text is None:
        return None
    return [] if text == "none" else [m.strip() for m in text.split(",") if m.strip()]


def _cmd_replay(args) -> int:
    from nasim.params.loading import ParameterFileError

    if args.experiment:  # PyBaMM step strings on CELL: checked before the folder is made
        from nasim.cli_interop import check_experiment, experiment_file

        check_experiment(args)
        out = run_folder(args)
        files = [experiment_file(args)]
    else:
        files = _protocol_files(args.protocol)
        if len(files) == 1:  # several: a bad one is reported and the others run
            read_first(files, "protocol file", args.cell)
        out = run_folder(args)
    if args.uncertainty:
        return cli_uncertainty.replay(args, files, out)
    from nasim.simulate.replay import replay

    exit_code = EXIT_OK
    for path in files:
        target = out if len(files) == 1 else out / path.stem
        try:
            result = replay(path, model=args.model, sequential=args.sequential,
                            progress=not args.quiet, aging=_aging(args.aging), cell=args.cell)
        except ParameterFileError as exc:
            if len(files) == 1:
                raise
            print(f"error: {exc}", file=sys.stderr)
            exit_code = EXIT_BAD_INPUT
            continue
        result.write(target)
        failed = result.failed
        if not args.quiet:
            comp = result.comparisons
            print(f"{path.name}: {len(result.steps)} steps, {len(failed)} failed, "
                  f"{result.wall_time_s:.1f} s ({result.model}) -> {target}")
            for row in comp.itertuples():
                err = f"{100 * row.relative_error:+.1f} %" if row.relative_error == \
                    row.relative_error else "n/a"
                print(f"  {row.quantity:<40s} step {row.step!s:>4s}: simulated "
                      f"{row.simulated:.4g}, measured {row.measured:.4g} ({err})")
        for row in failed.itertuples():
            print(f"{path.name}: step {row.step} (cycle {row.cycle}, {row.description}) "
                  f"failed: {row.termination}", file=sys.stderr)
        if len(failed) and exit_code == EXIT_OK:
            exit_code = EXIT_FAILED
    return exit_code


def _cmd_sweep(args) -> int:
    from nasim.rundir import lock
    from nasim.sweep.run import STORE_FILES, SweepStopped, check_size, write_outputs
    from nasim.sweep.study import load_study

    study = load_study(args.study)
    check_size(study, args.max_points)  # before the folder is touched
    out = Path(args.out)
    args.resources.enter_context(lock(out))
    run_folder(args, identity=study.identity, resume_files=STORE_FILES)
    args.interrupted = (f"interrupted: finished points are in {out / 'sweep.sqlite'}; add "
                        "--resume to the same command to compute the rest")
    try:
        frame, run = write_outputs(study, out, workers=args.workers, scheduler=args.scheduler,
                                   progress=not args.quiet, retry_failed=args.retry_failed,
                                   compiled=True if args.compiled else None,
                                   max_points=args.max_points,
                                   worker_timeout=args.worker_timeout)
    except SweepStopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = frame[frame.status != "ok"] if len(frame) else frame
    if not args.quiet:
        print(f"{run.n_points} points: {run.n_stored_before} already stored, {run.n_computed} "
              f"computed in {run.n_tasks} tasks, {run.wall_time_s:.1f} s; "
              f"{len(failed)} failed")
        for row in failed.head(10).itertuples():
            print(f"  point {row.index}: {row.error}")
        print(f"wrote {out / 'results.csv'}"
              + "".join(f", {p.name}" for p in run.figures))
    if len(failed):
        print(f"error: {len(failed)} of {run.n_points} points failed (column 'error' of "
              f"{out / 'results.csv'}; --resume --retry-failed computes them again)",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_fit(args) -> int:
    read_first([Path(args.fit)], "fit file")
    from nasim.fit import fit, load_fit
    from nasim.fit.resume import PARTIAL_MD, STATE_FILE, identity

    loaded = load_fit(args.fit)
    out = run_folder(args, identity=identity(loaded), resume_files=(STATE_FILE,))
    args.interrupted = (f"interrupted: best point so far in {out / PARTIAL_MD}; add --resume "
                        "to the same command to finish the fit")
    result = fit(loaded, out=out, progress=not args.quiet, starts=args.starts,
                 max_evaluations=args.max_evaluations, resume=args.resume)
    report = result.report
    if not args.quiet:
        print(result.to_frame().drop(columns=["lower_bound", "upper_bound"])
              .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if report["rmse_V"] is not None:
            print(f"rmse_V {1e3 * report['rmse_V']:.1f} mV")
        for name, err in report["relative_errors"].items():
            print(f"  {name:<60s} {100 * err:+.2f} %")
        print(f"{report['n_evaluations']} evaluations, {report['wall_time_s']:.1f} s; wrote "
              f"{Path(args.out) / 'fit_report.md'}, fit_report.json, fitted/")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from nasim._version import __version__

    parser = argparse.ArgumentParser(prog="nasim", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"nasim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    params = sub.add_parser("params", help="validate or show a parameter file")
    psub = params.add_subparsers(dest="params_command", required=True)
    v = psub.add_parser("validate", help="check a parameter file against the schema")
    v.add_argument("file")
    v.set_defaults(func=_cmd_params_validate)
    s = psub.add_parser("show", help="every value with unit and source, as a table")
    s.add_argument("file")
    s.add_argument("--csv", help="also write the table to this CSV file")
    s.add_argument("--width", type=int, default=90, help="column width for the source text")
    s.set_defaults(func=_cmd_params_show)

    m = sub.add_parser("material", help="molar mass, capacity and entropy of a formula")
    m.add_argument("formula")
    m.add_argument("--redox", help="oxidation-state changes, e.g. Ni:2-4,Fe:3-4")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=_cmd_material)

    cli_interop.add_parsers(sub)

    ls = sub.add_parser("list", help="the bundled parameter sets, experiments, studies and data")
    ls.set_defaults(func=_cmd_list)

    sim = sub.add_parser("simulate", help="one constant-current charge or discharge")
    sim.add_argument("cell", help="cell file, or the name of a bundled cell (nasim list)")
    sim.add_argument("--model", choices=MODEL_NAMES, default="DFN")
    rate = sim.add_mutually_exclusive_group(required=True)
    rate.add_argument("--c-rate", type=float, help="C-rate (1C as defined by the cell file)")
    rate.add_argument("--current-mA-per-g", type=float, help="mA per g of cathode active mass")
    sim.add_argument("--charge", action="store_true", help="charge instead of discharge")
    sim.add_argument("--temperature-C", type=float, help="ambient temperature")
    sim.add_argument("--mesh-points", type=int, help="points per domain and per particle")
    sim.add_argument("--thermal", choices=THERMAL_MODES, default="isothermal",
                     help="isothermal at the ambient temperature (default), or one lumped cell "
                          "temperature (needs the cell file's 'thermal' section)")
    sim.add_argument("--out", help="directory for timeseries.csv, summary.json and the figure")
    sim.set_defaults(func=_cmd_simulate)

    cli_mesh.add_parser(sub)

    en = sub.add_parser("energy", help="energy at the cathode, active-pair, stack and cell "
                        "levels for one discharge, with the mass budget")
    en.add_argument("cell")
    erate = en.add_mutually_exclusive_group(required=True)
    erate.add_argument("--current-mA-per-g", type=float, help="mA per g of cathode active mass")
    erate.add_argument("--c-rate", type=float, help="C-rate (1C as defined by the cell file)")
    en.add_argument("--temperature-C", type=float, help="ambient temperature (isothermal)")
    en.add_argument("--model", choices=MODEL_NAMES, default="DFN")
    en.add_argument("--ragone", action="store_true",
                    help="also discharge over a range of currents: ragone.csv and ragone.png")
    en.add_argument("--ragone-currents", help="comma-separated mA/g for --ragone "
                    "(default 10,20,50,100,200,500,1000,2000)")
    en.add_argument("--out", required=True,
                    help="directory for energy.csv, mass_budget.csv and summary.json")
    en.set_defaults(func=_cmd_energy)

    rp = sub.add_parser("replay", help="run protocol files (experiments/*.yaml) and compare "
                        "with their measured values")
    rp.add_argument("protocol", nargs="+", help="protocol file(s) or a directory of them; "
                    "with --experiment: CELL (a cell file or bundled cell name)")
    cli_interop.add_experiment_options(rp)
    rp.add_argument("--model", choices=MODEL_NAMES,
                    help="override the protocol's model")
    rp.add_argument("--out", required=True, help="output directory (one subdirectory per "
                    "protocol when several are given)")
    rp.add_argument("--sequential", action="store_true",
                    help="run a rate test's charge before every rate even when the file "
                         "declares the rates independent")
    rp.add_argument("--quiet", action="store_true", help="no progress bar or tables")
    rp.add_argument("--cell", help="run on this cell file instead of the protocol's (e.g. a "
                    "fitted parameter set)")
    rp.add_argument("--aging", help="aging mechanisms instead of the protocol's: a comma list "
                    "of phase_strain, dissolution, sei, or 'none'")
    cli_uncertainty.add_arguments(rp)
    rp.set_defaults(func=_cmd_replay)

    sw = sub.add_parser("sweep", help="run a study (studies/*.yaml) over its axes: "
                        "results.csv and figures; resumable")
    sw.add_argument("study", help="study file")
    sw.add_argument("--out", required=True, help="output directory (sweep.sqlite, results.csv, "
                    "figures); a sweep started again there computes only missing points")
    sw.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    sw.add_argument("--scheduler", help="Dask scheduler address tcp://host:port, or dask-local "
                    "for a local Dask cluster (needs nasim[cluster])")
    sw.add_argument("--resume", action="store_true", help="continue the sweep of the same "
                    "study in --out: only missing points are computed")
    sw.add_argument("--max-points", type=int, default=100_000, help="refuse a study of more "
                    "points than this (default 100000), before enumerating them")
    sw.add_argument("--worker-timeout", type=float, default=120.0, help="Dask: stop when no "
                    "worker has been alive for this many seconds (default 120)")
    sw.add_argument("--retry-failed", action="store_true",
                    help="also recompute points stored as failed")
    sw.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    sw.add_argument("--compiled", action="store_true", help="solve with IDAKLU's compiled "
                    "mode (as the study's options: {compiled: true}): about a minute of gcc "
                    "per model the first time (cached on disk), then faster solves")
    sw.set_defaults(func=_cmd_sweep)

    ft = sub.add_parser("fit", help="fit parameters to measured curves and values (fits/*/"
                        "fit.yaml): fitted parameter set and report")
    ft.add_argument("fit", help="fit definition file")
    ft.add_argument("--out", required=True, help="output directory (fitted/, fit_report.json, "
                    "fit_report.md, figures)")
    ft.add_argument("--starts", type=int, help="number of starts (overrides the file)")
    ft.add_argument("--max-evaluations", type=int,
                    help="model evaluations per start (overrides the file)")
    ft.add_argument("--quiet", action="store_true", help="no progress bar or table")
    ft.add_argument("--resume", action="store_true", help="continue the interrupted fit in "
                    "--out (the same fit file): finished starts are not run again")
    ft.set_defaults(func=_cmd_fit)
    for verb in (sim, en, rp, sw, ft):
        verb.add_argument("--overwrite", action="store_true", help="replace the run already "
                          "in --out (its recorded files are removed first)")
    add_debug(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    one_line_warnings()
    if not options_ok(args):  # --temperature-C nan, --c-rate inf ...
        return EXIT_BAD_INPUT
    status, message = "error", ""
    with contextlib.ExitStack() as args.resources:  # e.g. a folder lock, released last
        try:
            code = args.func(args)
            status = "complete" if code == EXIT_OK else "failed"
            return code
        except KeyboardInterrupt:
            status, message = "interrupted", getattr(args, "interrupted", "interrupted (Ctrl-C)")
            print(message, file=sys.stderr)
            return EXIT_INTERRUPTED
        except Exception as exc:
            if args.debug:
                import traceback

                traceback.print_exc()
            code, message = error_line(exc)
            print(message, file=sys.stderr)
            return code
        finally:
            if getattr(args, "run", None) is not None:
                args.run.finish(status, message)


if __name__ == "__main__":
    sys.exit(main())
