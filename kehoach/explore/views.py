"""HTML fragments of the explorer, from Jinja2 templates with autoescape (text from data is escaped)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render(name: str, **context: Any) -> str:
    """Render ``templates/<name>.html.j2``."""
    return _environment().get_template(f"{name}.html.j2").render(**context)
