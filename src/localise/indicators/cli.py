"""``localise indicators``: list frameworks, compute a composite on a CSV, run the uncertainty analysis."""

from __future__ import annotations

import argparse
from pathlib import Path

from localise.cli_common import add_command_group

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``indicators`` sub-command."""
    _, sub = add_command_group(
        subparsers,
        "indicators",
        help="composite indicators (EU-SPI, social cohesion index)",
        description="Composite indicators: list and validate the shipped frameworks (EU Social "
        "Progress Index 2016 and 2020, regional social cohesion index), compute a framework's "
        "scores on a CSV of units by indicators, and run the Monte Carlo uncertainty and Sobol "
        "sensitivity analysis.",
        epilog="""\
examples:
  localise indicators list
  localise indicators show eu_spi_2020
  localise indicators compute regional_social_cohesion data.csv --weighting equal -o scores.csv
  localise indicators compute eu_spi_2020 data.csv --order 0.5 --impute group_mean --group-column country
  localise indicators uncertainty eu_spi_2020 data.csv --replications 2000 --seed 1 -o ranks.csv

The CSV holds one row per unit (first column: its id) and one column per indicator.""",
    )

    p_list = sub.add_parser("list", help="list the shipped frameworks")
    p_list.set_defaults(func=_list)

    p_show = sub.add_parser("show", help="validate and print a framework (name or YAML path)")
    p_show.add_argument("framework")
    p_show.set_defaults(func=_show)

    p_comp = sub.add_parser("compute", help="compute a framework on a CSV of units x indicator columns")
    p_comp.add_argument("framework", help="shipped framework name or YAML path")
    p_comp.add_argument("csv", help="input CSV: one row per unit, one column per indicator")
    p_comp.add_argument("--unit-column", default=None, help="column holding the unit ids (default: first column)")
    p_comp.add_argument("--group-column", default=None, help="column with groups for group_mean imputation")
    p_comp.add_argument("--normalisation", default=None)
    p_comp.add_argument("--weighting", default="framework", choices=["framework", "equal", "pca"])
    p_comp.add_argument(
        "--order",
        type=float,
        default=None,
        help="order p of the power mean at every aggregate level (overrides the framework); "
        "a finite number in [-50, 50]",
    )
    p_comp.add_argument("--impute", default=None, choices=["none", "mean", "group_mean", "em"])
    p_comp.add_argument("--winsorise", action="store_true")
    p_comp.add_argument("--output", "-o", default=None, help="write the long score table to this CSV")
    p_comp.set_defaults(func=_compute)

    p_unc = sub.add_parser("uncertainty", help="Monte Carlo rank intervals and Sobol indices on a CSV")
    p_unc.add_argument("framework")
    p_unc.add_argument("csv")
    p_unc.add_argument("--unit-column", default=None)
    p_unc.add_argument("--replications", type=int, default=1000)
    p_unc.add_argument("--seed", type=int, default=0)
    p_unc.add_argument("--scheduler", default=None, help="address of a Dask scheduler (tcp://host:port)")
    p_unc.add_argument("--output", "-o", default=None, help="write the rank summary to this CSV")
    p_unc.set_defaults(func=_uncertainty)


def _read(args: argparse.Namespace):
    from localise.errors import InputError
    from localise.tables import read_table

    path = Path(args.csv)
    df = read_table(path, what="indicator table (one row per unit, one column per indicator)")
    col = args.unit_column or df.columns[0]
    if col not in df.columns:
        raise InputError(f"{path}: --unit-column {col!r} is not a column; columns: {list(df.columns)}")
    df = df.set_index(col)
    df.attrs["path"] = str(path)
    return df


def _list(args: argparse.Namespace) -> int:
    from localise.indicators import available_frameworks, load_framework

    for name in available_frameworks():
        print(f"{name:28} {load_framework(name)!r}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from localise.indicators import load_framework

    fw = load_framework(args.framework)
    print(repr(fw))
    print(fw.to_frame().to_string(index=False))
    return 0


def _compute(args: argparse.Namespace) -> int:
    from localise.indicators import CompositeIndicator, load_framework

    fw = load_framework(args.framework)
    if args.output:
        from localise.outputs import check_distinct

        check_distinct([args.csv], {"--output": args.output})
    data = _read(args)
    aggregation = None
    if args.order is not None:
        from localise.indicators.methods import ORDER_RANGE
        from localise.tables import check_number

        check_number(
            args.order,
            name="--order",
            low=ORDER_RANGE[0],
            high=ORDER_RANGE[1],
            expected=" (order p of the power mean: 1 arithmetic, 0 geometric, -1 harmonic)",
        )
        aggregation = {lv: {"method": "power", "order": args.order} for lv in fw.levels[1:]}
    missing = {fw.levels[0]: {"policy": args.impute}} if args.impute else None
    groups = data[args.group_column] if args.group_column else None
    model = CompositeIndicator(
        fw,
        normalisation=args.normalisation,
        weighting=args.weighting,
        aggregation=aggregation,
        missing=missing,
        outliers="winsorise" if args.winsorise else "none",
    )
    res = model.fit(data, groups=groups)
    print(res.summary())
    if args.output:
        from localise.atomic import atomic_write_text

        atomic_write_text(Path(args.output), res.to_frame().to_csv(index=False))
        print(f"scores written to {args.output}")
    return 0


def _uncertainty(args: argparse.Namespace) -> int:
    from localise.indicators.uncertainty import UncertaintyAnalysis

    if args.output:
        from localise.outputs import check_distinct

        check_distinct([args.csv], {"--output": args.output})
    data = _read(args)
    res = UncertaintyAnalysis(
        args.framework, n_replications=args.replications, seed=args.seed, scheduler=args.scheduler
    ).run(data)
    print(res.summary())
    if args.output:
        from localise.atomic import atomic_write_text

        atomic_write_text(Path(args.output), res.to_frame().to_csv(index=False))
        print(f"rank summary written to {args.output}")
    return 0
