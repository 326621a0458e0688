"""The units' words in the reports: the context carries the period's texts, the overview and the unit letters
print them under the sections of a ward report, as written (escaped), with a marked placeholder where one is
missing; the dates of a signed document are never before the data it uses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import docx
import pandas as pd
import pytest
from docx.enum.text import WD_COLOR_INDEX

from kehoach.reporting import context, sections, word
from kehoach.reporting.blocks import Entries
from tests.conftest import PROJECT

UTC = dt.timezone.utc


def text_records(rows: list[tuple]) -> pd.DataFrame:
    """Store records of texts: (unit, item, indicator, task, period, revision, text, submitted_at)."""
    n = len(rows)
    return pd.DataFrame({
        "ward": ["phan-dinh-phung"] * n, "year": pd.array([2026] * n, dtype="Int64"), "record": ["text"] * n,
        "unit_code": [r[0] for r in rows], "item": [r[1] for r in rows],
        "indicator": pd.array([r[2] for r in rows], dtype="Int64"), "task": [r[3] for r in rows],
        "period": [r[4] for r in rows], "revision": pd.array([r[5] for r in rows], dtype="Int64"),
        "text": [r[6] for r in rows], "submitted_at": pd.to_datetime([r[7] for r in rows], utc=True),
        "value": [float("nan")] * n, "is_estimate": pd.array([None] * n, dtype="boolean"), "status": [None] * n,
        "note": [None] * n, "illustrative": [False] * n,
    })


ON_2_10 = dt.datetime(2026, 10, 2, 2, 0, tzinfo=UTC)
TEXTS = [
    ("KTHT", "ket-qua-noi-bat", None, None, "2026-Q3", 1, "Thu ngân sách đạt khá; hoàn thành chợ đêm Phan Đình Phùng.", ON_2_10),
    ("KTHT", "ton-tai-han-che", None, None, "2026-Q3", 1, "Tiến độ thu tiền sử dụng đất chậm.", ON_2_10),
    ("KTHT", "nguyen-nhan", None, None, "2026-Q3", 1, "Thị trường bất động sản trầm lắng.", ON_2_10),
    ("KTHT", "nhiem-vu-giai-phap", None, None, "2026-Q3", 1, "Đôn đốc thu nợ đọng thuế <quý IV> & phí.", ON_2_10),
    ("KTHT", "de-xuat-kien-nghi", None, None, "2026-Q3", 1, "Đề nghị bổ sung 02 cán bộ địa chính.", ON_2_10),
    ("KTHT", "nguyen-nhan-chi-tieu", 4, None, "2026-Q3", 1, "Sản xuất công nghiệp giảm do đơn hàng xuất khẩu ít.", ON_2_10),
    ("KTHT", "giai-phap-chi-tieu", 4, None, "2026-Q3", 1, "Hỗ trợ doanh nghiệp tìm thị trường mới.", ON_2_10),
    ("KTHT", "ket-qua-nhiem-vu", None, "II.1.1", "2026-Q3", 1, "Khai trương phố ẩm thực Đội Cấn.\nThu hút 12 hộ kinh doanh.",
     ON_2_10),
    # a later revision replaces the first; a text of another period and one sent after the cut-off are not used
    ("VHXH", "de-xuat-kien-nghi", None, None, "2026-Q3", 1, "Bản cũ.", ON_2_10),
    ("VHXH", "de-xuat-kien-nghi", None, None, "2026-Q3", 2, "Đề nghị hỗ trợ thẻ BHYT cho hộ cận nghèo.", ON_2_10),
    ("VHXH", "nguyen-nhan", None, None, "2026-Q2", 1, "Nguyên nhân của quý trước.", ON_2_10),
    ("PVHCC", "de-xuat-kien-nghi", None, None, "2026-Q3", 1, "Gửi sau mốc chốt.",
     dt.datetime(2026, 10, 12, 2, 0, tzinfo=UTC)),
]


@pytest.fixture(scope="module")
def base():
    return context.compute("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data")


@pytest.fixture(scope="module")
def ctx(base):
    used = text_records(TEXTS)
    used = used[used["submitted_at"] <= pd.Timestamp(base.cutoff)]
    return dataclasses.replace(base, texts=context.period_texts(used, base.period))


def words_of(section) -> list[str]:
    return ["".join(text for _, text in item) for b in section.blocks if isinstance(b, Entries) for item in b.items]


def test_the_context_carries_the_latest_texts_of_the_period_up_to_the_cut_off(base, ctx, tmp_path):
    assert base.cutoff.isoformat() == "2026-10-10T23:59:59+07:00"       # the period's report_date, not "now"
    texts = ctx.texts.set_index(["unit_code", "item"])["text"]
    assert texts[("VHXH", "de-xuat-kien-nghi")] == "Đề nghị hỗ trợ thẻ BHYT cho hộ cận nghèo."
    assert ("VHXH", "nguyen-nhan") not in texts.index and ("PVHCC", "de-xuat-kien-nghi") not in texts.index
    assert len(ctx.texts) == 9
    back = context.read(context.write(ctx, tmp_path / "inputs"))
    assert back.texts.equals(ctx.texts) and back.next_deadline == dt.date(2026, 12, 20)


def test_results_by_field_of_section_two_with_the_units_words(ctx):
    section = sections.results_section(ctx)
    headings = [(b.level, b.text) for b in section.blocks if b.kind == "heading"]
    assert [t for level, t in headings if level == 3] == [
        "1. Lĩnh vực phát triển kinh tế", "2. Lĩnh vực phát triển Văn hóa - Xã hội",
        "3. Công tác xây dựng chính quyền; chuyển đổi số; cải cách hành chính; tiếp công dân, giải quyết đơn thư, tư pháp",
        "4. Công tác Quốc phòng - An ninh"]
    assert [t for level, t in headings if level == 4][:3] == [
        "a) Các chỉ tiêu về Kinh tế", "b) Các chỉ tiêu về Xây dựng - Công nghiệp", "c) Thực hiện các nhiệm vụ, giải pháp"]
    entries = words_of(section)
    assert entries[:2] == [
        "Phòng Kinh tế, Hạ tầng và Đô thị phường: Thu ngân sách đạt khá; hoàn thành chợ đêm Phan Đình Phùng.",
        "Ban Quản lý dự án phường: [Ban Quản lý dự án phường chưa gửi kết quả nổi bật]"]
    assert "1.1. Thương mại - Dịch vụ: Khai trương phố ẩm thực Đội Cấn.\nThu hút 12 hộ kinh doanh." in entries
    assert "2.2. Giáo dục và Đào tạo (đã hoàn thành): [Phòng Văn hóa - Xã hội phường chưa gửi kết quả thực hiện " \
           "nhiệm vụ II.2.2]" in entries
    tasks = [e for e in entries if re.match(r"\d\.\d\. ", e)]
    assert len(tasks) == 17                                      # no section II task is left out
    html = section.html()
    assert '<span class="words">Khai trương phố ẩm thực Đội Cấn.\nThu hút 12 hộ kinh doanh.</span>' in html
    assert '<mark class="placeholder">[Ban Quản lý dự án phường chưa gửi kết quả nổi bật]</mark>' in html


def test_shortcomings_give_each_lagging_indicators_cause_in_the_units_words(ctx):
    section = sections.shortcomings_section(ctx)
    entries = words_of(section)
    assert ("(4) Tốc độ tăng tổng giá trị sản phẩm: 10,95%, cần đẩy nhanh (kế hoạch năm 11%). Nguyên nhân (Phòng Kinh tế, "
            "Hạ tầng và Đô thị phường): Sản xuất công nghiệp giảm do đơn hàng xuất khẩu ít.") in entries
    assert ("(33) Tỷ lệ phương tiện giao thông công cộng sử dụng năng lượng xanh: 35%, cần đẩy nhanh (kế hoạch năm 38%). "
            "[Phòng Kinh tế, Hạ tầng và Đô thị phường chưa gửi nguyên nhân của chỉ tiêu (33)]") in entries
    assert ("Phòng Kinh tế, Hạ tầng và Đô thị phường: Tiến độ thu tiền sử dụng đất chậm. Nguyên nhân: Thị trường bất động "
            "sản trầm lắng.") in entries
    assert "Ban Quản lý dự án phường: [Ban Quản lý dự án phường chưa gửi tồn tại, hạn chế và nguyên nhân]" in entries


def test_directions_name_every_unit_with_its_solutions_and_tasks(ctx):
    section = sections.directions_section(ctx)
    units = [b.text for b in section.blocks if b.kind == "heading" and b.level == 3]
    assert units == ["1. Phòng Kinh tế, Hạ tầng và Đô thị phường", "2. Phòng Văn hóa - Xã hội phường",
                     "3. Trung tâm Phục vụ hành chính công phường", "4. Ban Quản lý dự án phường",
                     "5. Ban Chỉ huy quân sự phường, Công an phường", "6. Văn phòng HĐND và UBND phường",
                     "7. Tổ chức thực hiện"]
    entries = words_of(section)
    assert ("(4) Tốc độ tăng tổng giá trị sản phẩm: cần có giải pháp thúc đẩy tăng trưởng quý IV để cả năm đạt 11% trở "
            "lên. Giải pháp: Hỗ trợ doanh nghiệp tìm thị trường mới.") in entries
    assert "Nhiệm vụ, giải pháp quý tới: Đôn đốc thu nợ đọng thuế <quý IV> & phí." in entries
    # every lagging indicator has its line, those not due now (semi-annual) included
    numbers = {int(m) for e in entries for m in re.findall(r"^\((\d+)\)", e)}
    assert numbers == {3, 4, 5, 9, 13, 14, 15, 19, 20, 31, 33, 35, 36}  # 35, 36: QSCA sent no Q3 figures
    html = section.html()
    assert "Đôn đốc thu nợ đọng thuế &lt;quý IV&gt; &amp; phí." in html and "<quý IV>" not in html
    organisation = section.blocks[-1].text
    assert organisation.endswith("định kỳ báo cáo kết quả về Ủy ban nhân dân phường Phan Đình Phùng "
                                 "(qua Văn phòng HĐND và UBND phường).")


def test_proposals_in_the_units_words_and_the_closing_paragraph(ctx):
    assert words_of(sections.proposals_section(ctx)) == [
        "Phòng Kinh tế, Hạ tầng và Đô thị phường: Đề nghị bổ sung 02 cán bộ địa chính.",
        "Phòng Văn hóa - Xã hội phường: Đề nghị hỗ trợ thẻ BHYT cho hộ cận nghèo.",
        "Trung tâm Phục vụ hành chính công phường: [Trung tâm Phục vụ hành chính công phường chưa gửi đề xuất, kiến nghị]",
        "Ban Quản lý dự án phường: [Ban Quản lý dự án phường chưa gửi đề xuất, kiến nghị]",
        "Ban Chỉ huy quân sự phường, Công an phường: [Ban Chỉ huy quân sự phường, Công an phường chưa gửi đề xuất, "
        "kiến nghị]",
        "Văn phòng HĐND và UBND phường: [Văn phòng HĐND và UBND phường chưa gửi đề xuất, kiến nghị]"]
    assert sections.closing(ctx).blocks[0].lead == (
        "Trên đây là báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội 9 tháng, phương hướng, nhiệm vụ "
        "quý IV năm 2026 của Ủy ban nhân dân phường Phan Đình Phùng./.")


def test_the_word_draft_prints_the_words_and_highlights_placeholders(ctx):
    parts = [sections.document_header(ctx), sections.results_section(ctx), sections.proposals_section(ctx),
             sections.closing(ctx)]
    document = docx.Document(io.BytesIO(word.render_docx(parts, "x")))
    runs = [r for p in document.paragraphs for r in p.runs]
    marked = [r.text for r in runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert "[Ban Quản lý dự án phường chưa gửi đề xuất, kiến nghị]" in marked
    assert "Đề nghị hỗ trợ thẻ BHYT cho hộ cận nghèo." not in marked
    paragraphs = [p.text for p in document.paragraphs]
    assert "- 1.1. Thương mại - Dịch vụ: Khai trương phố ẩm thực Đội Cấn.\nThu hút 12 hộ kinh doanh." in paragraphs
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text == "SỐ LIỆU MINH HỌA – không phải số liệu chính thức của đơn vị."   # on every page
    assert "Lập bằng kehoach" not in "\n".join(paragraphs)


def test_a_unit_letter_quotes_its_words_and_asks_for_what_is_missing_by_a_date(ctx):
    results = sections.unit_results_section(ctx, "KTHT").text()
    assert "Theo báo cáo của đơn vị:\nKết quả nổi bật: Thu ngân sách đạt khá; hoàn thành chợ đêm Phan Đình Phùng." in results
    assert "Báo cáo này" not in results
    reporting = sections.unit_reporting_section(ctx, "KTHT").text()
    assert reporting.endswith(
        "Đơn vị chưa gửi nội dung báo cáo sau, đề nghị gửi bổ sung: nguyên nhân của chỉ tiêu (5), (31), (33); "
        "giải pháp cho chỉ tiêu (5), (31), (33); kết quả thực hiện nhiệm vụ II.1.2, II.1.3, II.1.4, II.1.5.")
    nxt = sections.unit_next_section(ctx, "KTHT").text()
    assert "(4) Tốc độ tăng tổng giá trị sản phẩm: cần có giải pháp thúc đẩy tăng trưởng quý IV để cả năm đạt 11% trở " \
           "lên. Giải pháp đơn vị đề ra: Hỗ trợ doanh nghiệp tìm thị trường mới." in nxt
    assert sections.closing(ctx, "unit", "KTHT").blocks[0].lead == (
        "Đề nghị Phòng Kinh tế, Hạ tầng và Đô thị phường khẩn trương triển khai thực hiện; gửi báo cáo kết quả năm 2026 "
        "(số liệu và nội dung báo cáo) về Ủy ban nhân dân phường Phan Đình Phùng (qua Văn phòng HĐND và UBND phường) "
        "trước ngày 20/12/2026./.")
    office = sections.closing(ctx, "unit", "VP").blocks[0].lead
    assert office == ("Đề nghị Văn phòng HĐND và UBND phường theo dõi, đôn đốc các đơn vị thực hiện; tổng hợp kết quả "
                      "năm 2026, báo cáo Ủy ban nhân dân phường Phan Đình Phùng trước ngày 20/12/2026./.")
    assert "(qua Văn phòng" not in office                       # the office never reports to itself


def test_the_detail_is_an_annex_of_the_overview(ctx):
    header = sections.document_header(ctx, "indicators").blocks[0]
    assert (header.issuer, header.doc_type, header.number) == ("", "PHỤ LỤC II", "")
    assert header.basis == "(Kèm theo Báo cáo số …/BC-UBND ngày 10/10/2026 của Ủy ban nhân dân phường Phan Đình Phùng)"
    assert "motto" not in sections.document_header(ctx, "indicators").html()


DATE = re.compile(r"ngày (\d{1,2}) tháng (\d{1,2}) năm (\d{4})|(\d{1,2})/(\d{1,2})/(\d{4})")


def _dates(text: str) -> list[dt.date]:
    """Every date written in ``text``: "ngày 10 tháng 10 năm 2026" or "2/10/2026"."""
    return [dt.date(int(g[2] or g[5]), int(g[1] or g[4]), int(g[0] or g[3])) for g in DATE.findall(text)]


@pytest.mark.parametrize("as_of", ["", "2026-11-29"])
def test_every_date_of_a_signed_document_is_on_or_after_the_data_it_uses(as_of):
    ctx = context.compute("2026-Q3", ward="phan-dinh-phung", data_dir=PROJECT / "data", as_of=as_of or None)
    used = ctx.records[ctx.records["period"] <= str(ctx.period)]
    newest = used["submitted_at"].max().tz_convert("Asia/Ho_Chi_Minh").date()
    documents = {
        "overview": [sections.document_header(ctx), sections.results_section(ctx), sections.shortcomings_section(ctx),
                     sections.directions_section(ctx), sections.proposals_section(ctx), sections.closing(ctx),
                     sections.appendix_section(ctx)],
        "letter": [sections.document_header(ctx, "unit", "KTHT"), sections.unit_results_section(ctx, "KTHT"),
                   sections.unit_reporting_section(ctx, "KTHT"), sections.unit_next_section(ctx, "KTHT"),
                   sections.closing(ctx, "unit", "KTHT")],
    }
    for name, parts in documents.items():
        header = parts[0].blocks[0]
        signed = _dates(header.place_date)
        printed = [d for p in parts for d in _dates(p.text())]
        print(name, "dated", signed, "prints", sorted(set(printed)))
        assert len(signed) == 1 and signed[0] >= newest, name
        cutoff = _dates(header.cutoff)[0]
        assert cutoff <= signed[0] and newest <= cutoff, name
        # every date the document gives of its data (sending, deadlines, cut-off) is on or before its own date
        data_dates = [d for d in printed if d.year == ctx.period.year and d > dt.date(2026, 3, 13)]
        late = [d for d in data_dates if d > signed[0] and d != ctx.next_deadline]
        assert late == [], (name, late)


def test_a_commune_of_another_kind_and_a_plan_without_fields(ctx):
    """phường, xã or đặc khu comes from the plan; a plan without section II fields groups tasks by their id."""
    from kehoach.core.parameters import default_parameters

    doc = ctx.plan.document.model_copy(update={"ward_kind": "xã", "ward": "Tân Cương"})
    groups = [g.model_copy(update={"field": None}) for g in ctx.plan.groups]
    plan = ctx.plan.model_copy(update={"document": doc, "fields": [], "groups": groups})
    xa = dataclasses.replace(ctx, plan=plan, params=default_parameters("2026-Q3"))
    assert sections.document_header(xa).blocks[0].place_date == "Xã Tân Cương, ngày 10 tháng 10 năm 2026"
    assert sections.closing(xa).blocks[0].recipients == [
        "- UBND tỉnh Thái Nguyên (b/c);", "- Thường trực Đảng ủy xã (b/c);", "- Thường trực HĐND xã;",
        "- Chủ tịch, các Phó Chủ tịch UBND xã;", "- Các đơn vị chủ trì;", "- Lưu: VT, VP."]
    assert sections.closing(xa, "unit", "KTHT").blocks[0].recipients[1] == "- Chủ tịch, các Phó Chủ tịch UBND xã;"
    assert sections.directions_section(xa).blocks[-1].text.endswith(
        "về Ủy ban nhân dân xã Tân Cương (qua Văn phòng HĐND và UBND phường).")
    results = sections.results_section(xa)
    headings = [b.text for b in results.blocks if b.kind == "heading" and b.level == 3]
    assert headings == ["1. Các chỉ tiêu của Kế hoạch", "2. Nhiệm vụ, giải pháp mục 1", "3. Nhiệm vụ, giải pháp mục 2",
                        "4. Nhiệm vụ, giải pháp mục 3", "5. Nhiệm vụ, giải pháp mục 4"]
    assert len([e for e in words_of(results) if re.match(r"\d\.\d\. ", e)]) == 17


def test_the_annex_names_periods_as_the_report_does(ctx):
    """Never "2026-Q1" in a printed document: every period name comes from Period.label()."""
    table = sections.revision_table(ctx, sections.assessed(ctx).iloc[0].to_dict())
    assert [row[0] for row in table.rows] == ["Quý I năm 2026", "6 tháng đầu năm 2026", "6 tháng đầu năm 2026",
                                              "9 tháng năm 2026"]
