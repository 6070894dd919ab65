"""environment.yml (conda-forge) lists the same packages as pyproject.toml and installs the project."""

from __future__ import annotations

import re
import tomllib

import yaml

from localise import paths

# conda-forge spells a few PyPI names differently.
CONDA_NAMES = {"SALib": "salib"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip()


def test_environment_matches_pyproject():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(r) for r in project["dependencies"]}
    for extra in ("test", "lab"):
        pypi |= {_name(r) for r in project["optional-dependencies"][extra]}
    expected = {CONDA_NAMES.get(name, name).lower() for name in pypi}
    environment = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())
    conda = {_name(d).lower() for d in environment["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == expected, (
        f"only in environment.yml: {sorted(conda - expected)}; only in pyproject: {sorted(expected - conda)}"
    )


def test_runtime_does_not_need_jupyterlab():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r).lower() for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    assert "jupyterlab" not in runtime and "jupyter" not in runtime


def test_environment_installs_the_project_itself():
    """A Binder-style build (conda env create) ends with the project importable: pip installs it editable.

    Only the project comes from pip: every dependency is a conda-forge package above,
    so pip finds them installed and changes nothing conda put there.
    """
    environment = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_sections == [["-e ."]], f"expected one pip section installing the project ('-e .'), got {pip_sections}"
    assert "pip" in environment["dependencies"], "the pip section needs pip itself among the conda packages"
    assert (paths.PROJECT_ROOT / "pyproject.toml").is_file()  # '-e .' is resolved beside environment.yml
