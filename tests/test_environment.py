"""environment.yml (conda) and pyproject.toml (pip) must list the same packages and bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _split(spec: str) -> tuple[str, str]:
    name, bound = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", spec).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    pip_specs = dict(_split(s) for s in project["dependencies"] + extras["test"] + extras["distributed"])
    bound = pip_specs.pop("dask")  # conda-forge splits the extra into its two packages
    pip_specs.update(dask=bound, distributed=bound)
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    conda_specs = dict(_split(s) for s in conda if _split(s)[0] not in ("python", "pip"))
    assert conda_specs == pip_specs
    assert "conda-forge" in env["channels"]
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert pip_section == ["-e ."]
    assert any(d.startswith("python>=3.11") for d in conda) and project["requires-python"] == ">=3.11"
