"""The repository's top-level folders import as intended and shadow no installed distribution.

``graphql/`` is the sharpest case: a ``graphql/__init__.py`` at the root would hide graphql-core
from Strawberry whenever Python runs from the repository (``python -m``, pytest, the demo).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import importlib.util, json, sys
out = {}
for name in sys.argv[1:]:
    spec = importlib.util.find_spec(name)
    out[name] = None if spec is None else {
        "origin": spec.origin,
        "locations": sorted(spec.submodule_search_locations or []),
    }
print(json.dumps(out))
"""


def run_python(code: str, cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def top_level_names() -> list[str]:
    return sorted(
        p.name
        for p in REPO.iterdir()
        if p.is_dir() and p.name.isidentifier() and not p.name.startswith(".")
    )


def specs(cwd: Path, names: list[str]) -> dict[str, dict[str, Any] | None]:
    found: dict[str, dict[str, Any] | None] = json.loads(run_python(PROBE, cwd, *names))
    return found


def test_graphql_core_and_pulse_graphql_import_from_the_repo_root() -> None:
    """From the repo root, `graphql` is graphql-core from site-packages and pulse.graphql loads."""
    code = (
        "import strawberry, graphql, pulse.graphql, pulse.graphql.app; "
        "print(graphql.__file__); print(graphql.version)"
    )
    graphql_file, version = run_python(code, REPO).split()
    assert "site-packages" in Path(graphql_file).parts
    assert not Path(graphql_file).is_relative_to(REPO / "graphql")
    assert version.startswith("3.")


def test_no_top_level_folder_shadows_an_installed_distribution(tmp_path: Path) -> None:
    """Each folder name resolves from the repo root as it does elsewhere, or only to the repo."""
    names = top_level_names()
    assert {"graphql", "sinks", "streams", "tests"} <= set(names)
    at_root = specs(REPO, names)
    elsewhere = specs(tmp_path, names)
    for name in names:
        installed, local = elsewhere[name], at_root[name]
        if installed is not None:
            # Something importable outside the repo: the repo root must not replace it.
            assert local == installed, f"repo folder {name}/ shadows {installed}"
        elif local is not None and local["origin"] is not None:
            # A regular package only the repo provides, so it hides nothing.
            assert Path(local["origin"]).is_relative_to(REPO), (name, local)
        elif local is not None:
            locations = [Path(p) for p in local["locations"]]
            assert all(p.is_relative_to(REPO) for p in locations), (name, local)


def test_graphql_folder_has_no_init() -> None:
    """graphql/ holds the SDL and the api/ package, never an __init__.py of its own."""
    assert not (REPO / "graphql" / "__init__.py").exists()
    assert (REPO / "graphql" / "schema.graphql").exists()


def test_every_package_folder_is_installed() -> None:
    """Every folder with an __init__.py under a mapped package is in pyproject's packages list,
    so a non-editable install (the Docker image) carries it."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(project["packages"])
    homes = {Path(folder): name for name, folder in project["package-dir"].items()}
    found = set()
    for home, name in homes.items():
        for init in (REPO / home).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / home)
            found.add(".".join((name, *relative.parts)))
    assert found - listed == set()
