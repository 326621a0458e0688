"""The analyst's workbench: interactive exploration of the evaluated plan (top layer; imports nothing above it).

``notebooks/explore.ipynb`` displays :func:`explorer`; ``kehoach explore`` (``make explore``)
serves it with Voilà (:mod:`kehoach.explore.service`). The explorer's names are imported on first
use, so that Voilà's server process, which loads :mod:`kehoach.explore.service`, does not import
the widgets and Altair.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL", "Explorer", "explorer"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from kehoach.explore import app

        return getattr(app, name)
    raise AttributeError(name)
