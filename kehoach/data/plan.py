"""The plan registry: the ward's yearly plan, loaded from YAML and validated with pydantic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
import logging
import math
import re
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kehoach.core import config
from kehoach.core.errors import KehoachError, PlanError, PlanChoiceError
from kehoach.core.files import MAX_YAML_BYTES, compose_yaml, load_yaml, read_text
from kehoach.core.formatting import fmt_value, nfc_tree

log = logging.getLogger(__name__)

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


#: A target at or above this is a typo or garbage ("1e308", "999…9"), never a plan figure.
MAX_TARGET = 1e15

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
    #: The section II field (``II.1`` …) whose results the report gives with this group's indicators.
    field: str | None = None


class PlanField(_Model):
    """A field of section II ("1. Lĩnh vực phát triển kinh tế"): its tasks are ``II.1.1``, ``II.1.2`` …"""

    id: str = Field(pattern=r"^II\.\d+$")
    title: str


def task_field(task_id: str) -> str:
    """The field a task belongs to: its id's first two parts ("II.1.3" → "II.1")."""
    return ".".join(task_id.split(".")[:2])


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
    #: The lead responsible unit: the one whose form carries the indicator and whom reports name.
    unit_code: str
    #: Every responsible unit, the lead first. In YAML ``unit_code`` takes one code or a list of codes
    #: (``unit_code: [CA, QS]``: Công an leads, Ban Chỉ huy quân sự shares); one code gives ``(code,)``.
    unit_codes: tuple[str, ...] = ()
    value_range: tuple[float | None, float | None] | None = None
    target_noun: str = "kế hoạch"

    @model_validator(mode="before")
    @classmethod
    def _owners(cls, data: object) -> object:
        """``unit_code`` as a list of codes: the first is the lead, all are kept in ``unit_codes``."""
        if not isinstance(data, dict):
            return data
        given = data.get("unit_code")
        if isinstance(given, (list, tuple)):
            if not given or not all(isinstance(c, str) for c in given):
                raise ValueError(_at(("unit_code",), "ghi một mã đơn vị hoặc một danh sách mã đơn vị (đơn vị đầu tiên chủ trì)"))
            if len(set(given)) != len(given):
                raise ValueError(_at(("unit_code",), f"một đơn vị được ghi hai lần trong {list(given)}"))
            return {**data, "unit_code": given[0], "unit_codes": tuple(given)}
        if isinstance(given, str) and not data.get("unit_codes"):
            return {**data, "unit_codes": (given,)}
        return data

    @model_validator(mode="after")
    def _lead_first(self) -> "Indicator":
        if self.unit_codes[:1] != (self.unit_code,):
            raise ValueError(_at(("unit_codes",), f"đơn vị chủ trì '{self.unit_code}' phải đứng đầu danh sách {list(self.unit_codes)}"))
        return self

    @model_validator(mode="after")
    def _plausible_target(self) -> "Indicator":
        if not math.isfinite(self.target) or abs(self.target) >= MAX_TARGET:
            raise ValueError(_at(("target",), f"{self.target} không phải là chỉ tiêu kế hoạch (phải là số hữu hạn, "
                                 "dưới 10^15); ghi đúng con số của quyết định"))
        if self.unit != "%" and self.target < 0:
            raise ValueError(_at(("target",), f"số lượng, số tiền ({self.unit}) không thể âm ({fmt_value(self.target, self.unit)})"))
        return self

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
    #: The fields of section II, in order (optional: without them, tasks are grouped by their id).
    fields: list[PlanField] = []
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
        _unique([f.id for f in self.fields], "fields", "id")
        self._check_fields()
        seen: set[int] = set()
        codes: set[str] = set()
        for i, ind in enumerate(self.indicator_list):
            if ind.number in seen:
                raise ValueError(_at(("indicators", i, "number"), f"số thứ tự {ind.number} bị trùng; mỗi số chỉ dùng một lần"))
            seen.add(ind.number)
            if ind.code in codes:
                raise ValueError(_at(("indicators", i, "code"), f"mã '{ind.code}' bị trùng; mỗi chỉ tiêu một mã riêng"))
            codes.add(ind.code)
            if ind.group not in groups:
                raise ValueError(_at(("indicators", i, "group"), f"nhóm '{ind.group}' chưa khai báo; khai báo ở mục 'groups' "
                                                                f"({', '.join(sorted(groups))})"))
            for code in ind.unit_codes:
                if code not in units:
                    raise ValueError(_at(("indicators", i, "unit_code"), f"đơn vị '{code}' chưa khai báo; khai báo ở mục "
                                                                        f"'units' ({', '.join(sorted(units))})"))
        for i, task in enumerate(self.tasks):
            if task.unit_code not in units:
                raise ValueError(_at(("tasks", i, "unit_code"), f"đơn vị '{task.unit_code}' chưa khai báo; khai báo ở mục 'units'"))
        return self

    def _check_fields(self) -> None:
        """With fields declared, every group names one of them (or none) and every task sits in one."""
        ids = {f.id for f in self.fields}
        known = ", ".join(sorted(ids))
        for i, group in enumerate(self.groups):
            if group.field is not None and group.field not in ids:
                raise ValueError(_at(("groups", i, "field"), f"lĩnh vực '{group.field}' chưa khai báo; khai báo ở mục "
                                                             f"'fields' ({known or 'chưa có lĩnh vực nào'})"))
        for i, task in enumerate(self.tasks):
            if ids and task_field(task.id) not in ids:
                raise ValueError(_at(("tasks", i, "id"), f"lĩnh vực {task_field(task.id)} chưa khai báo; khai báo ở mục "
                                                         f"'fields' ({known})"))

    # -- convenient views -------------------------------------------------------------
    @property
    def field_list(self) -> list[PlanField]:
        """The fields of section II: as declared, or one per id prefix of the tasks with a generic title."""
        if self.fields:
            return list(self.fields)
        prefixes = dict.fromkeys(task_field(t.id) for t in self.tasks)
        return [PlanField(id=p, title=f"Nhiệm vụ, giải pháp mục {p.removeprefix('II.')}") for p in prefixes]

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
                "unit_codes": ", ".join(ind.unit_codes),
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
        """The unit of ``code``, read case-insensitively and trimmed (`` ktht `` is KTHT)."""
        wanted = str(code).strip().upper()
        for unit in self.units:
            if unit.code == wanted:
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
            raise ValueError(_at((section, values.index(value, values.index(value) + 1), field), f"giá trị '{value}' bị trùng"))
        seen.add(value)


_PATH = re.compile(r"^§([^§]*)§ ")


def _at(path: tuple, message: str) -> str:
    """A validator's message with the place it concerns, read back by :func:`_describe`."""
    return f"§{'.'.join(str(p) for p in path)}§ {message}"


_ENTRY_NAMES = {"groups": "nhóm", "units": "đơn vị", "tasks": "nhiệm vụ", "fields": "lĩnh vực"}
_PATTERN_HINTS = {"code": "chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ thu-ngan-sach)",
                  "ward_code": "chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ phan-dinh-phung)",
                  "id": "II.1, II.1.2 …"}


def _message(error: dict, field: str) -> str:
    """Pydantic's message in Vietnamese, by error type."""
    kind, given, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind == "value_error":
        return _PATH.sub("", str(ctx.get("error", error["msg"])).removeprefix("Value error, "))
    if kind == "missing":
        return "thiếu; thêm trường này"
    if kind == "extra_forbidden":
        return "trường này không có trong lược đồ kế hoạch; xóa đi hoặc sửa tên cho đúng"
    if kind == "literal_error":
        return f"giá trị “{given}” không hợp lệ; chọn một trong {str(ctx.get('expected', '')).replace(' or ', ' hoặc ')}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number"):
        return f"“{given}” không phải là số" + (" nguyên" if kind.startswith("int") else "")
    if kind == "string_pattern_mismatch":
        hint = "chữ in hoa không dấu, chữ số và dấu gạch dưới (ví dụ KTHT)" if field == "code" and "A-Z" in str(ctx) \
            else _PATTERN_HINTS.get(field, str(ctx.get("pattern", "")))
        return f"“{given}” sai dạng; chỉ dùng {hint}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        return f"“{given}” phải {sign} {next(iter(ctx.values()), '')}"
    if kind.startswith("date"):
        return f"“{given}” không phải là ngày (viết dạng 2026-03-13)"
    if kind in ("string_type", "list_type", "dict_type", "model_type", "tuple_type", "model_attributes_type"):
        return "sai kiểu: " + {"string_type": "cần một đoạn chữ", "list_type": "cần một danh sách",
                               "tuple_type": "cần một danh sách"}.get(kind, "cần một bảng (các cặp tên: giá trị)")
    return f"giá trị không hợp lệ ({error['msg']})"


def _describe(error: dict, raw: dict, root: object) -> str:
    """One validation error in Vietnamese: the line, the entry (chỉ tiêu (5), đơn vị 'KTHT'), the field, what to do."""
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-")))]
    ctx_error = str((error.get("ctx") or {}).get("error", ""))
    inner = _PATH.match(ctx_error)
    if inner and inner.group(1):
        loc = loc + [int(p) if p.isdigit() else p for p in inner.group(1).split(".")]
    loc = ["indicators" if p == "indicator_list" else p for p in loc]
    entry, rest = "", loc
    if len(loc) >= 2 and isinstance(loc[1], int):
        items = raw.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) and isinstance(items[loc[1]], dict) else {}
        if loc[0] == "indicators":
            entry = f"chỉ tiêu ({item.get('number', f'thứ {loc[1] + 1} trong danh sách')})"
        else:
            entry = f"{_ENTRY_NAMES.get(loc[0], loc[0])} '{item.get('code') or item.get('id') or f'thứ {loc[1] + 1}'}'"
        rest = loc[2:]
    elif loc:
        entry, rest = f"mục '{loc[0]}'", loc[1:]
    field = ".".join(str(p) for p in rest)
    line = _line_of(root, loc)
    where = ", ".join(filter(None, [f"dòng {line}" if line else "", entry, f"trường '{field}'" if field else ""]))
    return f"{where}: {_message(error, str(rest[-1]) if rest else '')}" if where else _message(error, "")


def _line_of(root: object, loc: list) -> int | None:
    """The line of the YAML node at ``loc`` (or of its nearest parent that exists)."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def parse_plan(text: str, name: str) -> Plan:
    """Validate a plan's YAML ``text``; errors name ``name`` (the file), the line, the indicator and the field."""
    raw = load_yaml(text, name, PlanError)  # safe types, no aliases, bounded size
    if not isinstance(raw, dict):
        raise PlanError(f"{name}: tệp kế hoạch phải là một bảng YAML có các mục document, groups, units, indicators.")
    raw = nfc_tree(raw)
    try:
        return Plan.model_validate(raw)
    except ValidationError as exc:
        root = compose_yaml(text)
        problems = "; ".join(_describe(e, raw, root) for e in exc.errors())
        raise PlanError(f"{name}: {problems}. Sửa tệp kế hoạch rồi chạy lại.") from None


def load_plan(path: str | Path | None = None) -> Plan:
    """Load and validate a plan file (YAML). Without ``path``, the single plan :func:`find_plan` finds.

    Raises :class:`PlanError` naming the file, the indicator and the field at fault.
    """
    if not path:
        return find_plan()
    path = Path(path)
    try:
        text = read_text(path, "tệp kế hoạch", MAX_YAML_BYTES)  # UTF-8 or UTF-16 with BOM
    except KehoachError as exc:
        raise PlanError(str(exc)) from None
    plan = parse_plan(text, str(path))
    return plan.model_copy(update={"source": path})


# -- finding plans in a workspace ---------------------------------------------------------
def is_stray(path: Path) -> bool:
    """A temporary (``tmpXXXX.yaml``, as :mod:`tempfile` names them) or hidden file, or not a regular file."""
    return path.name.startswith(("tmp", ".", "~$")) or not path.is_file()


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
        if is_stray(path):
            log.warning("Bỏ qua %s: tệp tạm hoặc tệp ẩn, không phải kế hoạch (xóa tệp này nếu không cần).", path)
            continue
        stat = path.stat()
        entries.append(_entry(path, (stat.st_ino, stat.st_size, stat.st_mtime_ns)))
    entries.sort(key=lambda e: (e.ward, e.year))
    for a, b in zip(entries, entries[1:]):
        if (a.ward, a.year) == (b.ward, b.year):
            raise PlanError(f"{a.path.name} và {b.path.name} cùng là kế hoạch năm {a.year} của {a.ward_name}; "
                            "mỗi địa bàn mỗi năm chỉ giữ một tệp kế hoạch. Chuyển tệp cũ ra khỏi thư mục data/plan/.")
    return entries


@lru_cache(maxsize=4096)
def _entry(path: Path, stamp: tuple[int, int, int]) -> PlanEntry:
    """The entry of the plan file ``path`` as it is at ``stamp`` (inode, size, modification time).

    Validated once per version of the file: a province's run asks for the plan list once per
    commune (to find the year before), and reading every commune's plan each time grew as the
    square of the communes. A failed validation is not kept, so it is reported every time.
    """
    plan = load_plan(path)
    return PlanEntry(path, plan.ward, plan.year, plan.title_place, plan.document.decision_number,
                     len(plan.indicator_list))


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
