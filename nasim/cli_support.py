"""What the ``nasim`` command line shares across verbs: exit codes, one-line errors, --debug,
the run folder of a verb's ``--out`` (:mod:`nasim.rundir`) and reading inputs before PyBaMM."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def read_first(paths: list[Path], what: str, cell: str | None = None) -> None:
    """Read each input document safely before PyBaMM is imported: a hostile or broken file
    is refused in about a second (a protocol file is loaded whole, on ``cell`` if given: its
    cell, tables and measured curves)."""
    from nasim.params.loading import read_yaml

    for path in paths:
        if what == "protocol file":
            from nasim.protocols import load_protocol

            load_protocol(path, cell)
        else:
            read_yaml(path, what)


def run_folder(args, identity: str | None = None, resume_files: tuple[str, ...] = ()):
    """Start the run record in ``args.out`` (:mod:`nasim.rundir`); main() finishes it.
    ``resume_files`` are kept by --resume and removed by --overwrite."""
    from nasim.rundir import prepare

    args.run = prepare(args.out, ["nasim", *args.argv], identity=identity,
                       overwrite=args.overwrite, resume=getattr(args, "resume", False),
                       resume_files=resume_files, owned=resume_files)
    if args.run.kept:
        shown = ", ".join(args.run.kept[:10]) + (" ..." if len(args.run.kept) > 10 else "")
        print(f"note: --overwrite kept {len(args.run.kept)} entries of {args.out} that nasim "
              f"does not write: {shown}", file=sys.stderr)
    return Path(args.out)


def options_ok(args) -> bool:
    """Every number option finite (else one error line, False); an implausible
    ``--temperature-C`` (298 meant as K?) or ``--c-rate`` above 100C is warned about."""
    import math

    from nasim.params import plausible

    for name, value in vars(args).items():
        if isinstance(value, float) and not math.isfinite(value):
            print(f"error: --{name.replace('_', '-')} {value}: expected a finite number",
                  file=sys.stderr)
            return False
    if getattr(args, "temperature_C", None) is not None:
        plausible.check("command line", "--temperature-C", args.temperature_C + 273.15,
                        f"{args.temperature_C:g} degC", "ambient_temperature")
    if (getattr(args, "c_rate", None) or 0) > plausible.MAX_C_RATE:
        plausible.warn("command line", "--c-rate", f"{args.c_rate:g} C",
                       f"expected at most {plausible.MAX_C_RATE:g} C")
    return True


def one_line_warnings() -> None:
    """Print each :class:`nasim.params.plausible.ImplausibleValue` warning as one line
    ``warning: ...`` on stderr (other warnings as Python prints them)."""
    import warnings

    from nasim.params.plausible import ImplausibleValue

    warnings.simplefilter("always", ImplausibleValue)  # plausible.warn gives each value once
    shown = warnings.showwarning
    if getattr(shown, "nasim_one_line", False):  # installed by an earlier main() call
        return

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ImplausibleValue):
            print(f"warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    show.nasim_one_line = True
    warnings.showwarning = show


def add_debug(parser: argparse.ArgumentParser, top: bool = True) -> None:
    """--debug (print the traceback of an error) before or after any verb."""
    parser.add_argument("--debug", action="store_true",
                        default=False if top else argparse.SUPPRESS,
                        help="on an error, also print its traceback")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                add_debug(child, top=False)


def _simulation_error() -> type[Exception] | tuple:
    """nasim.SimulationError once a verb has imported the simulation side; before that no
    simulation can have failed (and the data-only verbs never import PyBaMM)."""
    module = sys.modules.get("nasim.simulate")
    return getattr(module, "SimulationError", ()) if module is not None else ()


def error_line(exc: BaseException) -> tuple[int, str]:
    """(exit code, one line) for an exception that ended a verb."""
    import sqlite3

    if isinstance(exc, _simulation_error()):
        return EXIT_FAILED, f"simulation failed: {exc.reason}"
    if isinstance(exc, ValueError):  # bad input: ParameterFileError, StateError, rundir's ...
        return EXIT_BAD_INPUT, f"error: {exc}"
    if isinstance(exc, OSError):  # a path that is a file, not writable, too long ...
        where = f": {exc.filename}" if exc.filename else ""
        return EXIT_BAD_INPUT, f"error: {exc.strerror or exc}{where}"
    if isinstance(exc, sqlite3.DatabaseError):
        return EXIT_BAD_INPUT, (f"error: the sweep store (sweep.sqlite) is not readable ({exc});"
                                " give --overwrite to start again, or another --out")
    if isinstance(exc, MemoryError):
        return EXIT_FAILED, "error: out of memory (a smaller study, curve or mesh?)"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return EXIT_FAILED, (f"internal error: {type(exc).__name__}: {text} (run with --debug for "
                         "the traceback)")
