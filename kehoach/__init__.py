"""kehoach: track a ward's yearly socio-economic development plan and report on it each quarter.

The public API below is imported lazily (PEP 562), so that a report kernel that needs only
``kehoach.report`` does not pay for Excel, Arrow or Altair imports it never uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "KehoachError": "kehoach.errors", "PlanError": "kehoach.errors", "SubmissionError": "kehoach.errors",
    "fmt_number": "kehoach.formatting", "fmt_percent": "kehoach.formatting", "fmt_value": "kehoach.formatting",
    "parse_number": "kehoach.formatting",
    "Period": "kehoach.period", "period_label": "kehoach.period", "quarter_label": "kehoach.period",
    "Plan": "kehoach.plan", "load_plan": "kehoach.plan",
    "ProgressStore": "kehoach.progress", "history": "kehoach.progress", "load_progress": "kehoach.progress",
    "load_tasks": "kehoach.progress",
    "import_file": "kehoach.submission",
    "completeness": "kehoach.completeness",
    "evaluate": "kehoach.evaluate", "by_group": "kehoach.evaluate", "by_unit": "kehoach.evaluate",
    "overall": "kehoach.evaluate", "scorecard": "kehoach.evaluate", "needing_attention": "kehoach.evaluate",
    "run_period": "kehoach.run",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kehoach' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
