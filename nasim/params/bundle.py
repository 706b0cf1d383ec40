"""The bundled files: parameter sets, experiments (protocols), studies and measured data.

In a source checkout they are the repository's top-level folders ``parameter_sets/``,
``experiments/``, ``studies/`` and ``data/``; an installed wheel carries the same folders as
package data under ``nasim/_bundled/`` (``setup.py`` maps them there), so the relative paths
between them (a cell's ``../materials/heo.yaml``, a protocol's ``../parameter_sets/...``) hold in
both. ``bundled("cells/heo_half.yaml")`` gives a file's path; :func:`resolve` lets every loader
take a bare name (``load_cell("heo_half")``, ``nasim simulate heo_half``).
"""

from __future__ import annotations

from pathlib import Path

FOLDERS = ("parameter_sets", "experiments", "studies", "data")
# a file kind and the folder its bundled files live in (relative to the bundled root)
KIND_FOLDERS = {
    "cell": "parameter_sets/cells",
    "material": "parameter_sets/materials",
    "electrolyte": "parameter_sets/electrolytes",
    "protocol": "experiments",
    "study": "studies",
}
_SUFFIXES = (".yaml", ".yml")
_PACKAGE = Path(__file__).resolve().parents[1]


def bundled_root() -> Path:
    """The folder holding ``parameter_sets/``, ``experiments/``, ``studies/`` and ``data/``:
    ``nasim/_bundled`` in an installed wheel, the repository root in a source checkout."""
    for root in (_PACKAGE / "_bundled", _PACKAGE.parent):
        if all((root / folder).is_dir() for folder in FOLDERS):
            return root
    raise FileNotFoundError(f"no bundled files next to {_PACKAGE} (expected _bundled/ or a "
                            f"source checkout with {', '.join(FOLDERS)})")


def bundled(relative: str | Path) -> Path:
    """The path of a bundled file, e.g. ``bundled("cells/heo_half.yaml")`` (``cells/``,
    ``materials/`` and ``electrolytes/`` are under ``parameter_sets/``) or
    ``bundled("experiments/heo_half_rate_25C.yaml")``."""
    root = bundled_root()
    relative = Path(relative)
    first = relative.parts[0] if relative.parts else ""
    candidate = root / relative if first in FOLDERS else root / "parameter_sets" / relative
    if not candidate.exists():
        raise FileNotFoundError(f"no bundled file {str(relative)!r} (looked for {candidate}); "
                                "`nasim list` shows what is bundled")
    return candidate


def names(kind: str) -> list[str]:
    """The bundled files of ``kind`` (cell, material, electrolyte, protocol, study) by name."""
    folder = bundled_root() / KIND_FOLDERS[kind]
    return sorted(p.stem for p in folder.iterdir() if p.suffix in _SUFFIXES)


def resolve(path_or_name: str | Path, *kinds: str) -> Path:
    """``path_or_name`` as a path when it is one; a bare name (no folder, no suffix) that is
    not an existing file is the bundled file of that name among ``kinds`` (cell, material,
    electrolyte, protocol, study; the first that has it). Anything else is returned unchanged,
    so a missing file is reported by the loader as before."""
    path = Path(path_or_name)
    if path.exists() or len(path.parts) != 1 or path.suffix:
        return path
    try:
        root = bundled_root()
    except FileNotFoundError:
        return path
    for kind in kinds:
        for suffix in _SUFFIXES:
            candidate = root / KIND_FOLDERS[kind] / f"{path.name}{suffix}"
            if candidate.is_file():
                return candidate
    from nasim.params.loading import ParameterFileError

    known = "; ".join(f"{kind}s: {', '.join(names(kind))}" for kind in kinds)
    raise ParameterFileError(path, [f"not a file, and no bundled {' or '.join(kinds)} of that "
                                    f"name (bundled {known})"], "file or bundled name")


def listing() -> dict[str, list[str]]:
    """Every bundled file, by folder relative to the bundled root (what `nasim list` prints)."""
    root = bundled_root()
    out: dict[str, list[str]] = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out.setdefault(str(path.parent.relative_to(root)), []).append(path.name)
    return out
