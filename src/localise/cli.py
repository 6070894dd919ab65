"""The ``localise`` command: parses arguments, then calls the capability packages.

Sub-commands of the capability packages are contributed by a ``register`` function
in ``localise.<package>.cli``; a package that is absent contributes nothing.
Exit codes: 0 success, 1 a run or a check failed, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from localise.errors import DataUnavailableError, InputError

#: Packages that may contribute sub-commands, in the order they appear in ``--help``.
PLUGIN_MODULES = (
    "localise.suite.cli",
    "localise.data.cli",
    "localise.grid.cli",
    "localise.qca.cli",
    "localise.indicators.cli",
    "localise.cohesion.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="localise",
        description="Notebook suite for the comparative analysis of local governance of social cohesion.",
        epilog="""\
examples:
  localise data prepare                   obtain and build the data (or the SYNTHETIC demo)
  localise list                           notebooks, their parameters and the suite's runs
  localise run --only 00_getting_started  execute one notebook into reports/<run-id>/

Run 'localise COMMAND --help' for the options and examples of one command.""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in PLUGIN_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name or module_name.startswith(f"{error.name}."):
                continue  # the package does not offer a command-line part
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``localise`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as error:
        print(f"localise: error: {error}", file=sys.stderr)
        return 2
    except DataUnavailableError as error:
        print(f"localise: data unavailable: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("localise: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
