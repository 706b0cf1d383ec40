"""The command line's terminal: solver chatter to ``solver.log``, one summary line instead.

SUNDIALS prints ``[ERROR]`` lines from C straight to file descriptor 2 when a step needs a
retry, and PyBaMM warns (``SolverWarning`` from ``check_extrapolation``) with site-packages
paths; most of it is harmless, and a newcomer reads ``[ERROR]`` as broken. While a
:class:`SolverLog` is open, file descriptor 2 (C output, PyBaMM's logger, worker processes
started inside it) and Python warnings go to the log file; ``sys.stderr`` is a new stream on
the terminal, so progress bars and nasim's own messages still show. ``verbose`` leaves the
terminal alone (everything shows, nothing is logged). Imported only by :mod:`nasim.cli`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

#: what a SUNDIALS message line starts with (one per retry or failure inside the solver)
SUNDIALS_MARK = "[ERROR]"
LOG_NAME = "solver.log"
#: the table named in PyBaMM's "extrapolation occurred for [...]" warnings
EXTRAPOLATED = re.compile(r"Interpolant '([^']+)'")


def _on_fd2(stream) -> bool:
    """Whether ``stream`` writes to file descriptor 2 (then it needs a new stream on the
    terminal while fd 2 goes to the log)."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


class SolverLog:
    """Context manager: while open, solver output and warnings go to a temporary file;
    :meth:`store` then moves it into the run's folder as ``solver.log`` (an ``--out`` folder is
    checked and prepared inside the verb, so the log cannot be there from the start) or
    deletes it. ``summary(failures)`` is the one line to print."""

    def __init__(self, verbose: bool = False):
        self.keep = False
        self.path: Path | None = None
        self.verbose = verbose
        self.n_messages = self.n_warnings = 0
        self.tables: list[str] = []  # tables PyBaMM reported extrapolating
        self._log = self._saved_fd = self._saved_stderr = self._saved_showwarning = None

    def __enter__(self) -> SolverLog:
        if self.verbose:
            return self
        fd, name = tempfile.mkstemp(prefix="nasim-solver-", suffix=".log")
        os.close(fd)
        self.path = Path(name)
        import pybamm  # noqa: F401  its logger's handler keeps the stream of fd 2 (the log)

        self._log = open(self.path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        sys.stdout.flush()
        sys.stderr.flush()
        self._saved_fd = os.dup(2)
        os.dup2(self._log.fileno(), 2)
        self._saved_stderr = sys.stderr
        if _on_fd2(sys.stderr):  # else (a notebook, pytest's capsys) it is not fd 2: kept
            sys.stderr = os.fdopen(os.dup(self._saved_fd), "w", buffering=1, encoding="utf-8",
                                   errors="replace")
        self._saved_showwarning = warnings.showwarning
        warnings.showwarning = self._warning
        return self

    def _warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        if category.__module__.startswith("nasim"):  # nasim's own (implausible values): shown
            self._saved_showwarning(message, category, filename, lineno, file, line)
            return
        self.n_warnings += 1
        self._log.write(warnings.formatwarning(message, category, filename, lineno, line))

    def __exit__(self, *exc) -> None:
        if self._log is None:
            return
        warnings.showwarning = self._saved_showwarning
        sys.stderr.flush()
        terminal, sys.stderr = sys.stderr, self._saved_stderr
        if terminal is not self._saved_stderr:
            terminal.close()
        os.dup2(self._saved_fd, 2)
        os.close(self._saved_fd)
        self._log.close()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        self.n_messages = sum(SUNDIALS_MARK in line for line in text.splitlines())
        self.tables = sorted(set(EXTRAPOLATED.findall(text)))

    def store(self, folder: Path | None) -> None:
        """Move the log into ``folder`` as ``solver.log`` (None: delete it)."""
        if self.path is None or not self.path.exists():
            return
        if folder is None or not folder.is_dir():
            self.path.unlink(missing_ok=True)
            return
        from nasim.rundir import write_text

        text = self.path.read_text(encoding="utf-8", errors="replace")
        self.path.unlink(missing_ok=True)
        self.path, self.keep = write_text(folder / LOG_NAME, text), True

    def summary(self, failures: int) -> str | None:
        """``"12 solver messages, 3 warnings, 0 failures; see out/solver.log"`` (messages:
        SUNDIALS ``[ERROR]`` lines, mostly retries it recovered from), or None when
        nothing was logged and nothing failed (or ``verbose``: it all showed)."""
        if self.verbose or (not self.n_messages and not self.n_warnings and not failures):
            return None
        where = f"see {self.path}" if self.keep else "give --out to keep solver.log"
        tables = (f"; PyBaMM extrapolated beyond the table(s) {', '.join(self.tables)}"
                  if self.tables else "")
        return (f"{self.n_messages} solver messages, {self.n_warnings} warnings, {failures} "
                f"failures{tables}; {where}")


def terminal_options(parser: argparse.ArgumentParser) -> None:
    """--quiet / --verbose of every verb that solves (solver output: nasim.console)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true",
                       help="print nothing but errors (no progress bar, table or summary)")
    group.add_argument("--verbose", action="store_true",
                       help="show the solver's own messages and PyBaMM's warnings on the "
                            "terminal instead of writing them to solver.log")


def solver_summary(log: SolverLog, args, folder: Path | None) -> None:
    """solver.log into the run's folder, and its one line (errors only with --quiet)."""
    log.store(folder)
    line = log.summary(args.failures)
    if line and (args.failures or not args.quiet):
        print(line, file=sys.stderr)
