"""Project paths, all derived from the project root.

The root is the folder that holds ``kehoach/``; set ``KEHOACH_ROOT`` to point the
package at another copy of the workbench (tests do this with a temporary folder).
Nothing in the package depends on the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_root() -> Path:
    """The workbench root: ``$KEHOACH_ROOT`` if set, else the folder above the package."""
    env = os.environ.get("KEHOACH_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def resolve(path: str | Path) -> Path:
    """A path from parameters or notebooks: absolute as given, otherwise relative to the project root."""
    path = Path(path)
    return path if path.is_absolute() else project_root() / path


def data_dir() -> Path:
    return project_root() / "data"


def plan_dir() -> Path:
    return data_dir() / "plan"


def progress_dir() -> Path:
    return data_dir() / "progress"


def parameters_dir() -> Path:
    return project_root() / "parameters"


def notebooks_dir() -> Path:
    """The workspace's ``notebooks/``; a workspace without one (a province's) uses the project's own."""
    own = project_root() / "notebooks"
    return own if own.is_dir() else PACKAGE_DIR.parent / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"


def chart_cache_dir() -> Path:
    """Drawings of charts, keyed by a hash of their spec, shared by notebooks and re-runs."""
    return reports_dir() / ".cache" / "charts"
