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


def data_dir() -> Path:
    return project_root() / "data"


def plan_dir() -> Path:
    return data_dir() / "plan"


def progress_dir() -> Path:
    return data_dir() / "progress"


def inbox_dir() -> Path:
    """Where submitted forms wait before import (the illustrative forms live here)."""
    return data_dir() / "inbox"


def parameters_dir() -> Path:
    return project_root() / "parameters"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"


def default_plan_file() -> Path:
    """The single plan file in ``data/plan/`` (the newest year if there are several)."""
    files = sorted(plan_dir().glob("*.yaml"))
    if not files:
        from kehoach.core.errors import PlanError

        raise PlanError(f"Không có tệp kế hoạch nào trong {plan_dir()}. Đặt kế hoạch của phường (tệp YAML) vào thư mục đó.")
    return files[-1]
