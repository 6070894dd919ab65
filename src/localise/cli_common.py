"""What the ``localise`` sub-command modules share to declare their command groups."""

from __future__ import annotations

import argparse

__all__ = ["add_command_group"]


def add_command_group(
    subparsers: argparse._SubParsersAction, name: str, *, help: str, description: str, epilog: str
) -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """Add ``localise NAME ACTION ...``: the group's parser and the collection its actions are added to.

    The epilog keeps its line breaks (it holds examples). Called without an action, the
    group prints its help and exits with code 2; the destination of the action name is
    ``<name>_command`` (dashes become underscores).

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of ``localise NAME``.
    actions : argparse._SubParsersAction
        Where the group's actions are added with ``actions.add_parser(...)``.
    """
    parser = subparsers.add_parser(
        name, help=help, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = parser.add_subparsers(dest=f"{name.replace('-', '_')}_command", metavar="ACTION")
    # An action's own defaults (its func) take precedence over this one.
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    return parser, actions
