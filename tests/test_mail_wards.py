"""Mail in a workspace with several wards: one folder, one send log and one set of recipients per ward."""

from __future__ import annotations

import json

import pytest

from kehoach.core.errors import MailError
from kehoach.core.period import Period
from kehoach.delivery.mail import Recipient, report_folder, send_log_path

Q3 = Period.parse("2026-Q3")


def test_one_ward_keeps_todays_paths(workbench):
    folder = workbench / "reports" / "2026-Q3"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"notebooks": []}), encoding="utf-8")
    assert report_folder(Q3) == (folder, None) and report_folder(Q3, "phan-dinh-phung") == (folder, None)
    assert send_log_path(Q3) == workbench / "reports" / "sent" / "2026-Q3.csv"


def test_several_wards_are_kept_apart(workbench):
    for ward in ("phan-dinh-phung", "tan-thinh"):
        folder = workbench / "reports" / "2026-Q3" / ward
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(json.dumps({"notebooks": []}), encoding="utf-8")
    assert report_folder(Q3, "tan-thinh") == (workbench / "reports" / "2026-Q3" / "tan-thinh", "tan-thinh")
    assert send_log_path(Q3, "tan-thinh") == workbench / "reports" / "sent" / "tan-thinh" / "2026-Q3.csv"
    with pytest.raises(MailError, match=r"nhiều địa bàn \(phan-dinh-phung, tan-thinh\); chọn một bằng --ward"):
        report_folder(Q3)


def test_recipient_may_name_a_ward():
    r = Recipient(name="Chủ tịch", email="ct@example.org", role="leadership", ward="tan-thinh")
    assert r.ward == "tan-thinh"
    assert Recipient(name="VP", email="vp@example.org", role="coordinator").ward is None
