"""``localise cohesion``: SROI calculation and SPIRAL sheet checks from the command line.

``localise cohesion sroi FILE`` computes an SROI model (YAML, or CSV impact map with
``--inputs``); ``localise cohesion spiral-check FILE`` validates a SPIRAL criteria,
assessment or action sheet. Bad input exits with code 2 and lists every problem.
"""

from __future__ import annotations

import argparse

from localise.cli_common import add_command_group


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``cohesion`` sub-command with ``sroi`` and ``spiral-check``."""
    _, sub = add_command_group(
        subparsers,
        "cohesion",
        help="social cohesion tools: SROI calculator, SPIRAL sheet check",
        description="Social cohesion tools: the Social Return on Investment (SROI) calculator with "
        "sensitivity and Monte Carlo analysis, and the check of SPIRAL (Council of Europe) "
        "criteria, assessment and action sheets. Bad input exits with code 2 and lists every problem.",
        epilog="""\
examples:
  localise cohesion sroi model.yml --sensitivity
  localise cohesion sroi impact_map.csv --inputs impact_map_inputs.csv --monte-carlo 5000 --seed 1
  localise cohesion sroi model.yml --discount-rate 0.05
  localise cohesion spiral-check criteria.csv

The files named *_illustrative.* in src/localise/cohesion/data are worked examples (not
observations of any real city) in the expected formats.""",
    )
    sroi = sub.add_parser("sroi", help="compute an SROI model (YAML or CSV impact map)")
    sroi.add_argument("file", help="model file (.yml/.yaml) or CSV impact map")
    sroi.add_argument("--inputs", help="inputs CSV for a CSV impact map (default <stem>_inputs.csv)")
    sroi.add_argument("--currency", default="EUR", help="currency of a CSV impact map (default EUR)")
    sroi.add_argument("--discount-rate", type=float, default=None, help="override the discount rate (default 0.035)")
    sroi.add_argument("--sensitivity", action="store_true", help="also print one-at-a-time sensitivity")
    sroi.add_argument("--monte-carlo", type=int, default=0, metavar="N", help="Monte Carlo draws (0 = none)")
    sroi.add_argument("--seed", type=int, default=0, help="seed of the Monte Carlo draws")
    sroi.set_defaults(func=_sroi)
    check = sub.add_parser("spiral-check", help="validate a SPIRAL criteria / assessment / action sheet")
    check.add_argument("file", help="CSV or XLSX sheet")
    check.add_argument("--key-version", default="guide-2010-8", help="coding-key version (default guide-2010-8)")
    check.set_defaults(func=_spiral_check)


def _sroi(args: argparse.Namespace) -> int:
    from pathlib import Path

    from localise.cohesion import sroi

    path = Path(args.file)
    if path.suffix.lower() == ".csv":
        model = sroi.read_sroi_csv(
            path,
            args.inputs,
            currency=args.currency,
            discount_rate=args.discount_rate if args.discount_rate is not None else sroi.DEFAULT_DISCOUNT_RATE,
        )
    else:
        model = sroi.load_sroi(path)
        if args.discount_rate is not None:
            if not 0 <= args.discount_rate < 1:
                from localise.errors import InputError

                raise InputError(f"--discount-rate: expected a number in [0, 1), got {args.discount_rate}")
            model.discount_rate = args.discount_rate
    print(model.fit().summary())
    if args.sensitivity:
        print()
        print(model.sensitivity().summary())
    if args.monte_carlo:
        print()
        print(model.monte_carlo(n_draws=args.monte_carlo, seed=args.seed).summary())
    return 0


def _spiral_check(args: argparse.Namespace) -> int:
    from localise.cohesion import spiral

    print(spiral.check_sheet(args.file, key_version=args.key_version))
    return 0
