"""``localise list`` and ``localise run``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from localise.errors import InputError
from localise.suite import safety


def _parse_assignment(text: str) -> tuple[str, Any]:
    import yaml

    if "=" not in text:
        raise InputError(f"-p {text!r}: expected key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key.isidentifier():
        raise InputError(f"-p {text!r}: {key!r} is not a parameter name")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as error:
        raise InputError(f"-p {key}: cannot read value {raw!r}: {error}") from error
    return key, value


def _list(args: argparse.Namespace) -> int:
    from localise.suite.registry import load_registry, notebook_parameters

    safety.check_registry_file(args.registry)
    registry, entries = load_registry(Path(args.registry) if args.registry else None)
    safety.check_entries(entries, registry.name)
    folder = registry.parent
    print(f"Notebooks in {folder.name}/ (registry: {registry.name})\n")
    for notebook in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        print(notebook.name)
        for parameter in notebook_parameters(notebook).values():
            comment = f"  # {parameter.comment}" if parameter.comment else ""
            print(f"    {parameter.name}: {parameter.type_name} = {parameter.default!r}{comment}")
    print("\nSuite entries (parameter sets):")
    for name, entry in entries.items():
        runs = entry.get("runs") or [{}]
        after = entry.get("after") or []
        print(f"  {name} ({entry.get('notebook')}): {len(runs)} run(s)" + (f", after {', '.join(after)}" if after else ""))
        if entry.get("parameters"):
            print(f"      parameters: {entry['parameters']}")
        for run in runs:
            if run:
                print(f"      run: {run}")
        for profile, values in (entry.get("profiles") or {}).items():
            print(f"      profile {profile}: {values}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from localise.suite.registry import build_plan
    from localise.suite.runner import run_suite

    overrides = dict(_parse_assignment(item) for item in args.parameter or [])
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers}: expected a positive number")
    if args.timeout is not None and args.timeout <= 0:
        raise InputError(f"--timeout {args.timeout}: expected a positive number of seconds")
    safety.check_registry_file(args.registry)
    plan = build_plan(
        Path(args.registry) if args.registry else None,
        only=args.only,
        overrides=overrides,
        profile=args.profile,
    )
    safety.check_run(plan, args)
    safety.terminate_as_interrupt()
    if args.dry_run:
        for execution in plan.executions:
            after = f" (after {', '.join(execution.after)})" if execution.after else ""
            print(f"{execution.output}: {execution.notebook.name} {execution.parameters}{after}")
        return 0
    result = run_suite(
        plan,
        workers=args.workers,
        scheduler=args.scheduler,
        timeout=args.timeout,
        html_output=not args.no_html,
        reports=Path(args.reports) if args.reports else None,
    )
    print(result.summary_table())
    print(f"\nrun {result.run_id}: {result.run_dir / 'index.html'}")
    if not result.ok:
        failed = sum(record["status"] != "ok" for record in result.records)
        print(f"{failed} of {len(result.records)} notebook run(s) did not succeed", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``list`` and ``run`` to the ``localise`` command."""
    listing = subparsers.add_parser("list", help="show notebooks, their parameters and the suite's parameter sets")
    listing.add_argument("--registry", help="suite registry YAML (default notebooks/suite.yml)")
    listing.set_defaults(func=_list)

    run = subparsers.add_parser("run", help="execute the notebook suite (or a subset) into reports/<run-id>/")
    run.add_argument("--only", nargs="+", metavar="NAME", help="run only these entries (names or output stems)")
    run.add_argument("-p", "--parameter", action="append", metavar="KEY=VALUE",
                     help="override a parameter in every selected notebook that declares it (YAML value)")
    run.add_argument("--profile", help="apply each entry's named profile, e.g. 'quick'")
    run.add_argument("--workers", type=int, help="process-pool size (default: number of cores)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    run.add_argument("--timeout", type=float, metavar="S", help="seconds allowed per cell")
    run.add_argument("--registry", help="suite registry YAML (default notebooks/suite.yml)")
    run.add_argument("--reports", help="folder for run folders (default reports/)")
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering of executed notebooks")
    run.add_argument("--dry-run", action="store_true", help="validate and print the plan without executing")
    run.set_defaults(func=_run)
