"""The suite registry: ``notebooks/suite.yml`` → a validated execution plan.

The whole registry is validated before anything runs. Every problem found is
reported at once, each naming the registry file and the key that is wrong
(``notebooks/suite.yml: notebooks.07_country_profile.runs[2].country: ...``),
and the command line exits with code 2.

Values given on the command line (``-p key=value``) are checked the same way, and
more: against the entry's ``choices`` (a list of allowed values) or ``choices_from``
(``package.module:function`` listing the allowed values, e.g. the countries that
have data), before any notebook starts. A ``-p`` value for a parameter that the
entry's ``runs`` vary replaces the runs by one run with that value (its output is
named after the value), rather than running the same value once per original run.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from localise import paths
from localise.errors import InputError

__all__ = [
    "NotebookParameter",
    "Execution",
    "SuitePlan",
    "notebook_parameters",
    "load_registry",
    "build_plan",
    "output_name",
    "SECTIONS",
]

_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

#: Sections of the report site, in the order shown: registry value -> heading.
SECTIONS = {
    "tutorial": "Tutorial",
    "data": "Data and context",
    "configurations": "Governance configurations",
    "indicators": "Indicators",
    "models": "Models",
    "cohesion": "Cohesion",
}

#: Longest one-line purpose accepted in a registry entry's ``description``.
DESCRIPTION_MAX = 200
_REGISTRY_KEYS = {
    "notebook",
    "parameters",
    "runs",
    "after",
    "profiles",
    "timeout",
    "description",
    "section",
    "choices",
    "choices_from",
}
_FUNCTION_PATTERN = re.compile(r"^localise(\.[A-Za-z_][A-Za-z0-9_]*)+:[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class NotebookParameter:
    """One variable of a notebook's ``parameters`` cell."""

    name: str
    default: Any
    type_name: str
    comment: str = ""


@dataclass
class Execution:
    """One notebook execution of the plan: a notebook with one parameter set."""

    name: str
    """Registry key of the notebook entry."""
    notebook: Path
    parameters: dict[str, Any]
    """Parameters injected into the notebook (only those that differ from nothing: all set ones)."""
    output: str
    """Output stem: files are ``<output>.ipynb``, ``<output>.html`` and the folder ``<output>/``."""
    after: list[str] = field(default_factory=list)
    """Output stems of the executions that must succeed before this one."""
    timeout: float | None = None
    description: str = ""
    """One-line purpose from the registry, shown on the report site."""
    section: str | None = None
    """Key of :data:`SECTIONS` under which the report site lists this notebook."""


@dataclass
class SuitePlan:
    """A validated, dependency-ordered list of executions."""

    registry: Path
    executions: list[Execution]
    notes: list[str] = field(default_factory=list)
    """Remarks for the user that do not stop the run (e.g. a profile the selected entries lack)."""

    def by_output(self) -> dict[str, Execution]:
        """Executions keyed by output stem."""
        return {execution.output: execution for execution in self.executions}


def notebook_parameters(notebook: Path) -> dict[str, NotebookParameter]:
    """Read the literal assignments of the notebook's cell tagged ``parameters``.

    The cell must hold literal assignments only (the suite's rule), so it is parsed
    with :mod:`ast` rather than executed; the type of each default is the type the
    registry's values are checked against.

    Raises
    ------
    InputError
        If the notebook cannot be read, has no or several ``parameters`` cells, or
        the cell holds anything but literal assignments.
    """
    where = paths.project_relative(notebook)
    try:
        document = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(f"{where}: notebook not found") from error
    except json.JSONDecodeError as error:
        raise InputError(f"{where}: not a valid notebook (JSON error at line {error.lineno})") from error
    cells = [
        cell
        for cell in document.get("cells", [])
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])
    ]
    if len(cells) != 1:
        raise InputError(f"{where}: expected exactly one code cell tagged 'parameters', found {len(cells)}")
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise InputError(f"{where}: parameters cell line {error.lineno}: {error.msg}") from error
    lines = source.splitlines()
    parameters: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                target, value_node = node.target, node.value
            else:
                raise InputError(
                    f"{where}: parameters cell line {node.lineno}: expected `name = literal`, "
                    f"found {ast.get_source_segment(source, node)!r}"
                )
        else:
            target, value_node = node.targets[0], node.value
        try:
            default = ast.literal_eval(value_node)
        except ValueError as error:
            raise InputError(
                f"{where}: parameters cell line {node.lineno}: value of {target.id!r} is not a literal"
            ) from error
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        parameters[target.id] = NotebookParameter(target.id, default, type(default).__name__, comment)
    return parameters


def _type_problem(value: Any, default: Any) -> str | None:
    """Why ``value`` cannot replace ``default`` (type of the default rules), or None."""
    if default is None or value is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"expected bool like the default {default!r}"
    if isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected int like the default {default!r}"
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"expected float like the default {default!r}"
    if isinstance(default, (list, tuple)):
        return None if isinstance(value, (list, tuple)) else f"expected a list like the default {default!r}"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else f"expected a mapping like the default {default!r}"
    if isinstance(default, str):
        return None if isinstance(value, str) else f"expected str like the default {default!r}"
    return None if isinstance(value, type(default)) else f"expected {type(default).__name__}"


def _slug(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        text = "+".join(_slug(item) for item in value)
    else:
        text = str(value)
    return re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-.") or "x"


def output_name(name: str, run_parameters: dict[str, Any]) -> str:
    """Deterministic output stem from the entry name and its run-specific parameters.

    ``output_name("07_country_profile", {"country": "DE"}) == "07_country_profile__country-DE"``.
    Parameters are sorted by key so the order in the registry does not matter.
    """
    parts = [name] + [f"{key}-{_slug(run_parameters[key])}" for key in sorted(run_parameters)]
    return "__".join(parts)


def load_registry(registry: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Read the registry YAML; return its path and the ``notebooks`` mapping."""
    registry = Path(registry) if registry else paths.notebooks_dir() / "suite.yml"
    where = paths.project_relative(registry)
    try:
        document = yaml.safe_load(registry.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InputError(f"{where}: suite registry not found") from error
    except yaml.YAMLError as error:
        raise InputError(f"{where}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("notebooks"), dict):
        raise InputError(f"{where}: expected a mapping with a 'notebooks' mapping at the top")
    return registry, document["notebooks"]


def _values_outside(value: Any, allowed: list[Any]) -> list[Any]:
    """Items of ``value`` (or ``value`` itself) that are not in ``allowed``; lists are checked item by item."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [item for item in items if item not in allowed]


def _choices_problem(parameter: str, value: Any, allowed: list[Any], origin: str) -> str | None:
    """``parameter=value: not an allowed value (origin); expected one of: ...`` or None when allowed."""
    outside = _values_outside(value, allowed)
    if not outside:
        return None
    shown = ", ".join(str(item) for item in allowed)
    return f"{parameter}={outside[0]!r}: not an allowed value ({origin}); expected one of: {shown}"


def _call_choices(function: str, parameters: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """Call a ``package.module:function`` that lists the allowed values of a parameter.

    The function receives, by name, those of the notebook's parameters (values of
    this execution, else the notebook's defaults) that its signature names, e.g.
    the ``indicators`` and ``period`` a country must have data for. Returns the
    values and the names of the parameters passed.
    """
    import importlib
    import inspect

    module_name, attribute = function.split(":")
    callable_ = getattr(importlib.import_module(module_name), attribute)
    accepted = inspect.signature(callable_).parameters
    arguments = {name: value for name, value in parameters.items() if name in accepted}
    return list(callable_(**arguments)), sorted(arguments)


def _runs_with_overrides(
    runs: list[dict[str, Any]], overrides: dict[str, Any]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """The runs after ``-p`` values, each with the registry runs it replaces.

    A key the runs vary takes the given value in every run, and runs that become
    identical are merged: ``runs: [{country: FR}, {country: DE}]`` with
    ``-p country=PL`` is one run ``{country: PL}`` (named after PL) replacing both.
    """
    varied = {key for run in runs for key in run}
    replaced = {key: value for key, value in overrides.items() if key in varied}
    if not replaced:  # the registry's own runs, duplicates included (reported as such)
        return [(run, [run]) for run in runs]
    merged: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for run in runs:
        new_run = {**{key: value for key, value in run.items() if key not in replaced}, **replaced}
        merged.setdefault(json.dumps(new_run, sort_keys=True, default=str), (new_run, []))[1].append(run)
    return list(merged.values())


def _check_run_parameters(
    values: Any,
    context: str,
    *,
    where: str,
    key: str,
    notebook_file: str,
    declared: dict[str, NotebookParameter],
    choices: dict[str, list[Any]],
    problems: list[str],
) -> dict[str, Any]:
    """Check a mapping of parameter values of one registry entry; append problems, return the values."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        problems.append(f"{where}: {context}: expected a mapping of parameter: value")
        return {}
    for parameter, value in values.items():
        if parameter not in declared:
            problems.append(
                f"{where}: {context}.{parameter}: not a parameter of {notebook_file} "
                f"(its parameters cell declares {sorted(declared)})"
            )
            continue
        problem = _type_problem(value, declared[parameter].default)
        if problem:
            problems.append(f"{where}: {context}.{parameter}: {value!r}: {problem}")
        elif parameter in choices:
            problem = _choices_problem(parameter, value, choices[parameter], f"{key}.choices")
            if problem:
                problems.append(f"{where}: {context}.{parameter}: {problem}")
    return dict(values)


@dataclass
class _PlanDraft:
    """What :func:`build_plan` gathers entry by entry before the registry-wide checks."""

    registry: Path
    where: str
    """The registry as error messages name it."""
    overrides: dict[str, Any]
    profile: str | None
    problems: list[str] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    entry_outputs: dict[str, list[str]] = field(default_factory=dict)
    """Entry name -> output stems of its runs."""
    original_outputs: dict[str, set[str]] = field(default_factory=dict)
    """Output stem -> stems of the registry runs that a ``-p`` value replaced by it."""
    declared_anywhere: set[str] = field(default_factory=set)
    profiles_anywhere: dict[str, set[str]] = field(default_factory=dict)
    """Profile name -> entries that define it."""
    choices_from: dict[str, dict[str, str]] = field(default_factory=dict)


def build_plan(
    registry: Path | None = None,
    *,
    only: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    profile: str | None = None,
) -> SuitePlan:
    """Validate the registry and return the ordered executions.

    Parameters
    ----------
    registry
        Registry file; default ``notebooks/suite.yml``.
    only
        Entry names (or output stems) to run; ordering constraints on entries
        outside the selection are dropped.
    overrides
        ``-p key=value`` values applied to every selected notebook whose
        parameters cell declares ``key``; a key that no selected notebook declares
        is an error. A key that an entry's ``runs`` vary replaces those runs by one
        run with the given value (outputs are named after it). Values are checked
        against the entry's ``choices`` and ``choices_from``.
    profile
        Name of a ``profiles`` block (e.g. ``quick``) applied where an entry has it;
        a name that no entry of the registry defines is an error. When the selected
        entries do not define it, :attr:`SuitePlan.notes` says so.

    Raises
    ------
    InputError
        Listing every problem of the registry, each with file and key.
    """
    registry, entries = load_registry(registry)
    draft = _PlanDraft(registry, paths.project_relative(registry), dict(overrides or {}), profile)
    for name, entry in entries.items():
        _plan_entry(draft, name, entry)
    _check_whole_registry(draft, entries)
    if draft.problems:
        raise InputError("invalid suite:\n  " + "\n  ".join(draft.problems))

    executions = draft.executions
    for execution in executions:
        after = entries[execution.name].get("after") or []
        execution.after = [stem for dependency in after for stem in draft.entry_outputs.get(dependency, [])]

    notes: list[str] = []
    if only:
        executions = _select(executions, only, entries, draft.original_outputs, draft.overrides)
        selected = {execution.name for execution in executions}
        if profile is not None and not selected & draft.profiles_anywhere[profile]:
            notes.append(
                f"--profile {profile}: none of the selected entries defines it (defined by "
                f"{', '.join(sorted(draft.profiles_anywhere[profile]))}); their own values are used"
            )
    _check_choices_from(executions, draft.choices_from, draft.overrides, draft.where)
    return SuitePlan(registry, _topological(executions, draft.where), notes)


def _entry_notebook(draft: _PlanDraft, name: Any, entry: Any) -> tuple[Path, dict[str, NotebookParameter]] | None:
    """The entry's notebook and the parameters it declares; None (a problem noted) when unusable."""
    where, key, problems = draft.where, f"notebooks.{name}", draft.problems
    if not isinstance(name, str) or not _NAME_PATTERN.match(name) or ".." in name:
        problems.append(f"{where}: {key}: name must match {_NAME_PATTERN.pattern} (it names files in reports/)")
        return None
    if not isinstance(entry, dict):
        problems.append(f"{where}: {key}: expected a mapping with at least 'notebook'")
        return None
    unknown = set(entry) - _REGISTRY_KEYS
    if unknown:
        problems.append(f"{where}: {key}: unknown key(s) {sorted(unknown)}; allowed {sorted(_REGISTRY_KEYS)}")
    notebook_file = entry.get("notebook")
    if not isinstance(notebook_file, str):
        problems.append(f"{where}: {key}.notebook: expected a notebook file name")
        return None
    notebook = (draft.registry.parent / notebook_file).resolve()
    if draft.registry.parent.resolve() not in notebook.parents:
        problems.append(f"{where}: {key}.notebook: {notebook_file!r} lies outside the notebooks folder")
        return None
    if not notebook.is_file():
        problems.append(f"{where}: {key}.notebook: unknown notebook {notebook_file!r} (no such file)")
        return None
    try:
        return notebook, notebook_parameters(notebook)
    except InputError as error:
        problems.append(f"{where}: {key}.notebook: {error}")
        return None


def _plan_entry(draft: _PlanDraft, name: Any, entry: Any) -> None:
    """Check one registry entry; add its executions to ``draft`` (problems noted, never raised)."""
    found = _entry_notebook(draft, name, entry)
    if found is None:
        return
    notebook, declared = found
    where, key, problems = draft.where, f"notebooks.{name}", draft.problems
    draft.declared_anywhere.update(declared)
    choices = _entry_choices(entry, declared, f"{where}: {key}", problems)
    draft.choices_from[name] = _entry_choices_from(entry, declared, f"{where}: {key}", problems)
    check = partial(
        _check_run_parameters,
        where=where,
        key=key,
        notebook_file=entry["notebook"],
        declared=declared,
        choices=choices,
        problems=problems,
    )
    common = check(entry.get("parameters"), f"{key}.parameters")
    profile_values = _entry_profiles(draft, name, entry, check)
    runs = entry.get("runs")
    if runs is None:
        runs = [{}]
    if not isinstance(runs, list) or not runs:
        problems.append(f"{where}: {key}.runs: expected a non-empty list of parameter sets")
        runs = []
    selected_overrides = {k: v for k, v in draft.overrides.items() if k in declared}
    _check_overrides(draft, key, entry["notebook"], selected_overrides, declared, choices)
    description, section = _describe(entry, f"{where}: {key}", problems)
    timeout = _entry_timeout(draft, key, entry.get("timeout"))
    run_values = [check(run, f"{key}.runs[{index}]") for index, run in enumerate(runs)]
    outputs = []
    for run, replaced_runs in _runs_with_overrides(run_values, selected_overrides):
        parameters = {**common, **profile_values, **run, **selected_overrides}
        stem = output_name(name, run)
        outputs.append(stem)
        draft.executions.append(Execution(name, notebook, parameters, stem, [], timeout, description, section))
        draft.original_outputs[stem] = {output_name(name, replaced) for replaced in replaced_runs}
    draft.entry_outputs[name] = outputs


def _entry_profiles(draft: _PlanDraft, name: str, entry: dict[str, Any], check: Any) -> dict[str, Any]:
    """Check every profile of the entry; return the values of the selected one (empty when it has none)."""
    profiles = entry.get("profiles") or {}
    if not isinstance(profiles, dict):
        draft.problems.append(
            f"{draft.where}: notebooks.{name}.profiles: expected a mapping of profile name: parameters"
        )
        profiles = {}
    profile_values = {}
    for profile_name, values in profiles.items():
        draft.profiles_anywhere.setdefault(str(profile_name), set()).add(name)
        checked = check(values, f"notebooks.{name}.profiles.{profile_name}")
        if profile_name == draft.profile:
            profile_values = checked
    return profile_values


def _check_overrides(
    draft: _PlanDraft,
    key: str,
    notebook_file: str,
    selected: dict[str, Any],
    declared: dict[str, NotebookParameter],
    choices: dict[str, list[Any]],
) -> None:
    """Check the ``-p`` values that apply to one entry against its defaults' types and its ``choices``."""
    for parameter, value in selected.items():
        problem = _type_problem(value, declared[parameter].default)
        if problem:
            draft.problems.append(f"-p {parameter}={value!r} for {notebook_file}: {problem}")
        elif parameter in choices:
            problem = _choices_problem(parameter, value, choices[parameter], f"{draft.where}: {key}.choices")
            if problem:
                draft.problems.append(f"-p {problem}")


def _entry_timeout(draft: _PlanDraft, key: str, timeout: Any) -> Any:
    """The entry's ``timeout`` when it is a whole number of seconds (at least 1), else None (a problem noted)."""
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        draft.problems.append(
            f"{draft.where}: {key}.timeout: {timeout!r}: expected a whole number of seconds (at least 1)"
        )
        return None
    return timeout


def _check_whole_registry(draft: _PlanDraft, entries: dict[str, Any]) -> None:
    """Problems of the whole registry: duplicate outputs, ``after`` names, unknown ``-p`` keys and profile."""
    where, problems = draft.where, draft.problems
    seen: dict[str, str] = {}
    for execution in draft.executions:
        if execution.output in seen:
            problems.append(
                f"{where}: notebooks.{execution.name}: duplicate output name {execution.output!r} "
                f"(also produced by notebooks.{seen[execution.output]})"
            )
        seen[execution.output] = execution.name
    for name, entry in entries.items():
        after = entry.get("after") if isinstance(entry, dict) else None
        if after is None:
            continue
        if not isinstance(after, list) or not all(isinstance(item, str) for item in after):
            problems.append(f"{where}: notebooks.{name}.after: expected a list of notebook names")
            continue
        for dependency in after:
            if dependency not in entries:
                problems.append(f"{where}: notebooks.{name}.after: unknown notebook {dependency!r}")
            elif dependency == name:
                problems.append(f"{where}: notebooks.{name}.after: a notebook cannot run after itself")
    for parameter in sorted(set(draft.overrides) - draft.declared_anywhere):
        problems.append(f"-p {parameter}: no notebook in {where} declares this parameter")
    if draft.profile is not None and draft.profile not in draft.profiles_anywhere:
        defined = ", ".join(sorted(draft.profiles_anywhere)) or "none"
        problems.append(
            f"--profile {draft.profile}: no entry of {where} defines this profile; profiles defined: {defined}"
        )


def _select(
    executions: list[Execution],
    only: list[str],
    entries: dict[str, Any],
    original_outputs: dict[str, set[str]],
    overrides: dict[str, Any],
) -> list[Execution]:
    """The executions that ``--only`` names: by entry name, output stem, or the stem a ``-p`` replaced."""
    wanted = set(only)
    replaced = {stem for stems in original_outputs.values() for stem in stems}
    known = set(entries) | {execution.output for execution in executions} | replaced
    missing = sorted(wanted - known)
    if missing:
        raise InputError(f"--only: unknown notebook(s) {missing}; known: {sorted(entries)}")
    executions = [
        e
        for e in executions
        if e.name in wanted or e.output in wanted or (wanted & original_outputs.get(e.output, set()))
    ]
    if overrides:
        selected_declared = set().union(*(notebook_parameters(e.notebook) for e in executions))
        stray = sorted(set(overrides) - selected_declared)
        if stray:
            raise InputError(f"-p {stray[0]}: none of the selected notebooks declares this parameter")
    kept = {execution.output for execution in executions}
    for execution in executions:
        execution.after = [stem for stem in execution.after if stem in kept]
    return executions


def _entry_choices(
    entry: dict[str, Any], declared: dict[str, NotebookParameter], context: str, problems: list[str]
) -> dict[str, list[Any]]:
    """The entry's ``choices``: parameter -> list of allowed values (checked)."""
    choices = entry.get("choices")
    if choices is None:
        return {}
    if not isinstance(choices, dict):
        problems.append(f"{context}.choices: expected a mapping of parameter: [allowed values]")
        return {}
    valid = {}
    for parameter, allowed in choices.items():
        if parameter not in declared:
            problems.append(f"{context}.choices.{parameter}: not a parameter of {entry.get('notebook')}")
        elif not isinstance(allowed, list) or not allowed:
            problems.append(f"{context}.choices.{parameter}: expected a non-empty list of allowed values")
        else:
            valid[parameter] = allowed
    return valid


def _entry_choices_from(
    entry: dict[str, Any], declared: dict[str, NotebookParameter], context: str, problems: list[str]
) -> dict[str, str]:
    """The entry's ``choices_from``: parameter -> ``localise.module:function`` (checked for form)."""
    functions = entry.get("choices_from")
    if functions is None:
        return {}
    if not isinstance(functions, dict):
        problems.append(f"{context}.choices_from: expected a mapping of parameter: package.module:function")
        return {}
    valid = {}
    for parameter, function in functions.items():
        if parameter not in declared:
            problems.append(f"{context}.choices_from.{parameter}: not a parameter of {entry.get('notebook')}")
        elif not isinstance(function, str) or not _FUNCTION_PATTERN.match(function):
            problems.append(
                f"{context}.choices_from.{parameter}: {function!r}: expected 'localise.module:function' "
                "naming a function of the package that lists the allowed values"
            )
        else:
            valid[parameter] = function
    return valid


def _check_choices_from(
    executions: list[Execution], choices_from: dict[str, dict[str, str]], overrides: dict[str, Any], where: str
) -> None:
    """Check ``-p`` values against the values the data allow (``choices_from``), before anything runs."""
    listed: dict[str, tuple[list[Any], list[str]]] = {}
    problems: list[str] = []
    for execution in executions:
        for parameter, function in choices_from.get(execution.name, {}).items():
            if parameter not in overrides:
                continue
            defaults = {name: p.default for name, p in notebook_parameters(execution.notebook).items()}
            parameters = {**defaults, **execution.parameters}
            key = function + json.dumps(parameters, sort_keys=True, default=str)
            if key not in listed:
                try:
                    listed[key] = _call_choices(function, parameters)
                except (ImportError, AttributeError, TypeError) as error:
                    raise InputError(
                        f"{where}: notebooks.{execution.name}.choices_from.{parameter}: cannot call {function}: {error}"
                    ) from error
            allowed, given = listed[key]
            origin = f"for {execution.name}, the values listed by {function}"
            if given:
                origin += f" for its {', '.join(given)}"
            problem = _choices_problem(parameter, overrides[parameter], allowed, origin)
            if problem and f"-p {problem}" not in problems:
                problems.append(f"-p {problem}")
    if problems:
        raise InputError("invalid suite:\n  " + "\n  ".join(problems))


def _describe(entry: dict[str, Any], context: str, problems: list[str]) -> tuple[str, str | None]:
    """Validated ``description`` (one line) and ``section`` of a registry entry."""
    description = entry.get("description", "")
    if not isinstance(description, str) or "\n" in description.strip() or len(description) > DESCRIPTION_MAX:
        problems.append(f"{context}.description: expected one line of text (at most {DESCRIPTION_MAX} characters)")
        description = ""
    section = entry.get("section")
    if section is not None and section not in SECTIONS:
        problems.append(f"{context}.section: {section!r}: expected one of {sorted(SECTIONS)}")
        section = None
    return description.strip(), section


def _topological(executions: list[Execution], where: str) -> list[Execution]:
    """Order executions so that dependencies come first; registry order breaks ties."""
    by_output = {execution.output: execution for execution in executions}
    ordered: list[Execution] = []
    state: dict[str, int] = {}

    def visit(execution: Execution, chain: list[str]) -> None:
        mark = state.get(execution.output, 0)
        if mark == 2:
            return
        if mark == 1:
            cycle = " -> ".join(chain + [execution.output])
            raise InputError(f"{where}: dependency cycle in 'after': {cycle}")
        state[execution.output] = 1
        for dependency in execution.after:
            visit(by_output[dependency], chain + [execution.output])
        state[execution.output] = 2
        ordered.append(execution)

    for execution in executions:
        visit(execution, [])
    return ordered
