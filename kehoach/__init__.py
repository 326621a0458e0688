"""kehoach: track a ward's yearly socio-economic development plan and report on it each quarter.

The public API below is imported lazily (PEP 562), so that a report kernel that needs only
``kehoach.reporting.report`` does not pay for Excel, Arrow or Altair imports it never uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "KehoachError": "kehoach.core.errors", "PlanError": "kehoach.core.errors", "SubmissionError": "kehoach.core.errors",
    "fmt_number": "kehoach.core.formatting", "fmt_percent": "kehoach.core.formatting", "fmt_value": "kehoach.core.formatting",
    "parse_number": "kehoach.core.formatting",
    "Period": "kehoach.core.period", "period_label": "kehoach.core.period", "quarter_label": "kehoach.core.period",
    "Plan": "kehoach.data.plan", "load_plan": "kehoach.data.plan", "find_plan": "kehoach.data.plan",
    "list_plans": "kehoach.data.plan", "import_plan": "kehoach.data.planimport", "diff_plans": "kehoach.data.plandiff",
    "progress_across_years": "kehoach.data.years", "indicators_across_years": "kehoach.data.years",
    "ProgressStore": "kehoach.data.store", "history": "kehoach.data.store", "load_progress": "kehoach.data.store",
    "load_tasks": "kehoach.data.store",
    "import_file": "kehoach.data.submission",
    "completeness": "kehoach.analysis.completeness",
    "evaluate": "kehoach.analysis.evaluation", "by_group": "kehoach.analysis.evaluation", "by_unit": "kehoach.analysis.evaluation",
    "overall": "kehoach.analysis.evaluation", "scorecard": "kehoach.analysis.evaluation", "needing_attention": "kehoach.analysis.evaluation",
    "run_period": "kehoach.delivery.batch",
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
