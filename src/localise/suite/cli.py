"""``localise list`` and ``localise run``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from localise.errors import InputError
from localise.suite import safety


def _value_loader() -> type:
    """A YAML loader whose booleans are only ``true``/``false`` (YAML 1.2), so ``-p country=NO`` is Norway."""
    import re

    import yaml

    class ValueLoader(yaml.SafeLoader):
        pass

    ValueLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    ValueLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return ValueLoader


def _parse_assignment(text: str) -> tuple[str, Any]:
    import yaml

    if "=" not in text:
        raise InputError(f"-p {text!r}: expected key=value")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key.isidentifier():
        raise InputError(f"-p {text!r}: {key!r} is not a parameter name")
    try:
        value = yaml.load(raw, Loader=_value_loader()) if raw.strip() else ""  # noqa: S506 - a SafeLoader
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
        print(
            f"  {name} ({entry.get('notebook')}): {len(runs)} run(s)" + (f", after {', '.join(after)}" if after else "")
        )
        if entry.get("parameters"):
            print(f"      parameters: {entry['parameters']}")
        for run in runs:
            if run:
                print(f"      run: {run}")
        for profile, values in (entry.get("profiles") or {}).items():
            print(f"      profile {profile}: {values}")
        for parameter, allowed in (entry.get("choices") or {}).items():
            print(f"      {parameter} one of: {allowed}")
        for parameter, function in (entry.get("choices_from") or {}).items():
            print(f"      {parameter} (with -p) one of the values listed by {function}")
    return 0


_FORCE_ALL = "*"


def _forced(force: list[str] | None, plan: Any) -> bool | list[str]:
    """``--force`` values: True for all, else the names given (each must name an entry or output of the plan)."""
    if not force:
        return False
    if _FORCE_ALL in force:
        return True
    known = {e.name for e in plan.executions} | {e.output for e in plan.executions}
    unknown = [name for name in force if name not in known]
    if unknown:
        raise InputError(
            f"--force {unknown[0]}: not an entry or output of this run; expected one of: {', '.join(sorted(known))}"
        )
    return list(force)


def _run(args: argparse.Namespace) -> int:
    from localise.suite.registry import build_plan

    overrides = dict(_parse_assignment(item) for item in args.parameter or [])
    safety.check_registry_file(args.registry)
    plan = build_plan(
        Path(args.registry) if args.registry else None, only=args.only, overrides=overrides, profile=args.profile
    )
    for note in plan.notes:
        print(f"localise: note: {note}", file=sys.stderr)
    safety.check_run(plan, args)
    safety.terminate_as_interrupt()
    if args.dry_run:
        for execution in plan.executions:
            after = f" (after {', '.join(execution.after)})" if execution.after else ""
            print(f"{execution.output}: {execution.notebook.name} {execution.parameters}{after}")
        return 0
    from localise.suite.runner import run_suite

    result = run_suite(
        plan,
        workers=args.workers,
        scheduler=args.scheduler,
        timeout=args.timeout,
        html_output=not args.no_html,
        reports=Path(args.reports) if args.reports else None,
        reuse=not args.no_cache,
        force=_forced(args.force, plan),
    )
    print()
    print(result.summary_table())
    print(f"\nrun {result.run_id}: {result.run_dir / 'index.html'}")
    if not result.ok:
        failed = sum(record["status"] != "ok" for record in result.records)
        print(f"{failed} of {len(result.records)} notebook run(s) did not succeed", file=sys.stderr)
        return 1
    return 0


RUN_DESCRIPTION = """\
Execute the notebooks of the suite registry (notebooks/suite.yml) with papermill
into a new run folder reports/<run-id>/: executed notebooks, their HTML, tables,
figures and a manifest.json. The whole registry and every -p value are checked
before anything runs; bad input exits with code 2 and writes nothing.

On a terminal a progress bar is shown; otherwise (a log, CI) one line per finished
notebook. A notebook that fails is recorded and its dependents are skipped; the
other notebooks still run. Exit code 1 when any notebook did not succeed.

A notebook run whose notebook, parameters, input data, package code and upstream
notebooks are unchanged since an earlier complete run is reused from it (files
hard-linked, marked cached in the manifest and on the report site); --force
executes everything again, --force NAME that notebook."""

RUN_EPILOG = """\
examples:
  localise run                                      the whole suite
  localise run --only 03_regional_context           one entry (entries it runs after are not run)
  localise run --only 07_country_profile -p country=PL
                                                    one country profile, filed as ...__country-PL
  localise run --force 05_social_progress           execute 05 again even if unchanged
  localise run --profile quick --workers 2          the cheaper settings of the entries that have them
  localise run --dry-run -p seed=1                  check and print the plan, run nothing
  localise run --scheduler tcp://127.0.0.1:8786     on a Dask cluster

A -p value that sets a parameter the entry's runs vary (country in 07, city in 09)
replaces those runs by one run with the given value. Values are read as YAML:
-p countries='[FR, DE]', -p year=null."""

LIST_EPILOG = """\
examples:
  localise list
  localise list --registry my_suite.yml"""


def _whole_number_at_least_1(expected: str):
    """An argparse ``type`` accepting whole numbers >= 1; ``expected`` words the error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    return parse


#: ``--timeout``: whole seconds, at least 1 (nbclient takes integers).
_timeout = _whole_number_at_least_1("a whole number of seconds (at least 1)")
#: ``--workers``: a positive whole number.
_workers = _whole_number_at_least_1("a positive whole number")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``list`` and ``run`` to the ``localise`` command."""
    listing = subparsers.add_parser(
        "list",
        help="show notebooks, their parameters and the suite's parameter sets",
        description="Show every notebook with the parameters of its parameters cell (type and default), "
        "then the suite registry's entries: runs, dependencies and profiles.",
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--registry", help="suite registry YAML (default notebooks/suite.yml)")
    listing.set_defaults(func=_list)

    run = subparsers.add_parser(
        "run",
        help="execute the notebook suite (or a subset) into reports/<run-id>/",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--only", nargs="+", metavar="NAME", help="run only these entries (names or output stems)")
    run.add_argument(
        "-p",
        "--parameter",
        action="append",
        metavar="KEY=VALUE",
        help="override a parameter in every selected notebook that declares it (YAML value)",
    )
    run.add_argument("--profile", help="apply each entry's named profile, e.g. 'quick' (see localise list)")
    run.add_argument("--workers", type=_workers, help="process-pool size (default: number of cores)")
    run.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786")
    run.add_argument("--timeout", type=_timeout, metavar="S", help="whole seconds allowed per cell (at least 1)")
    run.add_argument("--registry", help="suite registry YAML (default notebooks/suite.yml)")
    run.add_argument("--reports", help="folder for run folders (default reports/)")
    run.add_argument(
        "--force",
        nargs="?",
        action="append",
        const=_FORCE_ALL,
        metavar="NAME",
        help="execute again instead of reusing earlier results: all, or NAME (repeatable)",
    )
    run.add_argument(
        "--no-cache", action="store_true", help="do not look for reusable results of earlier runs (same as --force)"
    )
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering of executed notebooks")
    run.add_argument("--dry-run", action="store_true", help="validate and print the plan without executing")
    run.set_defaults(func=_run)
