"""The plan registry: the ward's yearly plan, loaded from YAML and validated with pydantic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kehoach.core import config
from kehoach.core.parameters import reason
from kehoach.core.errors import KehoachError, PlanError, PlanChoiceError
from kehoach.core.files import read_text, yaml_problem
from kehoach.core.formatting import fmt_value, nfc

Comparison = Literal[">=", ">", "<"]
Kind = Literal["cumulative", "level", "annual_estimate", "reduction"]
Frequency = Literal["quarterly", "semi_annual", "annual"]
Role = Literal["responsible", "coordinator", "communication"]

#: The quarters in which an indicator of each frequency is due.
DUE_QUARTERS: dict[str, tuple[int, ...]] = {
    "quarterly": (1, 2, 3, 4),
    "semi_annual": (2, 4),
    "annual": (4,),
}

def due_mask(indicators: pd.DataFrame, quarter: int | pd.Series) -> pd.Series:
    """True where an indicator is due in ``quarter``: annual only in Q4, semi-annual in Q2 and Q4."""
    quarters = quarter if isinstance(quarter, pd.Series) else pd.Series(quarter, index=indicators.index)
    due = pd.Series(False, index=indicators.index)
    for frequency, due_quarters in DUE_QUARTERS.items():
        due |= (indicators["frequency"] == frequency) & quarters.isin(due_quarters)
    return due


COMPARISON_WORDS = {">=": "{v} trở lên", ">": "trên {v}", "<": "dưới {v}"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Model):
    decision_number: str
    decision_date: dt.date
    issuing_body: str
    issuing_body_full: str
    title: str
    ward_code: str = Field(pattern=r"^[a-z0-9-]+$")
    ward: str
    ward_kind: str = "phường"
    province: str
    year: int = Field(ge=2000, le=2100)
    source_file: str | None = None
    #: Residents of the ward or commune, when the plan gives it: the weight of its shares in a province roll-up.
    population: int | None = Field(default=None, gt=0)


class Group(_Model):
    code: str
    section: str
    name: str


class Unit(_Model):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    item: str
    role: Role
    name: str
    members: list[str] = []


#: An indicator's code: a stable slug such as ``thu-ngan-sach`` that identifies it across years.
CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Indicator(_Model):
    number: int = Field(ge=1)
    code: str = Field(pattern=CODE_PATTERN, max_length=60)
    group: str
    name: str
    short_name: str | None = None
    unit: str
    target: float
    comparison: Comparison
    kind: Kind
    frequency: Frequency
    notes: str | None = None
    unit_code: str
    value_range: tuple[float | None, float | None] | None = None
    target_noun: str = "kế hoạch"

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """Accepted value range on import: a share is 0–100, a count or amount is not negative."""
        if self.value_range is not None:
            return self.value_range
        return (0.0, 100.0) if self.unit == "%" else (0.0, None)

    @property
    def label(self) -> str:
        return self.short_name or self.name

    def target_text(self) -> str:
        """The target as the plan writes it: "869.532 triệu đồng trở lên", "dưới 3%"."""
        value = fmt_value(self.target, self.unit)
        return COMPARISON_WORDS[self.comparison].format(v=value) if self.comparison != ">=" else value


class Task(_Model):
    id: str = Field(pattern=r"^II(?:\.\d+)+$")
    unit_code: str
    title: str
    summary: str


class Plan(_Model):
    document: Document
    groups: list[Group]
    units: list[Unit]
    indicator_list: list[Indicator] = Field(alias="indicators")
    tasks: list[Task] = []
    source: Path | None = Field(default=None, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check_references(self) -> "Plan":
        groups = {g.code for g in self.groups}
        units = {u.code for u in self.units}
        _unique([g.code for g in self.groups], "groups", "code")
        _unique([u.code for u in self.units], "units", "code")
        _unique([t.id for t in self.tasks], "tasks", "id")
        seen: set[int] = set()
        codes: set[str] = set()
        for ind in self.indicator_list:
            where = f"chỉ tiêu ({ind.number})"
            if ind.number in seen:
                raise ValueError(f"{where}, trường 'number': số {ind.number} bị trùng; mỗi số thứ tự chỉ được dùng một lần")
            seen.add(ind.number)
            if ind.code in codes:
                raise ValueError(f"{where}, trường 'code': mã '{ind.code}' bị trùng; mỗi chỉ tiêu cần một mã riêng")
            codes.add(ind.code)
            if ind.group not in groups:
                raise ValueError(f"{where}, trường 'group': không có nhóm '{ind.group}'; khai báo nhóm đó trong 'groups' ({', '.join(sorted(groups))})")
            if ind.unit_code not in units:
                raise ValueError(f"{where}, trường 'unit_code': đơn vị chủ trì '{ind.unit_code}' chưa được khai báo; khai báo trong 'units' ({', '.join(sorted(units))})")
        for task in self.tasks:
            if task.unit_code not in units:
                raise ValueError(f"nhiệm vụ {task.id}, trường 'unit_code': đơn vị chủ trì '{task.unit_code}' chưa được khai báo trong 'units'")
        return self

    # -- convenient views -------------------------------------------------------------
    @property
    def ward(self) -> str:
        return self.document.ward_code

    @property
    def year(self) -> int:
        return self.document.year

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """One row per indicator, ordered by number."""
        groups = {g.code: g for g in self.groups}
        units = {u.code: u for u in self.units}
        rows = [
            {
                "ward": self.ward,
                "year": self.year,
                "number": ind.number,
                "code": ind.code,
                "group": ind.group,
                "group_name": groups[ind.group].name,
                "name": ind.name,
                "label": ind.label,
                "unit": ind.unit,
                "target": ind.target,
                "comparison": ind.comparison,
                "kind": ind.kind,
                "frequency": ind.frequency,
                "notes": ind.notes,
                "unit_code": ind.unit_code,
                "unit_name": units[ind.unit_code].name,
                "target_text": ind.target_text(),
                "target_noun": ind.target_noun,
                "value_min": ind.bounds[0],
                "value_max": ind.bounds[1],
            }
            for ind in sorted(self.indicator_list, key=lambda i: i.number)
        ]
        frame = pd.DataFrame(rows)
        for col in ("year", "number"):
            frame[col] = frame[col].astype("int64")
        frame["target"] = frame["target"].astype("float64")
        return frame

    @cached_property
    def task_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"ward": self.ward, "year": self.year, **t.model_dump()} for t in self.tasks],
            columns=["ward", "year", "id", "unit_code", "title", "summary"],
        )

    def indicator(self, number: int) -> Indicator:
        for ind in self.indicator_list:
            if ind.number == number:
                return ind
        raise PlanError(f"Không có chỉ tiêu ({number}) trong kế hoạch năm {self.year} của {self.title_place} "
                        f"(các chỉ tiêu từ (1) đến ({max(i.number for i in self.indicator_list)}); xem `kehoach plan show`).")

    def indicator_by_code(self, code: str) -> Indicator | None:
        return next((ind for ind in self.indicator_list if ind.code == code), None)

    def unit(self, code: str) -> Unit:
        for unit in self.units:
            if unit.code == code:
                return unit
        known = ", ".join(u.code for u in self.units)
        raise PlanChoiceError(f"Không có đơn vị “{code}” trong kế hoạch. Các mã đơn vị: {known} (xem `kehoach plan show`).")

    def group(self, code: str) -> Group:
        return next(g for g in self.groups if g.code == code)

    @property
    def reporting_units(self) -> list[Unit]:
        """Units that own indicators or tasks and so must report each quarter."""
        owners = {i.unit_code for i in self.indicator_list} | {t.unit_code for t in self.tasks}
        return [u for u in self.units if u.code in owners]

    @property
    def coordinator(self) -> Unit | None:
        return next((u for u in self.units if u.role == "coordinator"), None)

    @property
    def title_place(self) -> str:
        return f"{self.document.ward_kind} {self.document.ward}"


def _unique(values: list, section: str, field: str) -> None:
    seen: set = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{section}, trường '{field}': giá trị '{value}' bị trùng")
        seen.add(value)


def _nfc_tree(node: object) -> object:
    if isinstance(node, str):
        return nfc(node)
    if isinstance(node, list):
        return [_nfc_tree(n) for n in node]
    if isinstance(node, dict):
        return {_nfc_tree(k): _nfc_tree(v) for k, v in node.items()}
    return node


def _describe(error: dict, raw: dict) -> str:
    loc = list(error["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
        items = raw.get("indicators") or []
        item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
        number = item.get("number", f"thứ {loc[1] + 1} trong danh sách")
        field = ".".join(str(p) for p in loc[2:]) or "(cả mục)"
        where = f"chỉ tiêu ({number}), trường '{field}'"
    elif len(loc) >= 2 and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
        key = item.get("code") or item.get("id") or f"thứ {loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:]) or "(cả mục)"
        where = f"{loc[0]} '{key}', trường '{field}'"
    message = "thiếu trường này; thêm vào" if error["type"] == "missing" else reason(error)
    return f"{where}: {message}" if not message.startswith(("chỉ tiêu", "nhiệm vụ", "groups", "units", "tasks")) else message


def load_plan(path: str | Path | None = None) -> Plan:
    """Load and validate a plan file (YAML). Without ``path``, the single plan :func:`find_plan` finds.

    Raises :class:`PlanError` naming the file, the indicator and the field at fault.
    """
    if not path:
        return find_plan()
    path = Path(path)
    try:
        text = read_text(path, "tệp kế hoạch")  # UTF-8 or UTF-16 with BOM
    except KehoachError as exc:
        raise PlanError(str(exc)) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: {yaml_problem(exc)}. Sửa cú pháp rồi chạy lại.") from None
    if not isinstance(raw, dict):
        raise PlanError(f"{path}: tệp kế hoạch phải là một bảng YAML có các mục document, groups, units, indicators.")
    raw = _nfc_tree(raw)
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(e, raw) for e in exc.errors())
        raise PlanError(f"{path}: {problems}") from None
    return plan.model_copy(update={"source": path})


# -- finding plans in a workspace ---------------------------------------------------------
@dataclass(frozen=True)
class PlanEntry:
    """One plan file of the workspace, as :func:`list_plans` sees it."""

    path: Path
    ward: str
    year: int
    ward_name: str
    decision_number: str
    indicators: int


def list_plans(folder: Path | None = None) -> list[PlanEntry]:
    """Every plan in ``data/plan/`` (or ``folder``), ordered by ward and year.

    Each file is loaded and validated, so a broken plan is reported here with its file and field.
    """
    folder = Path(folder) if folder else config.plan_dir()
    entries = []
    for path in sorted(folder.glob("*.yaml")):
        plan = load_plan(path)
        entries.append(PlanEntry(path, plan.ward, plan.year, plan.title_place, plan.document.decision_number,
                                 len(plan.indicator_list)))
    entries.sort(key=lambda e: (e.ward, e.year))
    for a, b in zip(entries, entries[1:]):
        if (a.ward, a.year) == (b.ward, b.year):
            raise PlanError(f"{a.path.name} và {b.path.name} cùng là kế hoạch năm {a.year} của {a.ward_name}; "
                            "mỗi địa bàn mỗi năm chỉ giữ một tệp kế hoạch. Chuyển tệp cũ ra khỏi thư mục data/plan/.")
    return entries


def find_plan(ward: str | None = None, year: int | None = None, folder: Path | None = None) -> Plan:
    """The plan of ``ward`` and ``year`` in ``data/plan/`` (or ``folder``): the one place plans are found.

    Either filter may be left out when only one plan fits it. The usual file name
    ``<ward>-<year>.yaml`` is tried first; otherwise every plan file is read.
    """
    folder = Path(folder) if folder else config.plan_dir()
    named = folder / f"{ward}-{year}.yaml"
    if ward and year and named.exists():
        plan = load_plan(named)
        if plan.ward == ward and plan.year == year:
            return plan
    entries = list_plans(folder)
    fitting = [e for e in entries if (ward is None or e.ward == ward) and (year is None or e.year == year)]
    if len(fitting) == 1:
        return load_plan(fitting[0].path)
    wanted = " ".join(filter(None, [f"địa bàn “{ward}”" if ward else "", f"năm {year}" if year else ""])) or "nào"
    if not fitting:
        have = "; ".join(f"{e.ward} {e.year}" for e in entries) or "chưa có tệp nào"
        raise PlanChoiceError(f"Không có kế hoạch {wanted} trong {folder} (đang có: {have}). "
                        "Nhập kế hoạch bằng `kehoach plan import` hoặc chọn --ward/--year khác.")
    choices = ", ".join(f"--ward {e.ward} --year {e.year}" for e in fitting)
    raise PlanChoiceError(f"Có {len(fitting)} kế hoạch phù hợp trong {folder}; chọn một bằng {choices}.")
