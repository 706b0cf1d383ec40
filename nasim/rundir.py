"""Output folders of runs: atomic writes, one ``run.json`` per folder, no silent reuse.

A run (``nasim simulate``, ``replay``, ``energy``, ``sweep``, ``fit``) writes into its ``--out``
folder. :func:`prepare` refuses a path that is a file, and a non-empty folder unless
``overwrite`` (the files an earlier run recorded, and any file of a kind nasim writes, are
then removed first; other files stay and are named) or ``resume`` with the
same ``identity`` (a sweep of the same study, a fit of the same definition). ``run.json`` is
written when the run starts (``status: running``) and again, last, when it ends: ``complete``,
``failed`` (the run finished but something in it failed: exit 1), ``error`` or
``interrupted``; a folder is complete exactly when its ``run.json`` says so. Every file is
written to a temporary name in the same folder and renamed (:func:`atomic`), so a killed run
leaves no truncated file.

This module imports nothing of nasim (it is below every floor).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

RUN_FILE = "run.json"
LOCK_FILE = ".nasim.lock"
_HELD: dict[Path, int] = {}  # folder -> lock depth in this process


class OutputFolderError(ValueError):
    """An ``--out`` that cannot be used (a file, or a folder holding another run)."""


@contextlib.contextmanager
def atomic(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` (same suffix) to write to; renamed onto ``target``
    when the block succeeds, removed when it fails."""
    target = Path(target)
    tmp = target.with_name(f".{target.stem}.tmp{os.getpid()}{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def save(target: str | Path, write) -> str:
    """``write(path)`` (e.g. ``frame.to_csv``, ``figure.savefig``) onto ``target`` atomically;
    returns ``target`` as text."""
    with atomic(target) as tmp:
        write(tmp)
    return str(target)


def write_text(target: str | Path, text: str) -> Path:
    """``text`` written to ``target`` atomically (UTF-8)."""
    with atomic(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def read_run(folder: str | Path) -> dict | None:
    """The ``run.json`` of ``folder`` (None when there is none or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": sys.version.split()[0]}
    for name in ("nasim", "pybamm", "numpy", "scipy", "pandas"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


class Run:
    """One run's record in its folder (see the module doc)."""

    def __init__(self, folder: Path, command: list[str], identity: str | None,
                 resumed: bool, files: list[str]):
        self.folder = folder
        self.kept: list[str] = []  # entries --overwrite left (not of a kind nasim writes)
        self.record = {"command": command, "identity": identity, "status": "running",
                       "resumed": resumed, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       "ended": None, "versions": _versions(), "files": files}
        self._save()

    def _save(self) -> None:
        write_text(self.folder / RUN_FILE, json.dumps(self.record, indent=2))

    def finish(self, status: str, message: str = "") -> None:
        """The last write of the run: its ``status``, end time, files and ``message`` (a run
        that failed before writing anything removes its record, and the folder if empty)."""
        kept = {k.rstrip("/") for k in self.kept}  # not this run's: never recorded
        files = sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*")
                       if p.is_file() and p.name != RUN_FILE and not p.name.startswith(".")
                       and p.relative_to(self.folder).parts[0] not in kept)
        if not files and status != "complete":  # nothing written: leave nothing behind
            with contextlib.suppress(OSError):
                (self.folder / RUN_FILE).unlink()
                (self.folder / LOCK_FILE).unlink(missing_ok=True)
                self.folder.rmdir()
            return
        self.record.update(status=status, ended=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           files=files, message=message)
        self._save()


@contextlib.contextmanager
def lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder``'s lock (created with the folder): a second process trying to lock it
    gets an :class:`OutputFolderError` naming the holder; nested locks in one process are
    free. Without ``fcntl`` (Windows) nothing is locked."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"--out {folder}: is an existing file, expected a folder")
    folder.mkdir(parents=True, exist_ok=True)
    key = folder.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(folder / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputFolderError(f"--out {folder}: another run is writing there ({holder}); "
                                    "wait for it or give another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        _HELD[key] = 1
        try:
            yield
        finally:
            del _HELD[key]
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_recorded(folder: Path, previous: dict | None, owned: tuple[str, ...] = ()) -> None:
    """Remove the files an earlier run recorded, the ``owned`` names and its run.json;
    nothing else."""
    for name in [*(previous or {}).get("files", []), *owned]:
        path = (folder / name).resolve()
        if path.is_relative_to(folder.resolve()) and path.is_file():
            path.unlink()
    with contextlib.suppress(FileNotFoundError):
        (folder / RUN_FILE).unlink()


#: what nasim's writers produce: files of these kinds at the top of ``--out`` (tables, reports,
#: figures, the sweep store) and folders holding only these kinds and ``.yaml`` (a replay of
#: several protocols, ``fitted/``); ``--overwrite`` removes these and keeps anything else
OUTPUT_SUFFIXES = (".csv", ".json", ".md", ".png", ".svg", ".pdf", ".sqlite", ".sqlite-wal",
                   ".sqlite-shm")
_FOLDER_SUFFIXES = (*OUTPUT_SUFFIXES, ".yaml")


def _written_by_nasim(path: Path, suffixes: tuple[str, ...]) -> bool:
    """A file of one of ``suffixes`` or a killed run's :func:`atomic` temporary; a folder
    holding only files of :data:`_FOLDER_SUFFIXES`; never a symlink."""
    if path.is_symlink():
        return False
    if path.is_dir():
        return all(_written_by_nasim(p, _FOLDER_SUFFIXES) for p in path.iterdir())
    name = path.name.lower()
    return path.is_file() and (name.endswith(suffixes)
                               or (name.startswith(".") and ".tmp" in name))


def _clear(folder: Path) -> list[str]:
    """Remove what nasim's writers produce from ``folder`` (files of an earlier run that left
    no record, e.g. by an older nasim); the names of the entries kept, sorted."""
    import shutil

    kept = []
    for entry in sorted(folder.iterdir()):
        if entry.name in (LOCK_FILE, RUN_FILE):
            continue
        if not _written_by_nasim(entry, OUTPUT_SUFFIXES):
            kept.append(entry.name + ("/" if entry.is_dir() else ""))
        elif entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return kept


def prepare(folder: str | Path, command: list[str], *, identity: str | None = None,
            overwrite: bool = False, resume: bool = False, resume_files: tuple[str, ...] = (),
            owned: tuple[str, ...] = ()) -> Run:
    """Check ``folder`` for a new run and start its record (see the module doc).

    ``identity``: what makes two runs the same (a study hash); ``resume`` continues a run of
    the same identity, keeping ``resume_files`` (e.g. the sweep store) and removing the rest
    of what it recorded; ``overwrite`` removes what the earlier run recorded, the ``owned``
    names (files a run of this kind may leave before it records them, e.g. the store of a
    killed sweep) and every other file of a kind nasim writes (:data:`OUTPUT_SUFFIXES`: the
    files of a run without ``run.json``); anything else stays, named in ``Run.kept``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"--out {folder}: is an existing file, expected a folder")
    previous = read_run(folder) if folder.is_dir() else None
    entries = ([p.name for p in folder.iterdir() if p.name != LOCK_FILE]
               if folder.is_dir() else [])
    if entries and not overwrite:
        if not resume:
            what = (f"another run ({previous.get('status')}, started {previous.get('started')})"
                    if previous else "files of something else")
            raise OutputFolderError(f"--out {folder}: the folder holds {what}; give --overwrite "
                                    "to replace it" + (", or --resume to continue it"
                                                       if identity else "") +
                                    ", or another --out")
        if previous is None or previous.get("identity") != identity:
            theirs = previous.get("identity") if previous else None
            raise OutputFolderError(f"--out {folder}: --resume needs a folder of the same run "
                                    f"(identity {identity}); it holds "
                                    + (f"identity {theirs}" if theirs else "no run.json")
                                    + "; give --overwrite or another --out")
        keep = {*resume_files}
        previous = dict(previous, files=[f for f in previous.get("files", []) if f not in keep])
        _remove_recorded(folder, previous)
    kept: list[str] = []
    if entries and overwrite:
        _remove_recorded(folder, previous, owned)
        kept = _clear(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputFolderError(f"--out {folder}: a parent of it is a file") from None
    run = Run(folder, command, identity, bool(entries) and resume and not overwrite, [])
    run.kept = kept
    return run


__all__ = ["LOCK_FILE", "OUTPUT_SUFFIXES", "OutputFolderError", "RUN_FILE", "Run", "atomic",
           "lock", "prepare", "read_run", "save", "write_text"]
