"""``localise qca``: check the engine against the R reference cases; minimise a CSV."""

from __future__ import annotations

import argparse

from localise.cli_common import add_command_group


def register(subparsers) -> None:
    _, sub = add_command_group(
        subparsers,
        "qca",
        help="QCA engine: reference check, truth table and minimisation",
        description="Qualitative Comparative Analysis: compare the engine with the reference cases "
        "computed by R's QCA package, or build the truth table of a CSV of calibrated (crisp or "
        "fuzzy) sets and minimise it.",
        epilog="""\
examples:
  localise qca check                                 every R reference case (LOCALISE_QCA_REFERENCE)
  localise qca minimize cases.csv --outcome PROTEST --incl-cut 0.8
  localise qca minimize cases.csv --outcome PROTEST --conditions DEMOC,GEOCON --include '?'
  localise qca minimize cases.csv --outcome PROTEST --include '?' --dir-exp 'DEMOC, ~GEOCON'

The CSV's first column holds the case names; the other columns are set memberships.""",
    )
    check = sub.add_parser("check", help="run every R QCA reference case (and those under random/) and compare")
    check.add_argument("--reference", default=None, help="reference folder (default LOCALISE_QCA_REFERENCE)")
    check.set_defaults(func=_check)
    mini = sub.add_parser("minimize", help="truth table and minimisation of a CSV (first column = case names)")
    mini.add_argument("csv")
    mini.add_argument("--outcome", required=True)
    mini.add_argument("--conditions", default=None, help="comma-separated (default: all other columns)")
    mini.add_argument("--incl-cut", type=float, nargs="+", default=[1.0])
    mini.add_argument("--n-cut", type=int, default=1)
    mini.add_argument("--pri-cut", type=float, default=0.0)
    mini.add_argument("--include", default="", help="'' conservative, '?' parsimonious")
    mini.add_argument("--dir-exp", default=None, help="directional expectations, e.g. 'A, ~B'")
    mini.set_defaults(func=_minimize)


def _check(args: argparse.Namespace) -> int:
    from pathlib import Path

    from localise import paths
    from localise.qca.reference import check_directory

    folder = Path(args.reference) if args.reference else paths.qca_reference_dir()
    results = check_directory(folder)
    if (folder / "random" / "cases").is_dir():  # the random problems kept beside the shared cases
        results.update({f"random/{k}": v for k, v in check_directory(folder / "random").items()})
    if not results:
        print("no reference cases found")
        return 1
    failed = {k: v for k, v in results.items() if v}
    for case, diffs in sorted(results.items()):
        print(f"{'FAIL' if diffs else 'ok  '} {case}" + (f": {diffs[0]}" if diffs else ""))
    print(f"{len(results) - len(failed)} of {len(results)} reference cases identical")
    return 1 if failed else 0


def _minimize(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from localise.errors import InputError
    from localise.qca import minimize, truth_table
    from localise.tables import read_table

    path = Path(args.csv)
    what = "QCA data table (first column = case names)"
    data = read_table(path, what=what, index_col=0)
    # case names verbatim: labels such as NA (Namibia) must not become missing values
    labels = read_table(path, what=what, as_text=True).iloc[:, 0]
    data.index = pd.Index(labels.to_numpy(dtype=object), name=data.index.name)
    try:
        tt = truth_table(
            data, args.outcome, args.conditions, incl_cut=args.incl_cut, n_cut=args.n_cut, pri_cut=args.pri_cut
        )
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    print(tt)
    print()
    print(minimize(tt, include=args.include, dir_exp=args.dir_exp))
    return 0
