"""Vietnamese report text, as pure functions of the evaluated frame.

The phrasing follows how a ward's báo cáo is written: an amount "đạt … , bằng …% dự toán năm",
a share of an allocation "đạt …% kế hoạch vốn", a ceiling "ở mức …, đạt chỉ tiêu (dưới 3%)", a
year's estimate "Ước … cả năm 2026 đạt …", a reduction against last year's end. Every sentence
pattern is in :data:`TEMPLATES`; every number goes through :mod:`kehoach.core.formatting`.

Estimates keep the precision of the figures they come from (:func:`decimals_of`), rounded half
up, and always say "khoảng" or "(ước)"; a projection held at the indicator's value range (a
share cannot pass 100%) reads "ước cả năm đạt 100%".
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from kehoach.analysis.evaluation import ATTENTION, STATUS_LABELS
from kehoach.core.formatting import decimals_of, fmt_date, fmt_number, fmt_value
from kehoach.core.period import VN_TZ, Period

TEMPLATES: dict[str, str] = {
    # one indicator: the head
    "amount": "{label} {period} {verb} {value}, bằng {pct} {noun} năm",
    "allocation": "{label} đến {date} {verb} {value} {noun}",
    "rate": "{label} {period} {verb} {value}",
    "ceiling_met": "{label} {period} ở mức {value}, đạt chỉ tiêu ({target})",
    "ceiling_over": "{label} {period} ở mức {value}, cao hơn mức chỉ tiêu ({target}) {gap}",
    "ceiling_equal": "{label} {period} ở mức {value}, bằng mức chỉ tiêu ({target})",
    "cap_so_far": "{label} {period} là {value} (chỉ tiêu cả năm {target})",
    "annual": "Ước {label_lower} cả năm {year} đạt {value}",
    "reduction_plan": "{rate_label} cuối năm {prev_year} là {baseline}; kế hoạch năm {year} giảm {target} (còn {level})",
    "reduction_now": "{rate_label} {period} còn {value}, giảm {change} so với cuối năm {prev_year}",
    "reduction_up": "{rate_label} {period} là {value}, tăng {change} so với cuối năm {prev_year}",
    "reduction_no_base": "{rate_label} {period} là {value}; chưa có số liệu cuối năm {prev_year} để tính mức giảm",
    "rate_target": "kế hoạch năm {target}",
    "annual_target": "kế hoạch {target}",
    "new_label": "{label} (chỉ tiêu mới năm {year})",
    # comparisons
    "yoy_up_pct": "tăng {x}% so với cùng kỳ",
    "yoy_down_pct": "giảm {x}% so với cùng kỳ",
    "yoy_up_pp": "tăng {x} điểm phần trăm so với cùng kỳ",
    "yoy_down_pp": "giảm {x} điểm phần trăm so với cùng kỳ",
    "yoy_flat": "bằng cùng kỳ",
    "yoy_allocation": "cùng kỳ năm {prev_year} đạt {value}",
    # the tail: estimate and outcome
    "projection": "ước cả năm đạt khoảng {value}",
    "projection_capped": "ước cả năm đạt {value}",
    "projection_reduction": "ước cả năm giảm khoảng {value}",
    # statuses without a current figure
    "no_data": "{label}: {unit_name} chưa gửi số liệu {period}.",
    "not_due": "{label}: chưa đến kỳ đánh giá; {noun} năm {target}{last}.",
    "not_due_last": ", số cuối năm {prev_year} là {baseline}",
    "not_due_latest": "{label}: kết quả {when} đạt {value} ({status}), {noun} năm {target}.",
    # roll-ups
    "due_summary": "Trong {due} chỉ tiêu đến kỳ đánh giá {period}: {counts}.",
    "not_due_summary": " {n} chỉ tiêu còn lại chưa đến kỳ đánh giá ({frequencies}){latest}.",
    "frequency_count": "{n} chỉ tiêu đánh giá {frequency}",
    "group": "Nhóm chỉ tiêu về {name} có {total} chỉ tiêu; {counts}.",
    "group_not_due": "Nhóm chỉ tiêu về {name} có {total} chỉ tiêu, đều chưa đến kỳ đánh giá{latest}.",
    # reporting by the units
    "on_time": "{unit} đã gửi báo cáo ngày {date}, đúng hạn, đủ {submitted}/{due} chỉ tiêu.",
    "on_time_no_due": "{unit} đã gửi báo cáo ngày {date}, đúng hạn.",
    "on_time_missing": "{unit} đã gửi báo cáo ngày {date}, đúng hạn, còn thiếu {what}.",
    "late": "{unit} gửi báo cáo chậm {days} ngày (ngày {date}){missing}.",
    "not_submitted": "{unit} chưa gửi báo cáo {period} (hạn {deadline}).",
    "no_due": "{unit} không có chỉ tiêu đến kỳ báo cáo.",
    # what comes next
    "action": "({number}) {label}: {quarter} cần tăng thêm {needed} để cả năm đạt {target}{last_year}.",
    "action_level_q4": "({number}) {label}: {quarter} cần nâng từ {value} lên {needed} để đạt kế hoạch năm{last_year}.",
    "action_level_q4_down": "({number}) {label}: {quarter} cần giảm từ {value} xuống {needed} để đạt kế hoạch năm{last_year}.",
    "action_level": "({number}) {label}: đến hết năm cần đạt {target}, trong đó đến hết {quarter} cần đạt {needed} (hiện {value}){last_year}.",
    "action_last_year": " ({quarter_last} tăng {value})",
    "action_last_year_level": " ({quarter_last}: {value})",
    "action_estimate": "({number}) {label}: cần có giải pháp thúc đẩy {what} {quarter} để cả năm đạt {target}.",
    "action_no_data": "({number}) {label}: gửi ngay số liệu {period} còn thiếu.",
    "action_no_baseline": "({number}) {label}: chưa tính được mức cần đạt vì chưa có số liệu cuối năm {prev_year}; "
                          "cần bổ sung số liệu đó.",
    "action_not_due": "({number}) {label}: kết quả {when} đạt {value} ({status}); đến cuối năm cần đạt {target}.",
    "no_action": "Không có chỉ tiêu nào cần đẩy nhanh trong kỳ tới.",
    "next_year": "({number}) {label}: năm {year} {figure}, không đạt kế hoạch ({target}); cần làm rõ nguyên nhân, "
                 "đề xuất giải pháp thực hiện trong năm {next}.",
    "organisation": "Giao {units} chủ trì, phối hợp với các đơn vị liên quan tập trung thực hiện các nội dung trên trong "
                    "{when}; định kỳ báo cáo kết quả về Ủy ban nhân dân {place}{via}.",
    "organisation_all": "Các đơn vị chủ trì tiếp tục duy trì kết quả đã đạt trong {when}; định kỳ báo cáo kết quả về "
                        "Ủy ban nhân dân {place}{via}.",
}

#: The outcome that closes an indicator's sentence.
OUTCOMES = {
    "on_track": "có khả năng hoàn thành chỉ tiêu",
    "behind": "cần đẩy nhanh tiến độ để hoàn thành chỉ tiêu",
    "at_risk": "có nguy cơ không hoàn thành chỉ tiêu",
    "regressing": "giảm so với đầu năm, cần có giải pháp khắc phục",
    "achieved": "đã hoàn thành chỉ tiêu kế hoạch năm",
    "achieved_level": "đạt mức kế hoạch tại thời điểm báo cáo, cần duy trì đến cuối năm",
    "missed": "không hoàn thành chỉ tiêu kế hoạch năm",
}
#: How a status reads in a count: "5 chỉ tiêu đã đạt, 8 chỉ tiêu đúng tiến độ …" (the words of its label).
COUNT_WORDS = {
    "achieved": "đã đạt", "on_track": "đúng tiến độ", "behind": "cần đẩy nhanh tiến độ", "at_risk": "có nguy cơ không đạt",
    "regressing": "giảm so với đầu năm", "missed": "không đạt", "no_data": "chưa có số liệu",
    "not_due": "chưa đến kỳ đánh giá",
}
FREQUENCY_TEXT = {"annual": "cả năm, vào quý IV", "semi_annual": "6 tháng một lần, vào quý II và quý IV",
                  "quarterly": "hằng quý"}
ROMAN_GROUPS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
TASK_ORDER = {"done": "đã hoàn thành", "in_progress": "đang thực hiện", "not_started": "chưa triển khai",
              "not_reported": "chưa có báo cáo"}


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def join_vi(items: list[str]) -> str:
    """'a', 'a và b', 'a, b và c'."""
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1] if items else ""


def approx(value: float, unit: str, decimals: int = 0) -> str:
    """An estimate at the precision of the figures it comes from, rounded half up: 888.613 triệu đồng, 10,95%.

    Trailing zeros are dropped (100%, not 100,0%).
    """
    return fmt_value(float(fmt_number(value, decimals).replace(".", "").replace(",", ".")), unit)


def _pp(x: float, decimals: int = 2) -> str:
    return f"{fmt_number(abs(x), decimals)} điểm phần trăm".replace(",00 ", " ")


def precision(row: Mapping) -> int:
    """Decimals for an indicator's estimates: those of its figure, its target and last year's."""
    return decimals_of(row.get("value"), row.get("target"), row.get("same_period_last_year"), row.get("baseline"))


def estimate_text(row: Mapping) -> str:
    """The year-end estimate as written in a table cell or a sentence ("khoảng" is added by the caller)."""
    if _missing(row.get("projection")):
        return "—"
    value = row["projection"]
    if row["kind"] == "reduction":
        return _pp(value, precision(row))
    return approx(value, row["unit"], precision(row))


def _yoy(row: Mapping) -> str | None:
    if row["unit"] == "%":
        x, up, down = row["yoy_pp"], "yoy_up_pp", "yoy_down_pp"
    else:
        x, up, down = row["yoy_pct"], "yoy_up_pct", "yoy_down_pct"
    if _missing(x):
        return None
    if round(x, 2) == 0:
        return TEMPLATES["yoy_flat"]
    decimals = 2 if row["unit"] == "%" else 1
    text = fmt_number(abs(x), decimals).rstrip("0").rstrip(",") if row["unit"] == "%" else fmt_number(abs(x), decimals)
    return TEMPLATES[up if x > 0 else down].format(x=text)


def _verb(row: Mapping) -> str:
    return "ước đạt" if (not _missing(row.get("is_estimate")) and bool(row["is_estimate"])) else "đạt"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def is_allocation(row: Mapping) -> bool:
    """A cumulative share of an allocation (budget spent, capital disbursed): "đạt 38,2% kế hoạch vốn"."""
    return row["kind"] == "cumulative" and row["unit"] == "%" and float(row["target"]) == 100.0


def rate_label(row: Mapping) -> str:
    """The rate behind a reduction indicator: "Mức giảm tỷ lệ hộ nghèo …" → "Tỷ lệ hộ nghèo …"."""
    label = str(row["label"])
    for prefix in ("Mức giảm ", "Giảm "):
        if label.startswith(prefix):
            rest = label[len(prefix):]
            return rest[:1].upper() + rest[1:]
    return label


def _head(row: Mapping, period: Period) -> str:
    unit, value = row["unit"], row["value"]
    args = dict(label=row["label"], period=period.label(), verb=_verb(row), value=fmt_value(value, unit))
    kind = row["kind"]
    if kind == "annual_estimate":
        return TEMPLATES["annual"].format(label_lower=_lower_first(row["label"]), year=period.year, value=args["value"]) + \
            f" ({TEMPLATES['annual_target'].format(target=row['target_text'])})"
    if kind == "reduction" and _missing(row["current"]):  # no end-of-last-year figure to measure the reduction from
        return TEMPLATES["reduction_no_base"].format(rate_label=rate_label(row), period=period.label(), value=args["value"],
                                                    prev_year=period.year - 1) + \
            f" (kế hoạch giảm {_pp(row['target'], precision(row))})"
    if kind == "reduction":
        change = row["current"]
        key = "reduction_now" if change >= 0 else "reduction_up"
        when = f"cuối {period.label()}" if period.quarter == 4 else period.label()
        return TEMPLATES[key].format(rate_label=rate_label(row), period=when, value=args["value"],
                                     change=_pp(change, precision(row)), prev_year=period.year - 1) + \
            f" (kế hoạch giảm {_pp(row['target'], precision(row))})"
    if row["comparison"] == "<":
        return _ceiling(row, period, args)
    if is_allocation(row):
        end = period.end
        return TEMPLATES["allocation"].format(**args, date=f"{end.day}/{end.month}", noun=row["target_noun"])
    if unit == "%":
        return TEMPLATES["rate"].format(**args) + f" ({TEMPLATES['rate_target'].format(target=row['target_text'])})"
    return TEMPLATES["amount"].format(**args, pct=fmt_number(row["achievement_pct"], 1) + "%", noun=row["target_noun"])


def _ceiling(row: Mapping, period: Period, args: dict[str, str]) -> str:
    """A level under a ceiling ("dưới 3%"), or a running total under a cap for the year ("dưới 18 vụ")."""
    if row["kind"] == "cumulative" and period.quarter < 4 and row["gap"] < 0:  # the year is not over: not met yet
        return TEMPLATES["cap_so_far"].format(**args, target=row["target_text"])
    if row["gap"] < 0 or row["status"] in ("achieved", "on_track"):
        return TEMPLATES["ceiling_met"].format(**args, target=row["target_text"])
    if row["gap"] == 0:
        return TEMPLATES["ceiling_equal"].format(**args, target=row["target_text"])
    gap = _pp(row["gap"], precision(row)) if row["unit"] == "%" else fmt_value(row["gap"], row["unit"])
    return TEMPLATES["ceiling_over"].format(**args, target=row["target_text"], gap=gap)


def _comparison(row: Mapping, period: Period) -> str | None:
    if row["kind"] in ("reduction", "annual_estimate"):
        return None
    if is_allocation(row):
        last = row.get("same_period_last_year")
        return None if _missing(last) else TEMPLATES["yoy_allocation"].format(prev_year=period.year - 1,
                                                                              value=fmt_value(last, row["unit"]))
    return _yoy(row)


def outcome(row: Mapping) -> str:
    """The closing words: a level reached before year-end must still be held until the end of the year."""
    status = row["status"]
    if status == "achieved" and row["kind"] in ("level", "annual_estimate") and Period.parse(row["period"]).quarter < 4:
        return OUTCOMES["achieved_level"]
    return OUTCOMES[status]


def _tail(row: Mapping) -> list[str]:
    tail = []
    show = row["status"] in ("on_track", "behind", "at_risk", "regressing") and row["kind"] != "annual_estimate"
    if show and not _missing(row["projection"]) and not (row["comparison"] == "<"):
        if bool(row.get("projection_capped", False)):
            tail.append(TEMPLATES["projection_capped"].format(value=estimate_text(row)))
        else:
            key = "projection_reduction" if row["kind"] == "reduction" else "projection"
            tail.append(TEMPLATES[key].format(value=estimate_text(row)))
    tail.append(outcome(row))
    return tail


def indicator_sentence(row: Mapping) -> str:
    """One indicator's sentence, phrased by its kind and status as a báo cáo writes it.

    An indicator new in this year's plan (``is_new``, see :mod:`kehoach.data.years`) is named
    "… (chỉ tiêu mới năm 2027)", since it has no figure of last year to compare with. A row that is
    not due this quarter gives its latest figure of the year and the status it had then, when the
    frame carries them (``last_period``, ``last_value``, ``last_status``:
    :func:`kehoach.analysis.evaluation.with_latest_assessment`).
    """
    period = Period.parse(row["period"])
    if not _missing(row.get("is_new")) and bool(row.get("is_new")):
        row = {**row, "label": TEMPLATES["new_label"].format(label=row["label"], year=period.year)}
    status = row["status"]
    if status == "not_due":
        return _not_due_sentence(row, period)
    if status == "no_data":
        return TEMPLATES["no_data"].format(label=row["label"], unit_name=row["unit_name"], period=period.label())
    if row["kind"] == "reduction" and period.quarter < 4 and _missing(row["value"]):
        return _reduction_plan(row, period) + "."
    parts = [_head(row, period), _comparison(row, period)]
    text = ", ".join(p for p in parts if p)
    return f"{text}; {', '.join(_tail(row))}."


def _reduction_plan(row: Mapping, period: Period) -> str:
    base = row["baseline"]
    return TEMPLATES["reduction_plan"].format(
        rate_label=rate_label(row), prev_year=period.year - 1, baseline=fmt_value(base, row["unit"]), year=period.year,
        target=_pp(row["target"], precision(row)), level=fmt_value(round(base - row["target"], 4), row["unit"]))


def _not_due_sentence(row: Mapping, period: Period) -> str:
    if row["kind"] == "reduction" and not _missing(row["baseline"]):
        return _reduction_plan(row, period) + "."
    last_value = row.get("last_value")
    if not _missing(last_value):
        when = Period.parse(row["last_period"]).label()
        return TEMPLATES["not_due_latest"].format(
            label=row["label"], when=when,
            value=fmt_value(last_value, row["unit"]), status=_lower_first(STATUS_LABELS[row["last_status"]]),
            noun=row["target_noun"], target=row["target_text"])
    last = ""
    if not _missing(row["baseline"]) and row["kind"] != "cumulative":
        last = TEMPLATES["not_due_last"].format(prev_year=period.year - 1, baseline=fmt_value(row["baseline"], row["unit"]))
    return TEMPLATES["not_due"].format(label=row["label"], noun=row["target_noun"], target=row["target_text"], last=last)


def indicator_sentences(evaluated: pd.DataFrame) -> pd.Series:
    """The sentence of every row, indexed like ``evaluated``."""
    return pd.Series([indicator_sentence(r) for r in evaluated.to_dict("records")], index=evaluated.index, dtype="string")


# -- roll-ups ---------------------------------------------------------------------------
def count_phrase(evaluated: pd.DataFrame) -> str:
    """"5 chỉ tiêu đã đạt, 8 chỉ tiêu đúng tiến độ và 2 chỉ tiêu có nguy cơ không đạt" (zeros left out)."""
    counts = evaluated["status"].value_counts()
    return join_vi([f"{int(counts[s])} chỉ tiêu {COUNT_WORDS[s]}" for s in COUNT_WORDS if counts.get(s, 0)])


def _latest_phrase(rows: pd.DataFrame) -> str:
    """"; kết quả gần nhất (6 tháng đầu năm 2026): 3 chỉ tiêu đã đạt và 2 chỉ tiêu có nguy cơ không đạt"."""
    if "last_status" not in rows or rows["last_status"].isna().all():
        return ""
    known = rows.dropna(subset=["last_status"])
    when = Period.parse(known["last_period"].iloc[0]).label()
    counts = known["last_status"].value_counts()
    phrase = join_vi([f"{int(counts[s])} chỉ tiêu {COUNT_WORDS[s]}" for s in COUNT_WORDS if counts.get(s, 0)])
    return f"; theo kết quả {when}, {phrase}"


def summary(evaluated: pd.DataFrame) -> str:
    """The opening a leader reads in a minute: the due indicators by status, then the others with their latest results."""
    if evaluated.empty:
        return "Không có chỉ tiêu nào."
    period = Period.parse(evaluated["period"].iloc[0])
    due = evaluated[evaluated["status"] != "not_due"]
    rest = evaluated[evaluated["status"] == "not_due"]
    text = TEMPLATES["due_summary"].format(due=len(due), period=period.label(), counts=count_phrase(due)) if len(due) else ""
    if len(rest):
        counts = rest["frequency"].value_counts()
        frequencies = "; ".join(TEMPLATES["frequency_count"].format(n=int(counts[f]), frequency=FREQUENCY_TEXT[f])
                                for f in FREQUENCY_TEXT if counts.get(f, 0))
        text += TEMPLATES["not_due_summary"].format(n=len(rest), frequencies=frequencies, latest=_latest_phrase(rest))
    return text.strip()


def group_paragraph(evaluated: pd.DataFrame, group: str) -> str:
    rows = evaluated[evaluated["group"] == group]
    name = rows["group_name"].iloc[0]
    if (rows["status"] == "not_due").all():
        return TEMPLATES["group_not_due"].format(name=name, total=len(rows), latest=_latest_phrase(rows))
    return TEMPLATES["group"].format(name=name, total=len(rows), counts=count_phrase(rows))


def _what_missing(missing: list) -> str:
    numbers = ", ".join(f"({m})" for m in missing)
    return f"chỉ tiêu {numbers}" if len(missing) == 1 else f"các chỉ tiêu {numbers}"


def unit_reporting_sentence(r: Mapping, period: Period) -> str:
    """One unit's reporting this period: when, on time or how late, and what is missing."""
    deadline = r["deadline"]
    if r["timeliness"] == "not_submitted":
        if not r["due"]:
            return TEMPLATES["no_due"].format(unit=r["unit_name"])
        return TEMPLATES["not_submitted"].format(unit=r["unit_name"], period=period.label(), deadline=fmt_date(deadline))
    sent = r["first_submitted_at"].tz_convert(VN_TZ).date()
    if r["timeliness"] == "late":
        missing = f", còn thiếu {_what_missing(r['missing'])}" if len(r["missing"]) else ""
        return TEMPLATES["late"].format(unit=r["unit_name"], days=(sent - deadline).days, date=fmt_date(sent), missing=missing)
    if not r["due"]:
        return TEMPLATES["on_time_no_due"].format(unit=r["unit_name"], date=fmt_date(sent))
    if len(r["missing"]):
        return TEMPLATES["on_time_missing"].format(unit=r["unit_name"], date=fmt_date(sent), what=_what_missing(r["missing"]))
    return TEMPLATES["on_time"].format(unit=r["unit_name"], date=fmt_date(sent), submitted=r["submitted"], due=r["due"])


def completeness_text(table: pd.DataFrame) -> str:
    """Each reporting unit's submission, one sentence each (units with nothing due and nothing sent left out)."""
    if table.empty:
        return ""
    period = Period.parse(table["period"].iloc[0])
    rows = [r for r in table.to_dict("records") if r["due"] or r["timeliness"] != "not_submitted"]
    return " ".join(unit_reporting_sentence(r, period) for r in rows)




def unit_actions(paced: pd.DataFrame) -> list[str]:
    """What must be reached in the next quarter, for each lagging indicator, against the next quarter of last year.

    ``paced`` is :func:`kehoach.analysis.evaluation.required_pace` output.
    """
    rows = paced[paced["status"].isin(ATTENTION) & (paced["quarter"] < 4)]
    return [action(r) for r in rows.to_dict("records")] or [TEMPLATES["no_action"]]


def not_due_action(r: Mapping) -> str:
    """An indicator not due this quarter that lagged at its latest assessment: where it stood, what the year needs."""
    return TEMPLATES["action_not_due"].format(
        number=r["indicator"], label=r["label"], when=Period.parse(r["last_period"]).label(),
        value=fmt_value(r["last_value"], r["unit"]), status=_lower_first(STATUS_LABELS[r["last_status"]]),
        target=r["target_text"])


def action(r: Mapping) -> str:
    """One lagging indicator's need for the next quarter (the unit is named by the caller)."""
    period = Period.parse(r["period"])
    nxt = period.shift(1)
    quarter = nxt.quarter_name()
    common = dict(number=r["indicator"], label=r["label"])
    if r["status"] == "no_data":
        return TEMPLATES["action_no_data"].format(**common, period=period.label())
    if r["kind"] == "annual_estimate":
        what = "tăng trưởng" if r["unit"] == "%" else "thực hiện"
        target = r["target_text"] + (" trở lên" if r["comparison"] == ">=" and "trở lên" not in r["target_text"] else "")
        return TEMPLATES["action_estimate"].format(**common, what=what, quarter=quarter, target=target)
    decimals = precision(r)
    if r["kind"] == "cumulative" and r["frequency"] == "quarterly":
        needed = r["required_next"] - r["value"]
        gain = r.get("last_year_next_gain")
        last = "" if _missing(gain) else TEMPLATES["action_last_year"].format(
            quarter_last=nxt.shift(-4).quarter_label(), value=_gain_text(gain, r["unit"], decimals))
        return TEMPLATES["action"].format(**common, quarter=quarter, needed=_gain_text(needed, r["unit"], decimals),
                                          target=r["target_text"], last_year=last)
    last_value = r.get("last_year_next_value")
    last = "" if _missing(last_value) else TEMPLATES["action_last_year_level"].format(
        quarter_last=nxt.shift(-4).quarter_label(), value=fmt_value(last_value, r["unit"]))
    needed = r["required_next"] if not _missing(r["required_next"]) else r["needed_end"]
    by_year_end = nxt.quarter == 4 or r["frequency"] != "quarterly"  # a semi-annual rate is next measured at year-end
    if by_year_end and nxt.quarter != 4:
        quarter, needed = "đến cuối năm", r["needed_end"]
    if _missing(needed):  # a reduction measured from last year's end, when that figure was never reported
        return TEMPLATES["action_no_baseline"].format(**common, prev_year=period.year - 1)
    key = ("action_level_q4_down" if needed < r["value"] else "action_level_q4") if by_year_end else "action_level"
    return TEMPLATES[key].format(**common, quarter=quarter if by_year_end else f"{quarter}/{nxt.year}",
                                 needed=approx(needed, r["unit"], decimals),
                                 value=fmt_value(r["value"], r["unit"]), target=r["target_text"], last_year=last)


def _gain_text(x: float, unit: str, decimals: int) -> str:
    if unit == "%":
        return _pp(x, max(decimals, 1)).replace(",0 ", " ")
    return approx(x, unit, decimals)


def next_year_items(rows: pd.DataFrame) -> list[str]:
    """After Q4: the indicators not reached this year, to carry into next year's direction."""
    out = []
    for r in rows[rows["status"].isin(["missed", "regressing", "no_data"])].to_dict("records"):
        period = Period.parse(r["period"])
        figure = "chưa có số liệu" if _missing(r["value"]) else f"đạt {fmt_value(r['value'], r['unit'])}"
        out.append(TEMPLATES["next_year"].format(number=r["indicator"], label=r["label"], year=period.year, figure=figure,
                                                 target=r["target_text"], next=period.year + 1))
    return out


def organisation(units: list[str], when: str, place: str, coordinator: str | None) -> str:
    """Who leads the work of the next period: the units owning lagging indicators, by name; reports go to the
    people's committee of ``place`` ("phường Phan Đình Phùng"), through the ``coordinator`` office when there is one."""
    via = f" (qua {coordinator})" if coordinator else ""
    if not units:
        return TEMPLATES["organisation_all"].format(when=when, place=place, via=via)
    return TEMPLATES["organisation"].format(units=join_vi(units), when=when, place=place, via=via)


def chase(r: Mapping) -> str:
    """What the coordinating office should ask of a unit whose report is late, incomplete or missing."""
    if r["timeliness"] == "not_submitted":
        return "Đề nghị đôn đốc đơn vị gửi báo cáo ngay."
    if len(r["missing"]):
        return f"Đề nghị đôn đốc gửi bổ sung số liệu {_what_missing(r['missing'])}."
    return "Đề nghị nhắc nhở đơn vị gửi báo cáo đúng hạn các kỳ sau."
