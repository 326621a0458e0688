"""Every Vietnamese label, status symbol and colour the reports, charts, mail and explorer show.

One place for each: a status's word, its symbol and its colour; the "Ước thực hiện" literal; the
banner of illustrative data; quarter names. Light on purpose (no pandas), so any layer may import it.
"""

from __future__ import annotations

STATUSES = ["achieved", "on_track", "behind", "at_risk", "regressing", "missed", "no_data", "not_due"]
STATUS_LABELS = {
    "achieved": "Đã đạt",
    "on_track": "Đúng tiến độ",
    "behind": "Cần đẩy nhanh",
    "at_risk": "Có nguy cơ không đạt",
    "regressing": "Giảm so với đầu năm",
    "missed": "Không đạt",
    "no_data": "Chưa có số liệu",
    "not_due": "Chưa đến kỳ đánh giá",
}
#: Statuses that call for the leadership's attention.
ATTENTION = ["behind", "at_risk", "regressing", "missed", "no_data"]

#: A symbol per status, shown next to the colour: status is never told by colour alone.
SYMBOLS = {
    "achieved": "✓", "on_track": "↗", "behind": "→", "at_risk": "!", "regressing": "↓",
    "missed": "✗", "no_data": "?", "not_due": "·",
}
#: Colours, one per status: Okabe–Ito hues (distinguishable with common colour-vision deficiencies), the most
#: severe statuses the strongest: black for "Không đạt", a deep crimson for "Giảm so với đầu năm".
PALETTE = {
    "achieved": "#009E73", "on_track": "#56B4E9", "behind": "#E69F00", "at_risk": "#D55E00",
    "regressing": "#9E0142", "missed": "#000000", "no_data": "#999999", "not_due": "#E0E0E0",
}
#: Text colour readable on each status colour.
TEXT_ON = {s: ("white" if s in ("achieved", "at_risk", "missed", "regressing") else "black") for s in STATUSES}

#: How a stored figure was reported.
ACTUAL_LABEL = "Thực hiện"
ESTIMATE_LABEL = "Ước thực hiện"

ILLUSTRATIVE_BANNER = ("SỐ LIỆU MINH HỌA – Báo cáo này được lập từ bộ số liệu minh họa, "
                       "không phải số liệu chính thức của đơn vị.")

ILLUSTRATIVE_MIXED_BANNER = ("SỐ LIỆU MINH HỌA – Báo cáo này có cả số liệu chính thức và số liệu minh họa; "
                             "các số liệu minh họa được đánh dấu (*).")
#: The same warning on the explorer's screen and in its exports.
ILLUSTRATIVE_SCREEN_BANNER = ("SỐ LIỆU MINH HỌA – Số liệu trong màn hình này là số liệu minh họa, "
                              "không phải số liệu chính thức của đơn vị.")
ILLUSTRATIVE_EXPORT_BANNER = "SỐ LIỆU MINH HỌA – không phải số liệu chính thức của đơn vị."
#: The mark beside an illustrative figure when real and illustrative figures are mixed.
ILLUSTRATIVE_MARK = " (*)"

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
QUARTER_NAMES = {q: f"Quý {r}" for q, r in ROMAN.items()}


def status_cell(status: str) -> str:
    """The symbol and the word of a status, as shown in tables and legends: "✓ Đã đạt"."""
    return f"{SYMBOLS[status]} {STATUS_LABELS[status]}"


def figure_kind_label(is_estimate: object) -> str:
    """"Ước thực hiện" for an estimate, "Thực hiện" for an actual figure (missing counts as actual)."""
    return ESTIMATE_LABEL if is_estimate is True or (is_estimate is not None and is_estimate == is_estimate
                                                      and bool(is_estimate)) else ACTUAL_LABEL


LEGEND_LABELS = [status_cell(s) for s in STATUSES]
