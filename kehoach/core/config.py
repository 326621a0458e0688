"""Project paths, all derived from the project root.

The root is the folder that holds ``kehoach/``; set ``KEHOACH_ROOT`` to point the
package at another copy of the workbench (tests do this with a temporary folder), or, inside
one process, :func:`using_root` (``kehoach --root``): it holds for the calling thread or task
only, so commands run side by side in one process never see each other's workspace and the
process's environment is never changed. Nothing in the package depends on the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]
_ROOT: ContextVar[Path | None] = ContextVar("kehoach_root", default=None)


def project_root() -> Path:
    """The workbench root: the one :func:`using_root` set, else ``$KEHOACH_ROOT``, else the folder above the package."""
    chosen = _ROOT.get()
    if chosen is not None:
        return chosen
    env = os.environ.get("KEHOACH_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


@contextmanager
def using_root(root: Path) -> Iterator[Path]:
    """Make ``root`` the workbench root of this thread or task for the block."""
    token = _ROOT.set(root.expanduser().resolve())
    try:
        yield _ROOT.get()
    finally:
        _ROOT.reset(token)


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


def chart_cache_dir(root: Path | None = None) -> Path:
    """Drawings of charts, keyed by a hash of their spec, shared by notebooks and re-runs (of ``root``'s workbench)."""
    return (root / "reports" if root is not None else reports_dir()) / ".cache" / "charts"
