"""The ``nasim`` command line: a thin layer over the Python API.

Exit codes: 0 success, 1 a simulation failed (reason printed), 2 bad input (file, field, value
and expectation printed), 130 interrupted (Ctrl-C). Every error is one line; --debug also
prints the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from nasim import cli_interop, cli_mesh, cli_uncertainty
from nasim.cli_data import cmd_list, cmd_material, cmd_params_show, cmd_params_validate
from nasim.cli_support import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    TEMPERATURE_C,
    Parser,
    add_current_options,
    add_debug,
    add_output_options,
    aging,
    bounded,
    current_A,
    error_line,
    one_line_warnings,
    options_ok,
    print_summary,
    protocol_files,
    read_first,
    run_folder,
    step_name,
)
from nasim.console import SolverLog, solver_summary, terminal_options
from nasim.params.names import MODEL_NAMES, THERMAL_MODES


def _cmd_simulate(args) -> int:
    import nasim
    from nasim.plots import save_figure
    from nasim.rundir import save

    cell = nasim.load_cell(args.cell)
    amps = current_A(args, cell)
    out = run_folder(args)
    result = nasim.simulate(
        cell, model=args.model, current_A=amps,
        direction="charge" if args.charge else "discharge", temperature_C=args.temperature_C,
        mesh_points=args.mesh_points, thermal=args.thermal,
    )
    summary = result.summary()
    figure = f"voltage_capacity.{args.format}"
    summary["outputs"] = [str(out / n) for n in ("timeseries.csv", "summary.json", figure)]
    save(out / "timeseries.csv", lambda p: result.timeseries.to_csv(p, index=False))
    save(out / "summary.json",
         lambda p: p.write_text(json.dumps(summary, indent=2, default=float)))
    save_figure(result.plot(), out / figure, args.dpi)
    summary["wall_time_s"] = time.perf_counter() - args.t0
    if not args.quiet:
        print_summary(summary, args.json)
        if not args.json:
            print(f"wrote {', '.join(summary['outputs'])} ({summary['wall_time_s']:.1f} s)")
    return EXIT_OK


def _cmd_energy(args) -> int:
    from nasim.params.loading import load_cell
    from nasim.plots import save_figure
    from nasim.rundir import save

    cell = load_cell(args.cell)
    mA_per_g = current_A(args, cell) / cell.design.cathode_active_mass_kg  # A/kg = mA/g
    out = run_folder(args)  # a used --out is refused before PyBaMM is imported
    from nasim.simulate.energy import DEFAULT_RAGONE_CURRENTS_mA_PER_G, energy, ragone

    result = energy(cell, current_mA_per_g=mA_per_g, temperature_C=args.temperature_C,
                    model=args.model)
    save(out / "energy.csv", lambda p: result.table.to_csv(p, index=False))
    save(out / "mass_budget.csv", lambda p: result.mass_budget_frame().to_csv(p, index=False))
    written = ["energy.csv", "mass_budget.csv", "summary.json"]
    summary = result.summary()
    if args.ragone:
        currents = (tuple(float(c) for c in args.ragone_currents.split(","))
                    if args.ragone_currents else DEFAULT_RAGONE_CURRENTS_mA_PER_G)
        rag = ragone(result.cell, currents, temperature_C=args.temperature_C, model=args.model)
        save(out / "ragone.csv", lambda p: rag.frame.to_csv(p, index=False))
        save_figure(rag.plot(), out / f"ragone.{args.format}", args.dpi)
        written += ["ragone.csv", f"ragone.{args.format}"]
        failed = rag.frame[rag.frame.status != "ok"].drop_duplicates("current_mA_per_g")
        summary["ragone_failed"] = {f"{r.current_mA_per_g:g} mA/g": r.error
                                    for r in failed.itertuples()}
    summary["outputs"] = [str(out / n) for n in written]
    save(out / "summary.json", lambda p: p.write_text(json.dumps(summary, indent=2,
                                                                  default=float)))
    args.failures += len(summary.get("ragone_failed", {}))
    if args.quiet:
        return EXIT_OK
    if args.json:
        print_summary(summary, True)
        return EXIT_OK
    print(result.table[["level", "mass_g", "volume_cm3", "specific_energy_Wh_per_kg",
                        "energy_density_Wh_per_L", "specific_power_W_per_kg"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for note in summary["notes"]:
        print(f"note: {note}")
    for rate, reason in summary.get("ragone_failed", {}).items():
        print(f"ragone: {rate} failed: {reason}")
    print("wrote " + ", ".join(summary["outputs"])
          + f" ({time.perf_counter() - args.t0:.1f} s)")
    return EXIT_OK


def _cmd_replay(args) -> int:
    from nasim.params.loading import ParameterFileError

    if args.experiment:  # PyBaMM step strings on CELL: checked before the folder is made
        from nasim.cli_interop import check_experiment, experiment_file

        check_experiment(args)
        out = run_folder(args)
        files = [experiment_file(args)]
    else:
        files = protocol_files(args.protocol)
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
            result = replay(path, model=args.model, sequential=args.sequential, cell=args.cell,
                            progress=not args.quiet, aging=aging(args.aging),
                            accelerate=args.accelerate)
        except ParameterFileError as exc:
            if len(files) == 1:
                raise
            print(f"error: {exc}", file=sys.stderr)
            exit_code = EXIT_BAD_INPUT
            continue
        result.write(target, args.format, args.dpi)
        failed = result.failed
        if args.json and not args.quiet:
            print_summary({"protocol": str(path), "steps": len(result.steps),
                           "failed": len(failed), "wall_time_s": time.perf_counter() - args.t0,
                           "comparisons": result.comparisons.to_dict("records")}, True)
        elif not args.quiet:
            print(f"{path.name}: {len(result.steps)} steps, {len(failed)} failed, "
                  f"{time.perf_counter() - args.t0:.1f} s ({result.model}) -> {target}")
            for row in result.comparisons.itertuples():
                err = f"{100 * row.relative_error:+.1f} %" if row.relative_error == \
                    row.relative_error else "n/a"
                print(f"  {step_name(row):<14s} {row.quantity:<40s} simulated "
                      f"{row.simulated:.4g}, measured {row.measured:.4g} ({err})")
        for row in failed.itertuples():
            print(f"{path.name}: {step_name(row)} ({row.description}) failed: "
                  f"{row.termination}", file=sys.stderr)
        args.failures += len(failed)
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
                                   worker_timeout=args.worker_timeout, fmt=args.format,
                                   dpi=args.dpi, mesh_check=False if args.no_mesh_check else None)
    except SweepStopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    failed = frame[frame.status != "ok"] if len(frame) else frame
    args.failures += len(failed)
    if args.json and not args.quiet:
        print_summary({"points": run.n_points, "stored_before": run.n_stored_before,
                       "computed": run.n_computed, "failed": len(failed),
                       "mesh_check": run.mesh_check,
                       "wall_time_s": time.perf_counter() - args.t0,
                       "results": str(out / "results.csv")}, True)
    elif not args.quiet:
        print(f"{run.n_points} points: {run.n_stored_before} already stored, {run.n_computed} "
              f"computed in {run.n_tasks} tasks, {time.perf_counter() - args.t0:.1f} s; "
              f"{len(failed)} failed")
        if run.mesh_check:
            print(f"mesh check at the corner: {run.mesh_check['status']}: "
                  f"{run.mesh_check['message']} ({out / 'mesh_check.json'})")
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
                 max_evaluations=args.max_evaluations, resume=args.resume, fmt=args.format,
                 dpi=args.dpi)
    report = result.report
    if args.json and not args.quiet:
        print_summary({"parameters": result.to_frame().to_dict("records"),
                       "rmse_V": report["rmse_V"], "relative_errors": report["relative_errors"],
                       "n_evaluations": report["n_evaluations"],
                       "wall_time_s": time.perf_counter() - args.t0}, True)
    elif not args.quiet:
        print(result.to_frame().drop(columns=["lower_bound", "upper_bound"])
              .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if report["rmse_V"] is not None:
            print(f"rmse_V {1e3 * report['rmse_V']:.1f} mV")
        for name, err in report["relative_errors"].items():
            print(f"  {name:<60s} {100 * err:+.2f} %")
        print(f"{report['n_evaluations']} evaluations, {time.perf_counter() - args.t0:.1f} s; "
              f"wrote "
              f"{Path(args.out) / 'fit_report.md'}, fit_report.json, fitted/")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from nasim._version import __version__

    parser = Parser(prog="nasim", description="nasim: physics-based sodium-ion cell simulation "
                    "(SPM, SPMe, DFN on PyBaMM) from sourced parameter files.",
                    epilog="`nasim VERB --help` shows a verb's options and their defaults.")
    parser.add_argument("--version", action="version", version=f"nasim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="VERB")

    params = sub.add_parser("params", help="validate or show a parameter file")
    psub = params.add_subparsers(dest="params_command", required=True)
    v = psub.add_parser("validate", help="check a parameter file against the schema")
    v.add_argument("file")
    v.set_defaults(func=cmd_params_validate)
    s = psub.add_parser("show", help="every value with unit and source, as a table")
    s.add_argument("file")
    s.add_argument("--csv", help="also write the table to this CSV file")
    s.add_argument("--width", type=bounded("--width", 10, 1000, kind=int), default=90,
                   help="column width for the source text")
    s.set_defaults(func=cmd_params_show)

    m = sub.add_parser("material", help="molar mass, capacity and entropy of a formula")
    m.add_argument("formula")
    m.add_argument("--redox", help="oxidation-state changes, e.g. Ni:2-4,Fe:3-4")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_material)

    cli_interop.add_parsers(sub)

    ls = sub.add_parser("list", help="the bundled parameter sets, experiments, studies and data")
    ls.set_defaults(func=cmd_list)

    sim = sub.add_parser("simulate", help="one constant-current charge or discharge")
    sim.add_argument("cell", help="cell file, or the name of a bundled cell (nasim list)")
    sim.add_argument("--model", choices=MODEL_NAMES, default="DFN", help="PyBaMM model")
    add_current_options(sim)
    sim.add_argument("--charge", action="store_true", help="charge instead of discharge")
    sim.add_argument("--temperature-C", type=TEMPERATURE_C,
                     help="ambient temperature, -273 to 1700 (default: the cell file's)")
    sim.add_argument("--mesh-points", type=bounded("--mesh-points", 3, 500, kind=int),
                     help="points per domain and per particle (default: the cell file's)")
    sim.add_argument("--thermal", choices=THERMAL_MODES, default="isothermal",
                     help="isothermal at the ambient temperature, or one lumped cell "
                          "temperature (needs the cell file's 'thermal' section)")
    add_output_options(sim, "timeseries.csv, summary.json and the voltage-capacity figure")
    terminal_options(sim)
    sim.set_defaults(func=_cmd_simulate)

    cli_mesh.add_parser(sub)

    en = sub.add_parser("energy", help="energy at the cathode, active-pair, stack and cell "
                        "levels for one discharge, with the mass budget")
    en.add_argument("cell", help="cell file, or the name of a bundled cell (nasim list)")
    add_current_options(en)
    en.add_argument("--temperature-C", type=TEMPERATURE_C,
                    help="ambient temperature, isothermal, -273 to 1700 (default: the cell "
                         "file's)")
    en.add_argument("--model", choices=MODEL_NAMES, default="DFN", help="PyBaMM model")
    en.add_argument("--ragone", action="store_true",
                    help="also discharge over a range of currents: ragone.csv and a figure")
    en.add_argument("--ragone-currents", help="comma-separated mA/g for --ragone "
                    "(default 10,20,50,100,200,500,1000,2000)")
    add_output_options(en, "energy.csv, mass_budget.csv, summary.json (and the Ragone files)")
    terminal_options(en)
    en.set_defaults(func=_cmd_energy)

    rp = sub.add_parser("replay", help="run protocol files (experiments/*.yaml) and compare "
                        "with their measured values")
    rp.add_argument("protocol", nargs="+", help="protocol file(s) or a directory of them; "
                    "with --experiment: CELL (a cell file or bundled cell name)")
    cli_interop.add_experiment_options(rp)
    rp.add_argument("--model", choices=MODEL_NAMES,
                    help="override the protocol's model")
    add_output_options(rp, "tables, figures and report.md (one subfolder per protocol when "
                       "several are given)")
    rp.add_argument("--sequential", action="store_true",
                    help="run a rate test's charge before every rate even when the file "
                         "declares the rates independent")
    rp.add_argument("--cell", help="run on this cell file instead of the protocol's (e.g. a "
                    "fitted parameter set)")
    rp.add_argument("--aging", help="aging mechanisms instead of the protocol's: a comma list "
                    "of phase_strain, dissolution, sei, or 'none'")
    rp.add_argument("--accelerate", action=argparse.BooleanOptionalAction,
                    help="cycle jumping (default: the protocol's aging.accelerate)")
    cli_uncertainty.add_arguments(rp)
    terminal_options(rp)
    rp.set_defaults(func=_cmd_replay)

    sw = sub.add_parser("sweep", help="run a study (studies/*.yaml) over its axes: "
                        "results.csv and figures; resumable")
    sw.add_argument("study", help="study file")
    add_output_options(sw, "sweep.sqlite, results.csv and the figures; with --resume a sweep "
                       "started again there computes only the missing points")
    sw.add_argument("--workers", type=bounded("--workers", 1, 1024, kind=int),
                    help="worker processes (default: one per core)")
    sw.add_argument("--scheduler", help="Dask scheduler address tcp://host:port, or dask-local "
                    "for a local Dask cluster (needs nasim[cluster])")
    sw.add_argument("--resume", action="store_true", help="continue the sweep of the same "
                    "study in --out: only missing points are computed")
    sw.add_argument("--max-points", type=bounded("--max-points", 1, 10**9, kind=int),
                    default=100_000, help="refuse a study of more points than this, before "
                    "enumerating them")
    sw.add_argument("--worker-timeout", type=bounded("--worker-timeout", 1, 86400, "s"),
                    default=120.0, help="Dask: stop when no worker has been alive for this "
                    "many seconds")
    sw.add_argument("--retry-failed", action="store_true",
                    help="also recompute points stored as failed")
    sw.add_argument("--no-mesh-check", action="store_true", help="skip the mesh check of "
                    "the study's corner against the 2x mesh (as options: {mesh_check: false})")
    sw.add_argument("--compiled", action="store_true", help="solve with IDAKLU's compiled "
                    "mode (as the study's options: {compiled: true}): about a minute of gcc "
                    "per model the first time (cached on disk), then faster solves")
    terminal_options(sw)
    sw.set_defaults(func=_cmd_sweep)

    ft = sub.add_parser("fit", help="fit parameters to measured curves and values (fits/*/"
                        "fit.yaml): fitted parameter set and report")
    ft.add_argument("fit", help="fit definition file")
    add_output_options(ft, "fitted/, fit_report.json, fit_report.md and the figures")
    ft.add_argument("--starts", type=bounded("--starts", 1, 1000, kind=int),
                    help="number of starts (default: the fit file's)")
    ft.add_argument("--max-evaluations", type=bounded("--max-evaluations", 2, 10**6, kind=int),
                    help="model evaluations per start (default: the fit file's)")
    ft.add_argument("--resume", action="store_true", help="continue the interrupted fit in "
                    "--out (the same fit file): finished starts are not run again")
    terminal_options(ft)
    ft.set_defaults(func=_cmd_fit)
    add_debug(parser)
    return parser


def _command_line_environment() -> None:
    """What the command line chooses for its own process (never on ``import nasim``): no PyBaMM
    telemetry question (it would wait 10 s for an answer), figures drawn without a display."""
    os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")
    if "matplotlib" in sys.modules:
        sys.modules["matplotlib"].use("Agg")
    else:  # read when matplotlib is first imported: the data verbs never import it
        os.environ["MPLBACKEND"] = "Agg"


def main(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:  # `nasim` alone: the verbs
        parser.print_help()
        return EXIT_OK
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:  # `nasim params` alone
            parser.parse_args([*argv, "--help"])
    except SystemExit as stop:  # --help (0) or a usage error, printed on one line (2)
        return stop.code
    _command_line_environment()
    args.argv, args.t0 = argv, t0
    one_line_warnings()
    if not options_ok(args):  # --ragone-currents and the like; numbers: bounded() types
        return EXIT_BAD_INPUT
    status, message = "error", ""
    log = SolverLog(args.verbose) if hasattr(args, "verbose") else None
    args.failures = 0
    with contextlib.ExitStack() as args.resources:  # e.g. a folder lock, released last
        try:
            with log or contextlib.nullcontext():
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
            args.failures += message.startswith("simulation failed")
            print(message, file=sys.stderr)
            return code
        finally:
            run = getattr(args, "run", None)
            if log is not None:
                solver_summary(log, args, None if run is None else run.folder)
            if run is not None:
                run.finish(status, message)



if __name__ == "__main__":
    sys.exit(main())
