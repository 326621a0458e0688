"""The analyst's workbench: interactive exploration of the evaluated plan (top layer; imports nothing above it).

``notebooks/explore.ipynb`` displays :func:`explorer`; ``make explore`` serves it with Voilà.
"""

from kehoach.explore.app import ALL, Explorer, explorer

__all__ = ["ALL", "Explorer", "explorer"]
