"""Vietnamese report text, as pure functions of the evaluated frame.

All sentence patterns are in :data:`TEMPLATES`; every number goes through
:mod:`kehoach.core.formatting`, so no English-format number can reach the text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kehoach.analysis.evaluation import ATTENTION, STATUS_LABELS, STATUSES, needing_attention
from kehoach.core.formatting import fmt_number, fmt_value
from kehoach.core.period import VN_TZ, Period

TEMPLATES: dict[str, str] = {
    # per indicator
    "head": "{label} {period} {verb} {value}",
    "head_reduction": "{label} {period} {verb} {value} (từ {baseline} cuối năm {prev_year} còn {level})",
    "head_increase": "{label} {period}: tỷ lệ tăng {value} (từ {baseline} cuối năm {prev_year} lên {level})",
    "achievement": "bằng {pct} {noun} năm",
    "rate_target": "{noun} năm {target}",
    "gap_below": "thấp hơn ngưỡng mục tiêu {target} là {gap}",
    "gap_above": "cao hơn ngưỡng mục tiêu {target} là {gap}",
    "yoy_up_pct": "tăng {x}% so với cùng kỳ",
    "yoy_down_pct": "giảm {x}% so với cùng kỳ",
    "yoy_up_pp": "tăng {x} điểm phần trăm so với cùng kỳ",
    "yoy_down_pp": "giảm {x} điểm phần trăm so với cùng kỳ",
    "yoy_flat": "bằng cùng kỳ",
    "projection": "dự báo cả năm đạt khoảng {value}",
    "projection_reduction": "dự báo cả năm giảm khoảng {value}",
    "no_data": "{label}: {unit_name} chưa gửi số liệu {period}.",
    "new_label": "{label} (chỉ tiêu mới năm {year})",
    "not_due": "{label}: chưa đến kỳ đánh giá (chỉ tiêu đánh giá {frequency}); {noun} năm {target}{last}.",
    "not_due_last": ", số cuối năm {prev_year} là {baseline}",
    # roll-ups
    "count": "{n} chỉ tiêu {label}",
    "summary": "Trong {total} chỉ tiêu, có {counts}.",
    "group": "{name}: trong {total} chỉ tiêu, có {counts}.",
    "group_attention": " Cần quan tâm: {items}.",
    "attention_intro": "Các chỉ tiêu cần tập trung chỉ đạo: {items}.",
    "attention_item": "({number}) {label} – {status} ({unit})",
    "attention_item_short": "({number}) {label} ({status})",
    "all_on_time": "Tất cả {n} đơn vị đã gửi báo cáo {period} đúng hạn và đầy đủ.",
    "on_time_count": "Có {k}/{n} đơn vị gửi báo cáo {period} đúng hạn (hạn {deadline}).",
    "late": "{unit} gửi báo cáo {period} ngày {date}, chậm {days} ngày so với hạn {deadline}.",
    "not_submitted": "{unit} chưa gửi báo cáo {period}.",
    "missing": "{unit} chưa báo cáo {what}.",
    "tasks": "Về nhiệm vụ, giải pháp chủ yếu (phần II), trong {total} nhiệm vụ: {parts}.",
    "task_part": "{n} nhiệm vụ {label}{items}",
    "action": "({number}) {label}: đến hết {quarter} cần đạt {needed} (hiện {value}){next}.",
    "action_next": "; riêng {quarter} cần đạt {required}",
    "action_estimate": "({number}) {label}: cần nâng ước thực hiện cả năm lên {needed} (hiện ước {value}).",
    "action_no_data": "({number}) {label}: gửi số liệu {period} còn thiếu.",
    "no_action": "Không có chỉ tiêu nào cần đẩy nhanh trong kỳ tới.",
}

OUTCOMES = {
    "on_track": "có khả năng hoàn thành chỉ tiêu",
    "behind": "cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu",
    "at_risk": "có nguy cơ không hoàn thành chỉ tiêu",
    "regressing": "giảm so với đầu năm, cần có giải pháp khắc phục",
    "achieved": "đã hoàn thành chỉ tiêu kế hoạch năm",
    "missed": "không hoàn thành chỉ tiêu kế hoạch năm",
}
FREQUENCY_TEXT = {"annual": "hằng năm vào quý IV", "semi_annual": "6 tháng một lần, vào quý II và quý IV",
                  "quarterly": "hằng quý"}
TASK_ORDER = {"done": "đã hoàn thành", "in_progress": "đang thực hiện", "not_started": "chưa triển khai",
              "not_reported": "chưa có báo cáo"}


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def join_vi(items: list[str]) -> str:
    """'a', 'a và b', 'a, b và c'."""
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1] if items else ""


def approx(value: float, unit: str) -> str:
    """A rounded figure for "khoảng …": 3 significant digits for large numbers, 1 decimal for rates."""
    if unit == "%" or abs(value) < 1000:
        return fmt_value(round(value, 1), unit)
    digits = int(math.floor(math.log10(abs(value)))) - 2
    return fmt_value(round(value, -digits), unit)


def _pp(x: float, unit: str) -> str:
    return f"{fmt_number(x)} điểm phần trăm" if unit == "%" else fmt_value(x, unit)


def _yoy(row: Mapping) -> str | None:
    if row["unit"] == "%":
        x, up, down = row["yoy_pp"], "yoy_up_pp", "yoy_down_pp"
    else:
        x, up, down = row["yoy_pct"], "yoy_up_pct", "yoy_down_pct"
    if _missing(x):
        return None
    if round(x, 2) == 0:
        return TEMPLATES["yoy_flat"]
    decimals = None if row["unit"] == "%" else 1
    return TEMPLATES[up if x > 0 else down].format(x=fmt_number(abs(x), decimals))


def _head(row: Mapping, period: Period) -> str:
    verb = "ước đạt" if (not _missing(row["is_estimate"]) and bool(row["is_estimate"])) else "đạt"
    args = dict(label=row["label"], period=period.label(), verb=verb)
    if row["kind"] == "reduction" and not _missing(row["baseline"]):
        reduction = row["current"]
        key = "head_reduction" if reduction >= 0 else "head_increase"
        return TEMPLATES[key].format(**args, value=_pp(abs(reduction), row["unit"]), baseline=fmt_value(row["baseline"], row["unit"]),
                                     prev_year=period.year - 1, level=fmt_value(row["value"], row["unit"]))
    return TEMPLATES["head"].format(**args, value=fmt_value(row["value"], row["unit"]))


def _target_part(row: Mapping) -> str:
    if row["comparison"] == "<":
        gap = row["gap"]
        key = "gap_below" if gap < 0 else "gap_above"
        return TEMPLATES[key].format(target=fmt_value(row["target"], row["unit"]), gap=_pp(abs(gap), row["unit"]))
    if row["unit"] == "%" and row["kind"] != "reduction":
        return TEMPLATES["rate_target"].format(noun=row["target_noun"], target=row["target_text"])
    return TEMPLATES["achievement"].format(pct=fmt_number(row["achievement_pct"], 1) + "%", noun=row["target_noun"])


def indicator_sentence(row: Mapping) -> str:
    """One indicator's sentence, in the conventional phrasing of a báo cáo.

    An indicator new in this year's plan (``is_new``, see :mod:`kehoach.data.years`) is named
    "… (chỉ tiêu mới năm 2027)", since it has no figure of last year to compare with.
    """
    period = Period.parse(row["period"])
    if not _missing(row.get("is_new")) and bool(row.get("is_new")):
        row = {**row, "label": TEMPLATES["new_label"].format(label=row["label"], year=period.year)}
    status = row["status"]
    if status == "not_due":
        last = ""
        if not _missing(row["baseline"]) and row["kind"] != "cumulative":
            last = TEMPLATES["not_due_last"].format(prev_year=period.year - 1, baseline=fmt_value(row["baseline"], row["unit"]))
        return TEMPLATES["not_due"].format(label=row["label"], frequency=FREQUENCY_TEXT[row["frequency"]],
                                           noun=row["target_noun"], target=row["target_text"], last=last)
    if status == "no_data":
        return TEMPLATES["no_data"].format(label=row["label"], unit_name=row["unit_name"], period=period.label())
    parts = [_head(row, period), _target_part(row)]
    if row["kind"] != "reduction":
        parts.append(_yoy(row))
    text = ", ".join(p for p in parts if p)
    tail = []
    if status in ("on_track", "behind", "at_risk", "regressing") and row["kind"] != "annual_estimate" and not _missing(row["projection"]):
        key = "projection_reduction" if row["kind"] == "reduction" else "projection"
        value = _pp(row["projection"], row["unit"]) if row["kind"] == "reduction" else approx(row["projection"], row["unit"])
        tail.append(TEMPLATES[key].format(value=value))
    tail.append(OUTCOMES[status])
    return f"{text}; {', '.join(tail)}."


def indicator_sentences(evaluated: pd.DataFrame) -> pd.Series:
    """The sentence of every row, indexed like ``evaluated``."""
    return pd.Series([indicator_sentence(r) for r in evaluated.to_dict("records")], index=evaluated.index, dtype="string")


# -- roll-ups ---------------------------------------------------------------------------
def _label_lower(status: str) -> str:
    return STATUS_LABELS[status][0].lower() + STATUS_LABELS[status][1:]


def count_phrase(evaluated: pd.DataFrame) -> str:
    """"5 chỉ tiêu đã đạt, 8 chỉ tiêu đúng tiến độ và 16 chỉ tiêu chưa đến kỳ đánh giá" (zeros left out)."""
    counts = evaluated["status"].value_counts()
    return join_vi([TEMPLATES["count"].format(n=int(counts[s]), label=_label_lower(s)) for s in STATUSES if counts.get(s, 0)])


def _attention_items(evaluated: pd.DataFrame, with_unit: bool) -> list[str]:
    key = "attention_item" if with_unit else "attention_item_short"
    return [TEMPLATES[key].format(number=r["indicator"], label=r["label"], status=_label_lower(r["status"]), unit=r["unit_name"])
            for r in needing_attention(evaluated).to_dict("records")]


def summary(evaluated: pd.DataFrame) -> str:
    """The overall paragraph: counts by status, then the indicators needing attention and their units."""
    text = TEMPLATES["summary"].format(total=len(evaluated), counts=count_phrase(evaluated))
    items = _attention_items(evaluated, with_unit=True)
    if items:
        text += " " + TEMPLATES["attention_intro"].format(items="; ".join(items))
    return text


def group_paragraph(evaluated: pd.DataFrame, group: str) -> str:
    rows = evaluated[evaluated["group"] == group]
    text = TEMPLATES["group"].format(name=f"Nhóm chỉ tiêu về {rows['group_name'].iloc[0]}", total=len(rows), counts=count_phrase(rows))
    items = _attention_items(rows, with_unit=False)
    if items:
        text += TEMPLATES["group_attention"].format(items="; ".join(items))
    return text


def group_paragraphs(evaluated: pd.DataFrame) -> dict[str, str]:
    return {g: group_paragraph(evaluated, g) for g in pd.unique(evaluated["group"])}


def completeness_text(table: pd.DataFrame) -> str:
    """Who reported on time, late, not at all, and which due indicators are missing."""
    if table.empty:
        return ""
    period = Period.parse(table["period"].iloc[0])
    deadline = table["deadline"].iloc[0]
    n = len(table)
    on_time = table[table["timeliness"] == "on_time"]
    if len(on_time) == n and table["complete"].all():
        return TEMPLATES["all_on_time"].format(n=n, period=period.label())
    sentences = [TEMPLATES["on_time_count"].format(k=len(on_time), n=n, period=period.label(), deadline=f"{deadline:%d/%m/%Y}")]
    for r in table.to_dict("records"):
        if r["timeliness"] == "late":
            sent = r["first_submitted_at"].tz_convert(VN_TZ).date()
            sentences.append(TEMPLATES["late"].format(unit=r["unit_name"], period=period.label(), date=f"{sent:%d/%m/%Y}",
                                                      days=(sent - deadline).days, deadline=f"{deadline:%d/%m/%Y}"))
        elif r["timeliness"] == "not_submitted":
            sentences.append(TEMPLATES["not_submitted"].format(unit=r["unit_name"], period=period.label()))
            continue
        if r["missing"]:
            numbers = ", ".join(f"({m})" for m in r["missing"])
            what = f"chỉ tiêu {numbers}" if len(r["missing"]) == 1 else f"các chỉ tiêu {numbers}"
            sentences.append(TEMPLATES["missing"].format(unit=r["unit_name"], what=what))
    return " ".join(sentences)


def tasks_text(tasks: pd.DataFrame) -> str:
    """Section II tasks by status, naming the tasks outside "in progress"."""
    if tasks.empty:
        return ""
    parts = []
    for status, label in TASK_ORDER.items():
        rows = tasks[tasks["status"] == status]
        if rows.empty:
            continue
        items = "" if status == "in_progress" else " (" + "; ".join(f"{r['id']} {r['title']}" for r in rows.to_dict("records")) + ")"
        parts.append(TEMPLATES["task_part"].format(n=len(rows), label=label, items=items))
    return TEMPLATES["tasks"].format(total=len(tasks), parts="; ".join(parts))


def unit_actions(paced: pd.DataFrame) -> list[str]:
    """What a unit must push next quarter; ``paced`` is :func:`kehoach.analysis.evaluation.required_pace` output."""
    rows = paced[paced["status"].isin(ATTENTION) & (paced["quarter"] < 4)]
    out = []
    for r in rows.to_dict("records"):
        period = Period.parse(r["period"])
        if r["status"] == "no_data":
            out.append(TEMPLATES["action_no_data"].format(number=r["indicator"], label=r["label"], period=period.label()))
        elif r["kind"] == "annual_estimate":
            out.append(TEMPLATES["action_estimate"].format(number=r["indicator"], label=r["label"],
                                                           needed=r["target_text"], value=fmt_value(r["value"], r["unit"])))
        else:
            nxt = ""
            if period.quarter < 3 and r["frequency"] == "quarterly":
                nxt = TEMPLATES["action_next"].format(quarter=period.shift(1).quarter_label(),
                                                      required=fmt_value(round(r["required_next"], 2), r["unit"]))
            out.append(TEMPLATES["action"].format(number=r["indicator"], label=r["label"],
                                                  quarter=Period(period.year, 4).quarter_label(),
                                                  needed=fmt_value(r["needed_end"], r["unit"]),
                                                  value=fmt_value(r["value"], r["unit"]), next=nxt))
    return out or [TEMPLATES["no_action"]]
