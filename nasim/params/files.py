"""Reading user files with bounded work: YAML whose alias expansion is limited, size and row
limits, references that cannot loop or leave their project, and CSV errors that name the file
but never echo it.

Every reader raises :class:`UnsafeFile` (a ``ValueError``) with one line that does not name
the file; the callers (:mod:`nasim.params.loading`, the protocol, fit and study loaders) add
the file and the field.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
from pathlib import Path

import yaml

# libyaml's safe loader when PyYAML was built with it (same safe subset, ~8x faster)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: the bundled YAML files are below 30 kB and CSV tables below 40 kB
MAX_YAML_BYTES = 2_000_000
MAX_TABLE_BYTES = 20_000_000
#: nodes of a YAML document once every alias is expanded (a "billion laughs" has 10^9)
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 64
#: rows of a CSV table or measured curve
MAX_TABLE_ROWS = 200_000
#: extra directories a reference may point into (os.pathsep-separated), besides the project
ALLOW_ENV = "NASIM_ALLOW_PATHS"
#: a directory holding one of these is the root of a project: references stay inside it
PROJECT_MARKERS = (".git", "pyproject.toml", ".nasim-project")
REFERENCE_SUFFIXES = {"yaml": (".yaml", ".yml"), "table": (".csv",)}


class UnsafeFile(ValueError):
    """A file that cannot be read safely (or a reference that may not be followed)."""


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxtuple = 2, 4, 4, 4
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 60, 60, 40


def short_repr(value) -> str:
    """``repr`` of ``value`` in bounded time and length (a few levels and items)."""
    text = _SHORT.repr(value)
    return text if len(text) < 80 else text[:77] + "..."


def resolved(path: str | Path) -> Path:
    """``path`` made absolute with symlinks resolved; a symlink loop is an :class:`UnsafeFile`."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: "Symlink loop" (Python < 3.13)
        raise UnsafeFile(f"cannot resolve {str(path)!r}: symlink loop or unreadable path "
                         f"({type(exc).__name__})") from None


def check_size(path: Path, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise UnsafeFile(f"{what} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:g} MB")


def _project_root(path: Path) -> Path | None:
    for parent in path.parents:
        if any((parent / m).exists() for m in PROJECT_MARKERS):
            return parent
    return None


def allowed_roots(referencing: Path) -> list[Path]:
    """Where files referenced from ``referencing`` may live: its project (the nearest parent
    holding a :data:`PROJECT_MARKERS` entry) and the :data:`ALLOW_ENV` directories; an empty
    list when the file is in no project (then only the suffix is checked)."""
    root = _project_root(referencing)
    if root is None:
        return []
    extra = [resolved(p) for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]
    return [root, *extra]


def reference(referencing: Path, ref: str | Path, kind: str) -> Path:
    """The file ``ref`` (relative to the directory of ``referencing``) names: resolved without
    looping, a ``kind`` file by its suffix (``yaml`` or ``table``), inside the allowed roots.
    Does not check that it exists."""
    target = resolved(Path(referencing).parent / ref)
    suffixes = REFERENCE_SUFFIXES[kind]
    if target.suffix.lower() not in suffixes:
        raise UnsafeFile(f"{str(ref)!r} is not a {'/'.join(suffixes)} file")
    roots = allowed_roots(Path(referencing))
    if roots and not any(target.is_relative_to(r) for r in roots):
        raise UnsafeFile(f"{str(ref)!r} points outside the project {roots[0]} (to allow another "
                         f"folder, list it in the environment variable {ALLOW_ENV})")
    return target


def read_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of ``path`` (at most ``limit`` bytes)."""
    check_size(path, limit, what)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UnsafeFile(f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                         f"{line}); save it as UTF-8") from None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_expansion(root: yaml.Node, max_nodes: int = MAX_YAML_NODES,
                    max_depth: int = MAX_YAML_DEPTH) -> int:
    """The number of nodes of ``root`` with every alias expanded, counted once per distinct
    node (linear time); refuses recursive aliases, deeper nesting than ``max_depth`` and more
    than ``max_nodes`` nodes."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, 0, False)]
    while stack:
        node, depth, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > max_nodes:
                raise UnsafeFile(f"YAML expands to more than {max_nodes} values (aliases "
                                 "repeating aliases?); refused")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise UnsafeFile(f"YAML alias refers to itself (line {node.start_mark.line + 1})")
        if depth > max_depth:
            raise UnsafeFile(f"YAML nested deeper than {max_depth} levels (line "
                             f"{node.start_mark.line + 1})")
        open_nodes.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node) if id(c) not in sizes)
    return sizes.get(id(root), 0)


def load_yaml(path: Path) -> object:
    """The YAML document in ``path`` read with the safe loader, after the size, encoding and
    alias-expansion checks (yaml.YAMLError for bad syntax)."""
    loader = SAFE_LOADER(read_text(path, MAX_YAML_BYTES, "YAML file"))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


#: a column name shown in a message: a short label (letters first), never a line of data
_COLUMN_NAME = re.compile(r"[A-Za-z][\w .()\[\]/%-]{0,39}")


def _header_text(header: list[str]) -> str:
    """The columns of a CSV header for a message, when the first line looks like one (two or
    more short labels); else only their count: a file that is not a table (``/etc/passwd``)
    is never echoed."""
    if len(header) >= 2 and all(_COLUMN_NAME.fullmatch(h) for h in header):
        return f"columns: {header[:12]}{' ...' if len(header) > 12 else ''}"
    return (f"its first line is not a header of column names ({len(header)} field"
            f"{'s' if len(header) != 1 else ''}); expected a CSV table with a header row")


def read_columns(path: Path, columns: tuple[str, ...]) -> tuple[list[list[float]], list[str]]:
    """Numeric, finite ``columns`` of a CSV file (at most :data:`MAX_TABLE_ROWS` rows) and the
    file's header; errors name the column and the CSV line, never the file's content."""
    import csv

    text = read_text(path, MAX_TABLE_BYTES, "CSV file")
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        raise UnsafeFile(f"no column {missing[0]!r} ({_header_text(header)})")
    out: list[list[float]] = [[] for _ in columns]
    for line, row in enumerate(reader, start=2):
        if line > MAX_TABLE_ROWS + 1:
            raise UnsafeFile(f"more than {MAX_TABLE_ROWS} rows; the limit is {MAX_TABLE_ROWS}")
        row = {k.strip(): v for k, v in row.items() if k is not None}
        for values, c in zip(out, columns, strict=True):
            cell = row.get(c)
            try:
                v = float(cell)
            except (TypeError, ValueError):
                v = math.nan
            if not math.isfinite(v):
                raise UnsafeFile(f"row {line}: non-numeric or non-finite value "
                                 f"{short_repr(cell)} in column {c!r}; expected a finite "
                                 "number (the header is row 1)")
            values.append(v)
    return out, header


__all__ = ["UnsafeFile", "check_expansion", "load_yaml", "read_columns", "reference",
           "resolved", "short_repr"]
