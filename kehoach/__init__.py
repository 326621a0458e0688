"""kehoach: track a ward's yearly socio-economic development plan and report on it each quarter."""

from kehoach.completeness import completeness
from kehoach.errors import KehoachError, PlanError, SubmissionError
from kehoach.evaluate import by_group, by_unit, evaluate, needing_attention, overall, scorecard
from kehoach.formatting import fmt_number, fmt_percent, fmt_value, parse_number
from kehoach.period import Period, period_label, quarter_label
from kehoach.plan import Plan, load_plan
from kehoach.progress import ProgressStore, history, load_progress, load_tasks
from kehoach.submission import import_file

__version__ = "0.1.0"

__all__ = [
    "KehoachError",
    "Period",
    "Plan",
    "PlanError",
    "ProgressStore",
    "SubmissionError",
    "__version__",
    "by_group",
    "by_unit",
    "completeness",
    "evaluate",
    "fmt_number",
    "fmt_percent",
    "fmt_value",
    "history",
    "import_file",
    "load_plan",
    "load_progress",
    "load_tasks",
    "needing_attention",
    "overall",
    "parse_number",
    "period_label",
    "quarter_label",
    "scorecard",
]
