"""``localise grid``: coding sheets and reliability from the command line.

Sub-commands::

    localise grid template --cases FR_MULHOUSE SE_UMEA --coders anna ben --out coding/
    localise grid check coding/coding_anna.csv coding/coding_ben.xlsx
    localise grid merge coding/*.csv --out merged.csv
    localise grid reliability merged.csv --level ordinal --n-boot 1000

Bad input (unknown case, level outside 0-3, missing rationale...) exits with code 2
and lists every problem with file, row and column; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localise.cli_common import add_command_group


def register(subparsers) -> None:
    """Add the ``grid`` sub-command to the ``localise`` parser."""
    _, commands = add_command_group(
        subparsers,
        "grid",
        help="analytical grid: coding sheets, checks, merge, reliability",
        description="The analytical grid's coding workflow: blank coding sheets for coders, checks of "
        "filled sheets against the codebook and the case registry, merging coders' sheets, and "
        "inter-coder reliability (Krippendorff's alpha). Bad input exits with code 2 and lists "
        "every problem with file, row and column; nothing is written then.",
        epilog="""\
examples:
  localise grid template --cases FR_MULHOUSE SE_UMEA --coders anna ben --out coding/
  localise grid check coding/coding_anna.csv coding/coding_ben.xlsx
  localise grid merge coding/coding_anna.csv coding/coding_ben.csv --out merged.csv
  localise grid reliability merged.csv --level ordinal --n-boot 1000

Run 'localise grid ACTION --help' for the options of one action.""",
    )

    p = commands.add_parser("template", help="write blank coding sheets (CSV and XLSX with drop-downs)")
    p.add_argument("--cases", nargs="+", required=True, help="case ids from the registry")
    p.add_argument("--coders", nargs="+", required=True, help="coder names (one sheet per coder)")
    p.add_argument("--dimensions", nargs="*", default=None, help="dimension ids (default: all)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--format", choices=["csv", "xlsx", "both"], default="both")
    p.add_argument("--force", action="store_true", help="replace sheets that already exist (default: refuse)")
    _add_input_options(p)
    p.set_defaults(func=_template)

    p = commands.add_parser("check", help="validate filled coding sheets; exit 2 with every problem listed")
    p.add_argument("sheets", nargs="+")
    _add_input_options(p)
    p.set_defaults(func=_check)

    p = commands.add_parser("merge", help="merge coders' sheets into one long table and list disagreements")
    p.add_argument("sheets", nargs="+")
    p.add_argument("--out", required=True, help="merged CSV")
    p.add_argument("--disagreements", default=None, help="CSV of disagreements (default: <out>_disagreements.csv)")
    _add_input_options(p)
    p.set_defaults(func=_merge)

    p = commands.add_parser("reliability", help="Krippendorff's alpha per dimension from a merged table")
    p.add_argument("merged", help="merged CSV written by 'localise grid merge'")
    p.add_argument(
        "--level",
        choices=["nominal", "ordinal", "interval"],
        default="ordinal",
        help="metric for the 0-3 dimensions (the mode of governance is always nominal)",
    )
    p.add_argument("--codebook", default=None, help="codebook YAML (default: the shipped one)")
    p.add_argument("--codebook-version", default=None)
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.667)
    p.add_argument("--out", default=None, help="CSV for the table (default: print only)")
    p.set_defaults(func=_reliability)


def _add_input_options(p: argparse.ArgumentParser) -> None:
    """Options naming the codebook, extra case registries and the year of inherited national codes."""
    p.add_argument("--codebook", default=None, help="codebook YAML (default: the shipped one)")
    p.add_argument("--codebook-version", default=None, help="version of a shipped codebook, e.g. 1.0")
    p.add_argument("--registry-extra", nargs="*", default=None, help="further case-registry CSV files")
    p.add_argument(
        "--as-of", type=int, default=2012, help="year of the national codes inherited rows take (default 2012)"
    )


def _inputs(args):
    from localise.grid import load_case_registry, load_codebook, load_national_frameworks

    codebook = load_codebook(args.codebook, version=args.codebook_version)
    registry = load_case_registry(extra=args.registry_extra)
    frameworks = load_national_frameworks(as_of=args.as_of)
    return codebook, registry, frameworks


def _template(args) -> int:
    from localise.grid.coding import template_frame, write_template
    from localise.outputs import refuse_existing

    codebook, registry, _ = _inputs(args)
    template_frame(args.cases, args.coders, codebook=codebook, registry=registry, dimensions=args.dimensions)
    out = Path(args.out)
    suffixes = {"csv": [".csv"], "xlsx": [".xlsx"], "both": [".csv", ".xlsx"]}[args.format]
    refuse_existing([out / f"coding_{c}{s}" for c in args.coders for s in suffixes], force=args.force)
    written = []
    for coder in args.coders:
        stem = out / f"coding_{coder}"
        written += write_template(
            args.cases,
            [coder],
            codebook=codebook,
            registry=registry,
            dimensions=args.dimensions,
            csv_path=f"{stem}.csv" if args.format in ("csv", "both") else None,
            xlsx_path=f"{stem}.xlsx" if args.format in ("xlsx", "both") else None,
        )
    for path in written:
        print(path)
    return 0


def _check(args) -> int:
    from localise.grid.coding import merge_sheets

    codebook, registry, frameworks = _inputs(args)
    result = merge_sheets(args.sheets, codebook=codebook, registry=registry, frameworks=frameworks)
    print(f"OK: {result.summary()}")
    return 0


def _merge(args) -> int:
    from localise.atomic import atomic_path
    from localise.grid.coding import merge_sheets
    from localise.outputs import check_distinct

    out = Path(args.out)
    target = Path(args.disagreements) if args.disagreements else out.with_name(f"{out.stem}_disagreements.csv")
    check_distinct(args.sheets, {"--out": out, "--disagreements": target})
    codebook, registry, frameworks = _inputs(args)
    result = merge_sheets(args.sheets, codebook=codebook, registry=registry, frameworks=frameworks)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        result.table.to_csv(tmp, index=False)
    with atomic_path(target) as tmp:
        result.disagreements.to_csv(tmp, index=False)
    print(result.summary())
    print(out)
    print(target)
    return 0


def _reliability(args) -> int:
    import pandas as pd

    from localise.errors import InputError
    from localise.grid import load_codebook
    from localise.grid.reliability import check_merged_codes, grid_reliability
    from localise.outputs import check_distinct
    from localise.tables import check_number, read_table

    check_number(args.threshold, name="--threshold", low=0.0, high=1.0, expected=" (alpha below it is flagged)")
    if args.n_boot < 0:
        raise InputError(f"--n-boot {args.n_boot}: expected 0 (no interval) or a positive number of resamples")
    path = Path(args.merged)
    if args.out:
        check_distinct([path], {"--out": args.out})
    table = read_table(path, what="merged coding table", keep_default_na=False, na_values=[""])
    needed = {"case_id", "dimension", "coder", "level"}
    if not needed <= set(table.columns):
        raise InputError(f"{path}: expected columns {sorted(needed)} (a table written by 'localise grid merge')")
    if "category" not in table.columns:
        table["category"] = ""
    table["category"] = table["category"].fillna("").astype(str)
    codebook = load_codebook(args.codebook, version=args.codebook_version)
    check_merged_codes(table, codebook, source=str(path))
    result = grid_reliability(
        table, codebook=codebook, level=args.level, n_boot=args.n_boot, seed=args.seed, threshold=args.threshold
    )
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(result.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    if args.out:
        from localise.atomic import atomic_path

        with atomic_path(Path(args.out)) as tmp:
            result.to_csv(tmp, index=False)
    flagged = result.loc[result["flag_unreliable"], "dimension"].tolist()
    if flagged:
        print(f"flagged (alpha < {args.threshold}): {', '.join(map(str, flagged))}", file=sys.stderr)
    return 0
