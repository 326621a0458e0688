"""kehoach: track a ward's yearly socio-economic development plan and report on it each quarter."""

from kehoach.errors import KehoachError, PlanError, SubmissionError
from kehoach.formatting import fmt_number, fmt_percent, fmt_value, parse_number
from kehoach.period import Period, period_label, quarter_label
from kehoach.plan import Plan, load_plan

__version__ = "0.1.0"

__all__ = [
    "KehoachError",
    "Period",
    "Plan",
    "PlanError",
    "SubmissionError",
    "__version__",
    "fmt_number",
    "fmt_percent",
    "fmt_value",
    "load_plan",
    "parse_number",
    "period_label",
    "quarter_label",
]
