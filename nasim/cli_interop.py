"""The PyBaMM-ecosystem verbs of the ``nasim`` command line (``export-bpx``, ``import-bpx``)
and ``replay --experiment``'s protocol file; :mod:`nasim.cli` registers and calls them."""

from __future__ import annotations

import json
from pathlib import Path

from nasim.cli_support import EXIT_OK


def check_experiment(args) -> None:
    """replay --experiment: one CELL, and every string one nasim can run (a ValueError naming
    the string otherwise), before the output folder is made."""
    from nasim.protocols.experiment import experiment_step

    if len(args.protocol) != 1:
        raise ValueError(f"replay --experiment takes one CELL (a cell file or bundled cell "
                         f"name), got {len(args.protocol)}: {' '.join(args.protocol)}")
    for text in args.experiment:
        experiment_step(text)


def experiment_file(args) -> Path:
    """The --experiment strings as a protocol file on CELL, written to the output folder
    (experiment.yaml: what ran, and a file to edit and replay again)."""
    import yaml

    from nasim.params.bundle import resolve
    from nasim.rundir import write_text

    doc = {"kind": "protocol", "name": "PyBaMM experiment", "cell":
           resolve(args.protocol[0], "cell").resolve().as_posix(), "model": args.model or "DFN",
           "initial_state": args.initial_state, "source": "nasim replay --experiment (PyBaMM "
           "Experiment strings; C is nasim's 1C, the cell file's)", "steps": args.experiment}
    return write_text(Path(args.out) / "experiment.yaml",
                      yaml.safe_dump(doc, sort_keys=False, width=100))


def cmd_export_bpx(args) -> int:
    from nasim.interop.bpx import to_bpx
    from nasim.rundir import write_text

    doc = to_bpx(args.cell)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(doc, indent=1))
    print(f"wrote {out} (BPX {doc['Header']['BPX']}; nasim-only values under "
          "Parameterisation/User-defined and Header/Description)")
    return EXIT_OK


def cmd_import_bpx(args) -> int:
    from nasim.interop.bpx_import import from_bpx

    paths = from_bpx(args.bpx, out=args.out, name=args.name, overwrite=args.overwrite)
    print(f"wrote {paths[0]} (valid; check it with `nasim params show {paths[0]}`) and "
          f"{len(paths) - 1} files it uses under {args.out}")
    return EXIT_OK


def add_parsers(sub) -> None:
    """The export-bpx and import-bpx verbs."""
    bx = sub.add_parser("export-bpx", help="a full cell as a BPX file (loads in PyBaMM with "
                        "ParameterValues.create_from_bpx)")
    bx.add_argument("cell", help="cell file or bundled cell name")
    bx.add_argument("--out", required=True, help="BPX JSON file to write")
    bx.set_defaults(func=cmd_export_bpx)
    ib = sub.add_parser("import-bpx", help="a BPX file as nasim cell, material and electrolyte "
                        "files (sources: the file's references, or imported from it)")
    ib.add_argument("bpx", help="BPX JSON file")
    ib.add_argument("--out", required=True, help="folder for cells/, materials/, electrolytes/")
    ib.add_argument("--name", help="file stem (default: the exported cell's, or the file's)")
    ib.add_argument("--overwrite", action="store_true", help="replace files of the same name")
    ib.set_defaults(func=cmd_import_bpx)


def add_experiment_options(replay) -> None:
    """replay's --experiment and --initial-state."""
    from nasim.params.names import INITIAL_STATES

    replay.add_argument("--experiment", action="append", help="a PyBaMM Experiment step, e.g. "
                        "'Discharge at C/10 until 2.0 V' (repeat for more steps; C is nasim's "
                        "1C, the cell file's, not PyBaMM's nominal capacity; power and "
                        "resistance steps are refused)")
    replay.add_argument("--initial-state", choices=INITIAL_STATES, default="charged",
                        help="start of an --experiment run (default charged)")
