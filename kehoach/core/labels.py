"""The evaluation statuses and their Vietnamese labels (light: no pandas)."""

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
