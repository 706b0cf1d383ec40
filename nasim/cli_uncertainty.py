"""``nasim replay --uncertainty``: the command-line side of :mod:`nasim.uncertainty`."""

from __future__ import annotations

import argparse
import sys

from nasim.cli_support import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from nasim.params.names import DEFAULT_SAMPLES, VARY

    g = parser.add_argument_group("uncertainty (95 % intervals of every predicted number)")
    g.add_argument("--uncertainty", action="store_true",
                   help="sample the assumed ranges and the fitted intervals (Latin hypercube) "
                        "and report the 2.5/97.5 percentiles, drivers.csv and tornado figures")
    g.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help=f"number of samples (default {DEFAULT_SAMPLES})")
    g.add_argument("--seed", type=int, default=None, help="seed of the samples (reproducible)")
    g.add_argument("--vary", choices=VARY, default="all",
                   help="which inputs vary: assumed (and literature) ranges, fitted intervals, "
                        "or all (default)")
    g.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                   help="input path (or file:path) pattern to hold at its value; repeatable")
    g.add_argument("--exclude-file", help="file of such patterns, one a line")
    g.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: one per core)")
    g.add_argument("--scheduler", help="Dask scheduler address, or 'dask-local'")


def replay(args, files, out) -> int:
    """Each protocol with its intervals; exit 1 when the central run (the files' values) or
    every sample failed; failed samples are counted on stderr and in report.md."""
    from nasim.uncertainty.run import replay_uncertainty

    if args.samples < 2:
        print(f"error: --samples must be >= 2 (got {args.samples})", file=sys.stderr)
        return EXIT_BAD_INPUT
    exit_code = EXIT_OK
    for path in files:
        target = out if len(files) == 1 else out / path.stem
        result = replay_uncertainty(
            path, args.model, samples=args.samples, seed=args.seed, vary=args.vary,
            exclude=args.exclude, exclude_file=args.exclude_file, workers=args.workers,
            scheduler=args.scheduler, cell=args.cell, sequential=args.sequential,
            aging=None if args.aging is None else
            ([] if args.aging == "none" else args.aging.split(",")), progress=not args.quiet,
            accelerate=args.accelerate)
        result.write(target)
        if not args.quiet:
            comp = result.comparisons()
            print(f"{path.name}: {len(result.records)} samples, {result.n_failed} failed, "
                  f"{len(result.inputs)} inputs, {result.wall_time_s:.1f} s -> {target}")
            for r in comp.itertuples():
                print(f"  {r.quantity:<34s} step {r.step!s:>4s}: {r.simulated:.4g} "
                      f"[{r.p2_5:.4g}, {r.p97_5:.4g}], measured {r.measured:.4g}"
                      f"{'' if r.inside else ' (outside)'}")
        if result.n_failed:  # counted and reported; the percentiles use the others
            print(f"{path.name}: {result.n_failed} of {len(result.records)} samples failed "
                  "(reasons in uncertainty.csv and report.md)", file=sys.stderr)
        if len(result.nominal.failed) or result.n_failed == len(result.records):
            exit_code = EXIT_FAILED  # the central run, or every sample, failed
    return exit_code
