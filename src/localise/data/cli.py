"""``localise data ...`` sub-commands: demo, fetch, build, prepare."""

from __future__ import annotations

import argparse
from pathlib import Path

from localise.cli_common import add_command_group


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` sub-command and its actions."""
    _, actions = add_command_group(
        subparsers,
        "data",
        help="fetch, build and inspect the data sets",
        description="Obtain the raw public data (Eurostat, NUTS, EU-SPI, EIGE) from a mirror folder or "
        "online into data/raw/, build the processed panels in data/processed/, or write the seeded "
        "SYNTHETIC demo data used when no real data are there.",
        epilog="""\
examples:
  localise data prepare                       fetch + build (mirror or network), else the demo
  localise data fetch --mirror ../shared/data copy the raw files from a mirror folder
  localise data fetch --offline --only lfst_r_lfu3rt
  localise data build --nuts-version 2016 2021
  localise data demo --seed 7                 SYNTHETIC demo data only

The mirror folder can also be given once as LOCALISE_DATA_MIRROR.""",
    )

    p = actions.add_parser("demo", help="write the seeded SYNTHETIC demo data to data/processed/demo/")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: localise.data.demo.DEFAULT_SEED)")
    p.set_defaults(func=_demo)

    p = actions.add_parser(
        "fetch",
        help="copy raw files from the mirror (Eurostat, NUTS, SPI, EIGE, city, governance: EQI, RAI, LAI, IMF FD, CWS) "
        "or download the Eurostat ones",
    )
    p.add_argument("--mirror", type=Path, default=None, help="mirror folder (default: $LOCALISE_DATA_MIRROR)")
    p.add_argument("--offline", action="store_true", help="never use the network")
    p.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="CODE",
        help="fetch only these catalogue codes (Eurostat codes or eqi, rai, lai, imf_fd, cws)",
    )
    p.add_argument(
        "--accept-changes",
        action="store_true",
        help="replace raw files whose mirror copy differs from data/raw/MANIFEST (a new vintage)",
    )
    p.set_defaults(func=_fetch)

    p = actions.add_parser(
        "build", help="build the processed panels and governance tables in data/processed/ from data/raw/"
    )
    p.add_argument("--nuts-version", type=int, nargs="*", default=None, help="NUTS version(s) of the regional panel")
    p.set_defaults(func=_build)

    p = actions.add_parser("prepare", help="fetch + build when a mirror or the network is there, else the demo")
    p.add_argument("--mirror", type=Path, default=None, help="mirror folder (default: $LOCALISE_DATA_MIRROR)")
    p.add_argument("--offline", action="store_true", help="never use the network")
    p.set_defaults(func=_prepare)


def _demo(args: argparse.Namespace) -> int:
    from localise.data import demo

    seed = demo.DEFAULT_SEED if args.seed is None else args.seed
    files = demo.write_demo(seed)
    print(f"wrote SYNTHETIC demo data (seed {seed}) to {files['metadata'].parent}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from localise.data import fetch

    fetch.fetch_all(mirror=args.mirror, offline=args.offline, only=args.only, accept_changes=args.accept_changes)
    return 0


def _build(args: argparse.Namespace) -> int:
    from localise.data import build

    build.build_all(nuts_versions=args.nuts_version)
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from localise.data import build

    return build.prepare(mirror=args.mirror, offline=args.offline)
