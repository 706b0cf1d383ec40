"""What the ``nasim`` command line shares across verbs: exit codes, one-line errors, --debug,
the run folder of a verb's ``--out`` (:mod:`nasim.rundir`) and reading inputs before PyBaMM."""

from __future__ import annotations

import argparse
import re
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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """--help shows each option's default (none shown where there is none, or for flags)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (action.default in (None, False, argparse.SUPPRESS) or "%(default)" in text
                or not action.option_strings):
            return action.help
        return f"{text} (default: %(default)s)".lstrip()


def bounded(flag: str, lo: float, hi: float, unit: str = "", kind=float):
    """An argparse type: a finite number within [lo, hi]; the error names the option and the
    value (exit 2)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} {text!r}: expected a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{flag} {text}: expected a finite number")
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{flag} {text}: outside {lo:g} to {hi:g} {unit}"
                                             .rstrip())
        return value
    return parse


#: the physical limits (above absolute zero, below params.limits' 2000 K); implausible values
#: inside them are warned about (cli_support.options_ok, params.plausible)
TEMPERATURE_C = bounded("--temperature-C", -273.0, 1700.0, "degC")
#: the current forms of every verb that takes a current: option -> LoadedCell.current_A keyword
CURRENT_FORMS = {"c_rate": ("--c-rate", "C-rate (1C as the cell file defines it)", 1e3),
                 "current_mA_per_g": ("--current-mA-per-g", "mA per g of cathode active mass",
                                      1e6),
                 "current_mA_per_cm2": ("--current-mA-per-cm2", "mA per cm2 of electrode area",
                                        1e4),
                 "current_A": ("--current-A", "amperes", 1e4)}


def add_current_options(parser: argparse.ArgumentParser) -> None:
    """Exactly one of the current forms (--c-rate, --current-mA-per-g, --current-mA-per-cm2,
    --current-A), each a positive number."""
    group = parser.add_mutually_exclusive_group(required=True)
    for dest, (flag, text, hi) in CURRENT_FORMS.items():
        group.add_argument(flag, dest=dest, type=bounded(flag, 1e-12, hi), help=text)


def current_A(args, cell) -> float:
    """The chosen current form in amperes on ``cell`` (LoadedCell.current_A: the one rule)."""
    keyword = {"c_rate": "c_rate", "current_mA_per_g": "mA_per_g",
               "current_mA_per_cm2": "mA_per_cm2", "current_A": "A"}
    given = {keyword[d]: getattr(args, d) for d in CURRENT_FORMS if getattr(args, d) is not None}
    return cell.current_A(**given)


def add_output_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--out (the same on every verb that runs a model), --overwrite, --format, --dpi, --json."""
    parser.add_argument("--out", required=True, metavar="DIR", help=(
        f"folder for this run: {what}, run.json and solver.log; a folder holding another run "
        "is refused unless --overwrite"))
    parser.add_argument("--overwrite", action="store_true", help="replace the run already "
                        "in --out (its recorded files are removed first)")
    parser.add_argument("--format", choices=("png", "svg", "pdf"), default="png",
                        help="figure file format")
    parser.add_argument("--dpi", type=bounded("--dpi", 30, 1200, kind=int), default=300,
                        help="resolution of PNG figures")
    parser.add_argument("--json", action="store_true",
                        help="print the summary as JSON (numbers rounded to 6 digits) instead "
                             "of a table")


def rounded(value, digits: int = 6):
    """``value`` with every float rounded to ``digits`` significant digits (JSON output)."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return float(f"{value:.{digits}g}")
    return value


def print_summary(summary: dict, as_json: bool) -> None:
    """A short human table of the scalar values (``--json``: everything, rounded)."""
    import json

    if as_json:
        print(json.dumps(rounded(summary), indent=2, default=float))
        return
    for key, value in summary.items():
        if isinstance(value, float):
            print(f"  {key.replace('_', ' '):<38s} {value:.4g}")
        elif isinstance(value, str | int) and key not in ("cell", "outputs"):
            print(f"  {key.replace('_', ' '):<38s} {value}")


class Parser(argparse.ArgumentParser):
    """Every (sub)command's parser shows defaults in --help (:class:`HelpFormatter`) and
    reports a usage error on one line (exit 2), naming the option and the value."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        message = re.sub(r"^argument [^:]+: (?=--)", "", message)
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (--help shows the "
                                  "options)\n")


def protocol_files(paths: list[str]) -> list[Path]:
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


def aging(text: str | None) -> list[str] | None:
    """--aging: None keeps the protocol's mechanisms, 'none' switches aging off."""
    if text is None:
        return None
    return [] if text == "none" else [m.strip() for m in text.split(",") if m.strip()]


def step_name(row) -> str:
    """A step as a person names it: its label (``rate 5 C``), else ``step N``."""
    label = getattr(row, "label", None)
    return label if isinstance(label, str) and label else f"step {row.step}"
