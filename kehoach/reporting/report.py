"""What the report notebooks call: :func:`load_context`, then one function per section.

This module is light on purpose. In a quarterly run each notebook receives a prepared
*replay* (``context_file``): the sections already laid out, with their charts drawn, by the
run (see :func:`kehoach.reporting.sections.record`). Replaying needs neither pandas nor Altair, so a
kernel costs little more than its start-up. Without ``context_file`` (the analyst in
JupyterLab, or plain ``papermill ... -f parameters/2026-Q3.yaml``), the context is built from
the data and every section is computed live by :mod:`kehoach.reporting.sections`.
"""

from __future__ import annotations

import importlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kehoach.core import config
from kehoach.core.errors import KehoachError
from kehoach.core.period import Period


def resolve(path: str | Path) -> Path:
    """A path from parameters: absolute as given, otherwise relative to the project root."""
    path = Path(path)
    return path if path.is_absolute() else config.project_root() / path


@dataclass
class Replay:
    """The outputs of every section of one ward and period, as display bundles."""

    ward: str
    period: str
    sections: dict[tuple, list[dict[str, Any]]] = field(default_factory=dict)

    def show(self, name: str, args: tuple) -> None:
        from IPython.display import display

        key = (name, *args)
        if key not in self.sections:
            raise KehoachError(f"Section {name}{args} was not prepared by the run. Run the notebook without "
                               "context_file to compute it from the data.")
        for bundle in self.sections[key]:
            display(bundle, raw=True)

    def save(self, path: Path) -> Path:
        from kehoach.core.files import atomic_write

        return atomic_write(path, pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)


def load_context(ward: str, year: int, period: str, data_dir: str = "data", report_date: str | None = None,
                 deadline: str | None = None, behind_threshold: float = 0.8, context_file: str = "") -> Any:
    """The notebooks' entry point: the run's prepared replay if given, else a live context from the data."""
    if context_file:
        ctx = pickle.loads(resolve(context_file).read_bytes())
        if str(ctx.period) != str(Period.parse(period)) or _ward(ctx) != ward:
            raise KehoachError(f"{context_file} is for {_ward(ctx)} {ctx.period}, not {ward} {period}.")
        return ctx
    return _sections().live_context(ward, year, period, data_dir, report_date, deadline, behind_threshold)


def _ward(ctx: Any) -> str:
    return ctx.ward if isinstance(ctx, Replay) else ctx.plan.ward


def _sections():
    return importlib.import_module("kehoach.reporting.sections")


def _section(name: str, ctx: Any, *args: Any) -> None:
    if isinstance(ctx, Replay):
        ctx.show(name, args)
    else:
        getattr(_sections(), name)(ctx, *args)


def document_header(ctx: Any, kind: str = "overview", unit: str | None = None) -> None:
    """National motto, issuing body, place and date, title, illustrative banner, table of contents."""
    _section("document_header", ctx, kind, *([unit] if unit else []))


def summary_section(ctx: Any) -> None:
    """I. Overall assessment."""
    _section("summary_section", ctx)


def status_overview_section(ctx: Any) -> None:
    """II. Status of the indicators by group."""
    _section("status_overview_section", ctx)


def group_sections(ctx: Any) -> None:
    """One sub-section per indicator group."""
    _section("group_sections", ctx)


def attention_section(ctx: Any) -> None:
    """III. Indicators needing attention, with their responsible units."""
    _section("attention_section", ctx)


def completeness_section(ctx: Any) -> None:
    """IV. Reporting by the responsible units."""
    _section("completeness_section", ctx)


def tasks_section(ctx: Any, unit: str | None = None) -> None:
    """V. Tasks and solutions of section II (one unit's, if ``unit`` is given)."""
    _section("tasks_section", ctx, *([unit] if unit else []))


def heatmap_section(ctx: Any) -> None:
    """Each indicator's status in each quarter so far."""
    _section("heatmap_section", ctx)


def indicator_details(ctx: Any) -> None:
    """One section per indicator."""
    _section("indicator_details", ctx)


def unit_summary_section(ctx: Any, unit: str) -> None:
    _section("unit_summary_section", ctx, unit)


def unit_completeness_section(ctx: Any, unit: str) -> None:
    _section("unit_completeness_section", ctx, unit)


def unit_actions_section(ctx: Any, unit: str) -> None:
    _section("unit_actions_section", ctx, unit)


def closing(ctx: Any) -> None:
    """Recipients and signature block."""
    _section("closing", ctx)


__all__ = [
    "Replay", "attention_section", "closing", "completeness_section", "document_header", "group_sections",
    "heatmap_section", "indicator_details", "load_context", "resolve", "status_overview_section", "summary_section",
    "tasks_section", "unit_actions_section", "unit_completeness_section", "unit_summary_section",
]
