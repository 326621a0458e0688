"""`kehoach plan import`: the seed decision round-trips; other styles (.txt, .docx tables, .pdf) field by field."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
import yaml

from kehoach.core.errors import PlanError
from kehoach.data.plan import load_plan
from kehoach.data.planimport import CHECK, import_plan
from kehoach.data.planimport.targets import parse_target, split_name

from tests.conftest import PLAN_FILE, PROJECT

SEED = PROJECT / "data" / "plan" / "source" / "ke-hoach-phat-trien-kt-xh-2026.txt"
FIXTURES = Path(__file__).parent / "fixtures" / "plans"


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The seed imported twice: with the committed plan as reference (codes kept) and without."""
    out = tmp_path_factory.mktemp("seed")
    return (import_plan(SEED, out / "ref.yaml", reference=load_plan(PLAN_FILE)),
            import_plan(SEED, out / "noref.yaml", reference=None))


# -- the seed plan round-trips -----------------------------------------------------------------
def test_seed_counts_and_summary(seed):
    report, _ = seed
    assert (len(report.plan.indicator_list), len(report.plan.groups), len(report.plan.units), len(report.plan.tasks)) == (36, 7, 7, 17)
    assert report.draft.unplaced == [] and report.without_unit == []
    text = report.summary()
    assert text.splitlines()[0] == "Đã đọc ke-hoach-phat-trien-kt-xh-2026.txt: 36 chỉ tiêu, 7 nhóm chỉ tiêu, 7 đơn vị, 17 nhiệm vụ."
    assert "giữ mã của 36 chỉ tiêu, 0 chỉ tiêu mới" in text


@pytest.mark.parametrize("number", range(1, 37))
def test_seed_indicator_round_trips(seed, plan, number):
    with_ref, without_ref = seed
    want = plan.indicator(number)
    got = with_ref.plan.indicator(number)
    fields = ("number", "code", "name", "unit", "target", "comparison", "group", "unit_code")
    assert {f: getattr(got, f) for f in fields} == {f: getattr(want, f) for f in fields}
    # Without a reference the codes are proposals, but every field read from the text is the same.
    bare = without_ref.plan.indicator(number)
    assert (bare.name, bare.unit, bare.target, bare.comparison) == (want.name, want.unit, want.target, want.comparison)
    assert without_ref.plan.group(bare.group).section == plan.group(want.group).section
    assert without_ref.plan.unit(bare.unit_code).item == plan.unit(want.unit_code).item


def test_seed_units_groups_tasks_and_document(seed, plan):
    with_ref, without_ref = seed
    for imported in (with_ref.plan, without_ref.plan):
        assert [(u.item, u.role, u.name, u.members) for u in imported.units] == [(u.item, u.role, u.name, u.members) for u in plan.units]
        assert [(g.section, g.name) for g in imported.groups] == [(g.section, g.name) for g in plan.groups]
        assert [(t.id, t.title) for t in imported.tasks] == [(t.id, t.title) for t in plan.tasks]
        doc, want = imported.document, plan.document
        for field in ("decision_number", "decision_date", "issuing_body", "issuing_body_full", "title", "ward_code",
                      "ward", "ward_kind", "province", "year", "source_file"):
            assert getattr(doc, field) == getattr(want, field), field
    assert [(u.code, u.item) for u in with_ref.plan.units] == [(u.code, u.item) for u in plan.units]
    assert [g.code for g in with_ref.plan.groups] == [g.code for g in plan.groups]
    assert [t.unit_code for t in with_ref.plan.tasks] == [t.unit_code for t in plan.tasks]
    assert [i.kind for i in with_ref.plan.indicator_list] == [i.kind for i in plan.indicator_list]


def test_seed_draft_marks_guesses(seed):
    _, bare = seed
    text = bare.output.read_text(encoding="utf-8")
    kind = next(line for line in text.splitlines() if line.strip().startswith("kind: cumulative"))
    assert kind == "    kind: cumulative  # KIỂM TRA: đoán theo đơn vị tính “triệu đồng” (số lượng, số tiền cộng dồn trong năm)"
    assert "    frequency: quarterly  # KIỂM TRA: mặc định hằng quý; đổi nếu chỉ tiêu chỉ có số 6 tháng hoặc cả năm" in text
    assert '  - {code: KHCNCDS, section: "4.3", name: "Khoa học Công nghệ - Chuyển đổi số"}  # KIỂM TRA:' in text
    assert bare.checks == text.count(CHECK) and bare.checks > 36 * 3


def test_draft_is_not_overwritten(tmp_path):
    out = tmp_path / "draft.yaml"
    out.write_text("giữ nguyên", encoding="utf-8")
    with pytest.raises(PlanError, match="đã có; không ghi đè"):
        import_plan(SEED, out, reference=None)
    assert out.read_text(encoding="utf-8") == "giữ nguyên"


def test_default_output_is_next_to_the_source(tmp_path):
    source = tmp_path / "qd.txt"
    shutil.copy(SEED, source)
    report = import_plan(source, reference=None)
    assert report.output == tmp_path / "phan-dinh-phung-2026.yaml" and report.output.exists()


# -- targets as officials write them --------------------------------------------------------------
@pytest.mark.parametrize("body, name, value, unit, comparison", [
    ("Thu ngân sách nhà nước trên địa bàn: 869.532 triệu đồng trở lên.", "Thu ngân sách nhà nước trên địa bàn", 869532, "triệu đồng", ">="),
    ("Mức giảm tỷ lệ hộ nghèo: 0,02%.", "Mức giảm tỷ lệ hộ nghèo", 0.02, "%", ">="),
    ("Tỷ lệ dân quân tự vệ so với dân số: 1,14%.", "Tỷ lệ dân quân tự vệ so với dân số", 1.14, "%", ">="),
    ("Chi ngân sách nhà nước đảm bảo 100% kế hoạch giao.", "Chi ngân sách nhà nước", 100, "%", ">="),
    ("Phân đấu giải ngân vốn đầu tư công đạt 100% kế hoạch giao.", "Phân đấu giải ngân vốn đầu tư công", 100, "%", ">="),
    ("Tỷ lệ thất nghiệp: dưới 3%", "Tỷ lệ thất nghiệp", 3, "%", "<"),
    ("Chỉ số hài lòng: trên 90%", "Chỉ số hài lòng", 90, "%", ">"),
    ("Giá trị sản xuất tăng 4,5 - 5%", "Giá trị sản xuất", 4.5, "%", ">="),
    ("Thu nhập bình quân đạt từ 68 triệu đồng/người/năm trở lên", "Thu nhập bình quân", 68, "triệu đồng/người/năm", ">="),
    ("Tỷ lệ hộ nghèo giảm xuống dưới 2%", "Tỷ lệ hộ nghèo", 2, "%", "<"),
    ("Tốc độ truy cập trên 1Gb/s: 95%", "Tốc độ truy cập trên 1Gb/s", 95, "%", ">="),
    ("Số người mới sử dụng biện pháp tránh thai: 4.330 người", "Số người mới sử dụng biện pháp tránh thai", 4330, "người", ">="),
    # without a colon: "không dưới" is not "dưới", and "≥", "giữ vững" start the target, not end the name
    ("Thu ngân sách nhà nước trên địa bàn không dưới 12.500 triệu đồng.", "Thu ngân sách nhà nước trên địa bàn", 12500, "triệu đồng", ">="),
    ("Tỷ lệ trẻ em được tiêm chủng không thấp hơn 98%", "Tỷ lệ trẻ em được tiêm chủng", 98, "%", ">="),
    ("Tổng sản lượng lương thực có hạt ≥ 6.800 tấn.", "Tổng sản lượng lương thực có hạt", 6800, "tấn", ">="),
    ("Số vụ tai nạn giao thông ≤ 5 vụ", "Số vụ tai nạn giao thông", 5, "vụ", "<"),
    ("Tỷ lệ che phủ rừng giữ vững 62%.", "Tỷ lệ che phủ rừng", 62, "%", ">="),
])
def test_target_forms(body, name, value, unit, comparison):
    got_name, phrase = split_name(body)
    target = parse_target(phrase)
    assert (got_name, target.value, target.unit, target.comparison) == (name, value, unit, comparison)


def test_range_target_is_flagged():
    assert parse_target("tăng 4,5 - 5%").checks == {"target": "kế hoạch ghi khoảng “4,5 - 5”; đã lấy cận dưới làm chỉ tiêu"}


# -- a xã in another style (.txt and .pdf) --------------------------------------------------------------
XA_INDICATORS = [
    # number, group section, name, unit, target, comparison, kind, unit item
    (1, "a", "Tổng thu ngân sách nhà nước trên địa bàn", "triệu đồng", 45200, ">=", "cumulative", "III.1"),
    (2, "a", "Giá trị sản xuất nông, lâm nghiệp, thủy sản", "%", 4.5, ">=", "annual_estimate", "III.2"),
    (3, "a", "Thu nhập bình quân đầu người", "triệu đồng/người/năm", 68, ">=", "annual_estimate", "III.2"),
    (4, "a", "Diện tích chè trồng mới, trồng thay thế", "ha", 35, ">=", "cumulative", "III.2"),
    (5, "b", "Giảm tỷ lệ hộ nghèo", "%", 1.5, ">=", "reduction", "III.3"),
    (6, "b", "Tỷ lệ người dân tham gia bảo hiểm y tế", "%", 95.5, ">", "level", "III.3"),
    (7, "b", "Tỷ lệ lao động qua đào tạo", "%", 72, ">=", "level", "III.3"),
    (8, "3", "Tỷ lệ chất thải rắn sinh hoạt được thu gom, xử lý", "%", 90, ">=", "level", "III.5"),
    (9, "3", "Tỷ lệ hộ dân được sử dụng nước hợp vệ sinh", "%", 100, ">=", "level", "III.5"),
    (10, "c", "Tỷ lệ xóm đạt tiêu chuẩn an toàn về an ninh, trật tự", "%", 90, ">=", "level", "III.4"),
    (11, "c", "Số vụ tai nạn giao thông nghiêm trọng", "vụ", 2, "<", "cumulative", "III.4"),
]


@pytest.mark.parametrize("suffix", ["txt", "pdf"])
def test_xa_plan_field_by_field(tmp_path, suffix):
    report = import_plan(FIXTURES / f"xa-tan-cuong-2027.{suffix}", tmp_path / "xa.yaml", reference=None)
    plan = report.plan
    doc = plan.document
    assert (doc.decision_number, doc.decision_date.isoformat(), doc.issuing_body, doc.ward, doc.ward_kind, doc.ward_code,
            doc.province, doc.year, doc.title) == (
        "12/QĐ-UBND", "2027-01-08", "UBND xã Tân Cương", "Tân Cương", "xã", "tan-cuong", "Thái Nguyên", 2027,
        "Kế hoạch phát triển kinh tế - xã hội xã Tân Cương năm 2027")
    assert [(g.section, g.name) for g in plan.groups] == [("a", "Kinh tế"), ("b", "Xã hội"), ("3", "Môi trường"),
                                                          ("c", "Quốc phòng, an ninh")]
    got = [(i.number, plan.group(i.group).section, i.name, i.unit, i.target, i.comparison, i.kind, plan.unit(i.unit_code).item)
           for i in plan.indicator_list]
    assert got == XA_INDICATORS
    assert [(u.item, u.name, u.role, u.members) for u in plan.units] == [
        ("III.1", "Công chức Tài chính - Kế toán xã", "responsible", []),
        ("III.2", "Phòng Kinh tế xã", "responsible", []),
        ("III.3", "Phòng Văn hóa - Xã hội xã", "responsible", []),
        ("III.4", "Công an xã, Ban Chỉ huy quân sự xã", "responsible", ["Công an xã", "Ban Chỉ huy quân sự xã"]),
        ("III.5", "Văn phòng HĐND và UBND xã", "coordinator", []),
    ]
    assert [(t.id, t.title) for t in plan.tasks] == [
        ("II.1", "Phát triển sản xuất chè và nông nghiệp"), ("II.2", "Xây dựng nông thôn mới nâng cao"),
        ("II.3", "Văn hóa - xã hội"), ("II.4", "Quốc phòng, an ninh")]
    # The summary names the line it could not place and the indicators no unit was given.
    line = "trang 1, dòng 29" if suffix == "pdf" else "dòng 40"
    assert [(u.where, u.text) for u in report.draft.unplaced] == [(line, "Ghi chú: số liệu tai nạn giao thông do Công an xã tổng hợp.")]
    assert [i.number for i in report.without_unit] == [8, 9]
    summary = report.summary()
    assert f"  {line}: Ghi chú: số liệu tai nạn giao thông do Công an xã tổng hợp." in summary
    assert "Có 2 chỉ tiêu chưa có đơn vị chủ trì (đã giao tạm, cần sửa):" in summary


# -- a Word decision with the indicators in a table -------------------------------------------------------
def _docx(path: Path) -> Path:
    document = docx.Document()
    for text in ("ỦY BAN NHÂN DÂN PHƯỜNG HOÀNG VĂN THỤ", "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Hoàng Văn Thụ năm 2027",
                 "(Kèm theo Quyết định số 30/QĐ-UBND ngày 20/01/2027 của UBND phường Hoàng Văn Thụ, tỉnh Thái Nguyên)",
                 "I. CÁC CHỈ TIÊU CHỦ YẾU NĂM 2027"):
        document.add_paragraph(text)
    rows = [
        ("STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch năm 2027", "Đơn vị chủ trì"),
        ("I", "Chỉ tiêu về kinh tế", None, None, None),
        ("1", "Thu ngân sách nhà nước trên địa bàn", "Triệu đồng", "≥ 520.000", "Phòng Kinh tế, Hạ tầng và Đô thị phường"),
        ("2", "Tốc độ tăng tổng giá trị sản phẩm", "%", "10 - 10,5", "Phòng Kinh tế, Hạ tầng và Đô thị phường"),
        ("II", "Chỉ tiêu về xã hội", None, None, None),
        ("3", "Tỷ lệ thất nghiệp ở khu vực thành thị", "%", "< 3", "Phòng Văn hóa - Xã hội phường"),
        ("4", "Tỷ lệ tham gia bảo hiểm y tế\n(toàn dân)", "%", "96,5", "Phòng Văn hóa - Xã hội phường"),
        ("III", "Chỉ tiêu về quốc phòng, an ninh", None, None, None),
        ("5", "Tỷ lệ lực lượng dân quân tự vệ so với dân số", "%", "1,2", "Ban Chỉ huy quân sự phường"),
    ]
    table = document.add_table(rows=len(rows), cols=5)
    for r, values in enumerate(rows):
        cells = table.rows[r].cells
        if values[2] is None:  # a group row: the title spans the row
            cells[1].merge(cells[4])
        for c, value in enumerate(values):
            if value is not None:
                cells[c].text = value
    for text in ("II. NHIỆM VỤ, GIẢI PHÁP", "1. Phát triển kinh tế đô thị",
                 "Thu hút đầu tư thương mại, dịch vụ; chỉnh trang các tuyến phố.", "2. Chuyển đổi số",
                 "Số hóa hồ sơ, đẩy mạnh dịch vụ công trực tuyến.", "III. TỔ CHỨC THỰC HIỆN",
                 "1. Văn phòng HĐND và UBND phường tổng hợp, báo cáo định kỳ hằng quý."):
        document.add_paragraph(text)
    document.save(path)
    return path


def test_docx_table_plan_field_by_field(tmp_path):
    report = import_plan(_docx(tmp_path / "qd-30.docx"), reference=None)
    plan = report.plan
    assert report.output == tmp_path / "hoang-van-thu-2027.yaml"
    assert (plan.document.decision_number, plan.document.decision_date.isoformat(), plan.document.ward,
            plan.document.province) == ("30/QĐ-UBND", "2027-01-20", "Hoàng Văn Thụ", "Thái Nguyên")
    assert [(g.section, g.name) for g in plan.groups] == [("I", "Kinh tế"), ("II", "Xã hội"), ("III", "Quốc phòng, an ninh")]
    got = [(i.number, plan.group(i.group).section, i.name, i.unit, i.target, i.comparison, plan.unit(i.unit_code).name)
           for i in plan.indicator_list]
    assert got == [
        (1, "I", "Thu ngân sách nhà nước trên địa bàn", "triệu đồng", 520000, ">=", "Phòng Kinh tế, Hạ tầng và Đô thị phường"),
        (2, "I", "Tốc độ tăng tổng giá trị sản phẩm", "%", 10, ">=", "Phòng Kinh tế, Hạ tầng và Đô thị phường"),
        (3, "II", "Tỷ lệ thất nghiệp ở khu vực thành thị", "%", 3, "<", "Phòng Văn hóa - Xã hội phường"),
        (4, "II", "Tỷ lệ tham gia bảo hiểm y tế (toàn dân)", "%", 96.5, ">=", "Phòng Văn hóa - Xã hội phường"),
        (5, "III", "Tỷ lệ lực lượng dân quân tự vệ so với dân số", "%", 1.2, ">=", "Ban Chỉ huy quân sự phường"),
    ]
    assert [(u.name, u.role) for u in plan.units] == [
        ("Văn phòng HĐND và UBND phường", "coordinator"), ("Phòng Kinh tế, Hạ tầng và Đô thị phường", "responsible"),
        ("Phòng Văn hóa - Xã hội phường", "responsible"), ("Ban Chỉ huy quân sự phường", "responsible")]
    assert [(t.id, t.title, t.summary) for t in plan.tasks] == [
        ("II.1", "Phát triển kinh tế đô thị", "Thu hút đầu tư thương mại, dịch vụ; chỉnh trang các tuyến phố"),
        ("II.2", "Chuyển đổi số", "Số hóa hồ sơ, đẩy mạnh dịch vụ công trực tuyến")]
    assert report.draft.unplaced == [] and report.without_unit == []


# -- codes kept from last year's plan --------------------------------------------------------------------
def test_codes_kept_by_name_when_renumbered(tmp_path, plan):
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("- (1) Thu ngân sách", "- (2) Thu ngân sách").replace("- (2) Chi ngân sách", "- (1) Chi ngân sách")
    text = text.replace("(10) Tỷ lệ hồ sơ giải quyết đúng hạn: 100%.", "(10) Tỷ lệ hồ sơ được giải quyết đúng hạn: 100%.")
    text = text.replace("(14) Tỷ lệ dân số phủ sóng 5G: 80%.", "(14) Tỷ lệ hộ kinh doanh dùng hóa đơn điện tử: 80%.")
    source = tmp_path / "kh-2027.txt"
    source.write_text(text.replace("2026", "2027"), encoding="utf-8")
    report = import_plan(source, reference=plan)
    got = report.plan
    assert got.indicator(2).code == "thu-ngan-sach" and got.indicator(1).code == "chi-ngan-sach"
    assert got.indicator(10).code == "ho-so-dung-han"
    assert "tên khác kế hoạch năm 2026" in report.draft.indicators[9].checks["code"]
    assert got.indicator(14).code == "ho-kinh-doanh-dung-hoa"
    assert report.carried == 35


def test_not_a_plan_is_a_clear_error(tmp_path):
    path = tmp_path / "thu.txt"
    path.write_text("Kính gửi các đồng chí,\nĐây là thư mời họp.\n", encoding="utf-8")
    with pytest.raises(PlanError, match="không tìm thấy chỉ tiêu nào"):
        import_plan(path, tmp_path / "x.yaml", reference=None)
    assert not (tmp_path / "x.yaml").exists()
    with pytest.raises(PlanError, match="chỉ nhận .txt, .docx hoặc .pdf"):
        import_plan(tmp_path / "qd.doc", reference=None)


def test_draft_yaml_loads_as_written(seed):
    _, bare = seed
    raw = yaml.safe_load(bare.output.read_text(encoding="utf-8"))
    assert raw["indicators"][5] | {} == {
        "number": 6, "code": "muc-giam-ho-ngheo-theo", "group": "XH",
        "name": "Mức giảm tỷ lệ hộ nghèo theo chuẩn nghèo đa chiều", "unit": "%", "target": 0.02, "comparison": ">=",
        "kind": "reduction", "frequency": "quarterly", "unit_code": "KTHTD"}


def test_docx_automatic_list_numbers(tmp_path):
    """Numbers made by Word's automatic lists are not in the text; the importer counts them as Word does."""
    document = docx.Document()
    for text in ("KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Tân Thịnh năm 2027",
                 "(Kèm theo Quyết định số 7/QĐ-UBND ngày 05/01/2027 của UBND phường Tân Thịnh, tỉnh Thái Nguyên)",
                 "I. CHỈ TIÊU CHỦ YẾU", "Các chỉ tiêu về kinh tế"):
        document.add_paragraph(text)
    document.add_paragraph("Thu ngân sách nhà nước trên địa bàn: 310.000 triệu đồng trở lên.", style="List Number")
    document.add_paragraph("Tốc độ tăng tổng giá trị sản phẩm: 9,5%.", style="List Number")
    document.add_paragraph("Các chỉ tiêu về xã hội")
    document.add_paragraph("Tỷ lệ tham gia bảo hiểm y tế: 95%.", style="List Number")
    for text in ("III. TỔ CHỨC THỰC HIỆN",
                 "1. Giao Phòng Kinh tế, Hạ tầng và Đô thị phường chủ trì các chỉ tiêu 1 và 2.",
                 "2. Giao Phòng Văn hóa - Xã hội phường chủ trì chỉ tiêu Tỷ lệ tham gia bảo hiểm y tế."):
        document.add_paragraph(text)
    report = import_plan(document.save(tmp_path / "qd-7.docx") or tmp_path / "qd-7.docx", reference=None)
    plan = report.plan
    assert [(i.number, i.name, i.target, plan.group(i.group).name, plan.unit(i.unit_code).item) for i in plan.indicator_list] == [
        (1, "Thu ngân sách nhà nước trên địa bàn", 310000, "Kinh tế", "III.1"),
        (2, "Tốc độ tăng tổng giá trị sản phẩm", 9.5, "Kinh tế", "III.1"),
        (3, "Tỷ lệ tham gia bảo hiểm y tế", 95, "Xã hội", "III.2")]
    assert report.draft.unplaced == [] and plan.tasks == []


def test_indicators_over_two_lines(tmp_path):
    source = tmp_path / "qd.txt"
    source.write_text("\n".join([
        "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Gia Sàng năm 2027",
        "(Kèm theo Quyết định số 3/QĐ-UBND ngày 04/01/2027 của UBND phường Gia Sàng, tỉnh Thái Nguyên)",
        "I. CHỈ TIÊU", "1. Các chỉ tiêu về y tế",
        "(1) Thu ngân sách nhà nước trên địa bàn:", "869.532 triệu đồng trở lên.",
        "(2) Tỷ lệ phụ nữ mang thai được tầm soát đủ 4 bệnh", "(Down, Edward, Patau, Thalassemia): 50%.",
        "(3) Tỷ lệ trẻ được tiêm chủng đầy đủ: 98%", "theo kế hoạch giao.",
        "III. TỔ CHỨC THỰC HIỆN", "1. Giao Phòng Văn hóa - Xã hội phường chủ trì các chỉ tiêu (1) đến (3).",
    ]) + "\n", encoding="utf-8")
    plan = import_plan(source, reference=None).plan
    assert [(i.number, i.name, i.target, i.unit, i.comparison, i.unit_code) for i in plan.indicator_list] == [
        (1, "Thu ngân sách nhà nước trên địa bàn", 869532, "triệu đồng", ">=", "VHXH"),
        (2, "Tỷ lệ phụ nữ mang thai được tầm soát đủ 4 bệnh (Down, Edward, Patau, Thalassemia)", 50, "%", ">=", "VHXH"),
        (3, "Tỷ lệ trẻ được tiêm chủng đầy đủ", 98, "%", ">=", "VHXH")]
    assert plan.indicator(3).notes == "98% theo kế hoạch giao"


# -- the shapes of other communes' decisions ------------------------------------------------------------
@pytest.mark.parametrize("text, numbers", [
    ("chủ trì các chỉ tiêu từ chỉ tiêu số 1 đến chỉ tiêu số 6", [1, 2, 3, 4, 5, 6]),
    ("các chỉ tiêu số 1, 3, 5 đến 8", [1, 3, 5, 6, 7, 8]),
    ("chỉ tiêu thứ 7–9", [7, 8, 9]),
    ("các chỉ tiêu 8, 2 và 5", [8, 2, 5]),
    ("chỉ tiêu (4) đến (6)", [4, 5, 6]),
    ("Chỉ tiêu 3 đạt 95% kế hoạch", [3]),
    ("hoàn thành 100% chỉ tiêu giao quân", []),
])
def test_indicator_numbers_named(text, numbers):
    from kehoach.data.planimport.parse import numbers_named

    assert numbers_named(text) == numbers


@pytest.mark.parametrize("text, sections", [
    ("chủ trì các chỉ tiêu thuộc nhóm II và III", ["II", "III"]),
    ("chủ trì các chỉ tiêu thuộc nhóm I và nhóm III", ["I", "III"]),
    ("chủ trì nhóm I", ["I"]),
    ("chủ trì nhóm chỉ tiêu về Y tế", ["II"]),
    ("theo dõi các chỉ tiêu thuộc lĩnh vực y tế", ["II"]),
    ("tham mưu các chỉ tiêu về Y tế: Tỷ lệ tham gia bảo hiểm y tế", []),  # a list of names follows: not the whole group
])
def test_group_references(text, sections):
    from kehoach.data.planimport.build import group_refs
    from kehoach.data.planimport.parse import DraftGroup

    groups = [DraftGroup("I", "Kinh tế", ""), DraftGroup("II", "Y tế", ""), DraftGroup("III", "Quốc phòng, an ninh", "")]
    assert [g.section for g in group_refs(text, groups)] == sections


@pytest.mark.parametrize("phrase, value, comparison, reduction", [
    ("≥ 95%", 95, ">=", False), ("không dưới 70%", 70, ">=", False), ("tối thiểu 40 ha", 40, ">=", False),
    ("trên 62 triệu đồng", 62, ">", False), ("giảm 1,2% so với cuối năm 2026", 1.2, ">=", True),
    ("giữ vững 68%", 68, ">=", False), ("100%", 100, ">=", False), ("8–8,5%", 8, ">=", False),
    ("không quá 2 vụ", 2, "<", False), ("dưới 3%", 3, "<", False),
])
def test_target_directions(phrase, value, comparison, reduction):
    target = parse_target(phrase)
    assert (target.value, target.comparison, target.reduction) == (value, comparison, reduction)


@pytest.mark.parametrize("phrase", ["đạt chuẩn", "giữ vững", "duy trì", "hoàn thành"])
def test_qualitative_targets_read_as_100_percent_and_flagged(phrase):
    from kehoach.data.planimport.targets import qualitative_target

    target = qualitative_target(phrase)
    assert (target.value, target.unit, target.comparison) == (100, "%", ">=")
    assert target.checks == {"target": f"kế hoạch ghi “{phrase}”, không có con số; đã ghi 100% (đạt = 100%)"}


@pytest.mark.parametrize("intro", ["Phấn đấu hoàn thành 24 chỉ tiêu chủ yếu, gồm:", "Các chỉ tiêu cụ thể như sau:",
                                   "1. Năm 2027 phấn đấu đạt 3 chỉ tiêu, gồm:", "(Có 3 chỉ tiêu)"])
def test_intro_lines_never_hide_the_next_indicator(tmp_path, intro):
    source = tmp_path / "qd.txt"
    source.write_text("\n".join([
        "KẾ HOẠCH", "Phát triển kinh tế - xã hội phường Gia Sàng năm 2027",
        "(Kèm theo Quyết định số 3/QĐ-UBND ngày 04/01/2027 của UBND phường Gia Sàng, tỉnh Thái Nguyên)",
        "I. CÁC CHỈ TIÊU CHỦ YẾU", intro, "1. Thu ngân sách nhà nước trên địa bàn: 869.532 triệu đồng trở lên.",
        "2. Tỷ lệ tham gia bảo hiểm y tế: 96%.", "3. Số lao động có việc làm mới: 500 người.",
        "III. TỔ CHỨC THỰC HIỆN", "1. Giao Phòng Văn hóa - Xã hội phường chủ trì các chỉ tiêu 1 - 3.",
    ]) + "\n", encoding="utf-8")
    report = import_plan(source, reference=None)
    assert [(i.number, i.name, i.target) for i in report.plan.indicator_list] == [
        (1, "Thu ngân sách nhà nước trên địa bàn", 869532), (2, "Tỷ lệ tham gia bảo hiểm y tế", 96),
        (3, "Số lao động có việc làm mới", 500)]
    assert report.draft.unplaced == []


def test_a_numbered_indicator_without_a_figure_does_not_end_the_list(tmp_path):
    """"14. Xã đạt chuẩn …." (no number, no colon) once ended the list: it and every indicator after it were lost."""
    source = tmp_path / "qd.txt"
    source.write_text("\n".join([
        "KẾ HOẠCH", "Phát triển kinh tế - xã hội xã La Hiên năm 2026",
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 20/01/2026 của UBND xã La Hiên, tỉnh Thái Nguyên)",
        "PHẦN THỨ NHẤT", "CÁC CHỈ TIÊU CHỦ YẾU", "I. Các chỉ tiêu về kinh tế",
        "1. Thu ngân sách nhà nước trên địa bàn không dưới 12.500 triệu đồng.",
        "II. Các chỉ tiêu về xây dựng chính quyền", "2. Xã đạt chuẩn tiếp cận pháp luật.",
        "3. Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn: 98% trở lên.",
        "PHẦN THỨ BA", "TỔ CHỨC THỰC HIỆN", "1. Phòng Kinh tế xã chủ trì chỉ tiêu số 1.",
        "2. Văn phòng HĐND và UBND xã chủ trì chỉ tiêu số 2 và chỉ tiêu số 3.",
    ]) + "\n", encoding="utf-8")
    report = import_plan(source, reference=None)
    assert [(i.number, i.name, i.target, i.comparison, i.unit_code) for i in report.plan.indicator_list] == [
        (1, "Thu ngân sách nhà nước trên địa bàn", 12500, ">=", "KT"),
        (2, "Xã đạt chuẩn tiếp cận pháp luật", 100, ">=", "VP"),
        (3, "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn", 98, ">=", "VP")]
    assert report.draft.indicators[1].checks["target"] == "kế hoạch ghi “đạt chuẩn”, không có con số; đã ghi 100% (đạt = 100%)"
    assert report.draft.unplaced == []


def test_part_three_naming_an_indicator_the_list_lacks_is_said(tmp_path):
    source = tmp_path / "qd.txt"
    source.write_text("\n".join([
        "KẾ HOẠCH", "Phát triển kinh tế - xã hội xã La Hiên năm 2026",
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 20/01/2026 của UBND xã La Hiên, tỉnh Thái Nguyên)",
        "I. CÁC CHỈ TIÊU CHỦ YẾU", "1. Thu ngân sách nhà nước trên địa bàn: 12.500 triệu đồng.",
        "2. Tỷ lệ tham gia bảo hiểm y tế: 95%.",
        "III. TỔ CHỨC THỰC HIỆN", "1. Phòng Kinh tế xã chủ trì chỉ tiêu số 1.",
        "2. Phòng Văn hóa - Xã hội xã chủ trì chỉ tiêu số 2 và các chỉ tiêu số 4, 5.",
    ]) + "\n", encoding="utf-8")
    report = import_plan(source, reference=None)
    assert [(u.name, numbers) for u, numbers in report.draft.dangling] == [("Phòng Văn hóa - Xã hội xã", [4, 5])]
    assert ("Phần tổ chức thực hiện giao chỉ tiêu mà phần chỉ tiêu không có (đọc sót, hoặc văn bản ghi sai số; "
            "đối chiếu văn bản):\n  dòng 9: Phòng Văn hóa - Xã hội xã — chỉ tiêu số 4, 5") in report.summary()
    assert "# KIỂM TRA: mục này giao chỉ tiêu số 4, 5 nhưng phần chỉ tiêu không có" in report.output.read_text(encoding="utf-8")


def test_a_count_cut_by_a_share_is_flagged(tmp_path):
    """"Số vụ … giảm 10% so với năm 2025" is relative; the schema's reduction is in points of a rate: never silent."""
    source = tmp_path / "qd.txt"
    source.write_text("\n".join([
        "KẾ HOẠCH", "Phát triển kinh tế - xã hội xã La Hiên năm 2026",
        "(Kèm theo Quyết định số 15/QĐ-UBND ngày 20/01/2026 của UBND xã La Hiên, tỉnh Thái Nguyên)",
        "I. CÁC CHỈ TIÊU CHỦ YẾU", "1. Số vụ phạm pháp hình sự giảm 10% so với năm 2025.",
        "2. Tỷ lệ hộ nghèo đa chiều giảm 1,5% so với cuối năm 2025.",
        "III. TỔ CHỨC THỰC HIỆN", "1. Công an xã chủ trì các chỉ tiêu số 1, 2.",
    ]) + "\n", encoding="utf-8")
    count, rate = import_plan(source, reference=None).draft.indicators
    assert (count.kind, count.unit, count.target) == ("reduction", "%", 10)
    assert count.checks["unit"].startswith("“giảm …%” một số lượng là giảm tương đối so với năm trước, lược đồ không có")
    assert rate.kind == "reduction" and "unit" not in rate.checks


@pytest.mark.parametrize("body, name, flagged", [
    ("Hoàn thành 100% chỉ tiêu tuyển chọn, gọi công dân nhập ngũ.", "Hoàn thành chỉ tiêu tuyển chọn, gọi công dân nhập ngũ", True),
    ("Phấn đấu đạt 95% hộ gia đình văn hóa", "Phấn đấu đạt hộ gia đình văn hóa", True),
    ("Chi ngân sách nhà nước đảm bảo 100% kế hoạch giao.", "Chi ngân sách nhà nước", False),
])
def test_a_share_in_the_middle_of_the_sentence_keeps_what_follows_in_the_name(body, name, flagged):
    from kehoach.data.planimport.parse import DraftIndicator, _Parser

    ind = DraftIndicator(1, body, "dòng 1")
    _Parser._read_body(ind, body)
    assert (ind.name, ind.target, ind.unit, "name" in ind.checks) == (name, 100 if "100" in body else 95, "%", flagged)


def test_review_lists_every_flag_with_its_line_and_sentence(tmp_path, capsys):
    from kehoach.cli import main
    from kehoach.data.planimport import review

    draft = tmp_path / "vn.yaml"
    report = import_plan(FIXTURES / "dac-khu-van-don-2027.txt", draft, reference=None)
    text = draft.read_text(encoding="utf-8")
    items = review(text)
    assert len(items) == report.checks - 1  # the header's explanation mentions the marker once
    lines = text.splitlines()
    for item in items:
        assert CHECK in lines[item.line - 1]
    flag = next(i for i in items if i.entry == "chỉ tiêu (10)" and i.field == "comparison")
    assert str(flag) == (f"  dòng {flag.line}: chỉ tiêu (10), comparison = < — kế hoạch ghi “không quá/tối đa” (≤); lược đồ chỉ có “<”, "
                         "xem lại\n      câu gốc dòng 25: \"Chỉ tiêu số 10. Số vụ tai nạn giao thông đường thủy: không quá 2 vụ.\"")
    # Fixed by hand: the remark removed; --review on the draft lists what is left.
    lines[flag.line - 1] = lines[flag.line - 1].split("  " + CHECK)[0]
    draft.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["plan", "import", str(draft), "--review"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{draft}: {len(items) - 1} trường cần xem lại (sửa giá trị nếu cần rồi xóa chú thích “{CHECK}”):"
    assert "chỉ tiêu (10), comparison" not in out
    assert out.splitlines()[-1] == "Đối chiếu lược đồ kế hoạch: hợp lệ."


@pytest.mark.parametrize("edit, error", [
    (lambda t: t.replace('comparison: "<"', 'comparison: "=<"', 1),
     "trường 'comparison': giá trị “=<” không hợp lệ; chọn một trong '>=', '>' hoặc '<'"),
    (lambda t: 'a: &a ["x", "x"]\nb: [*a, *a]\n' + t, "dòng 2: YAML dùng bí danh (&/*), không được phép"),
    (lambda t: t + "  - bogus: [\n", "YAML sai ở dòng"),
])
def test_review_of_a_hand_fixed_draft_checks_the_plan(tmp_path, capsys, edit, error):
    """A draft with no remark left but broken by the hand edit is not "reviewed": the plan check says why."""
    from kehoach.cli import main

    draft = tmp_path / "vn.yaml"
    import_plan(FIXTURES / "dac-khu-van-don-2027.txt", draft, reference=None)
    text = "\n".join(line.split("  " + CHECK)[0] for line in draft.read_text(encoding="utf-8").splitlines()) + "\n"
    draft.write_text(edit(text), encoding="utf-8")
    assert main(["plan", "import", str(draft), "--review"]) == 1
    captured = capsys.readouterr()
    assert "hợp lệ" not in captured.out and "xem lại hết" not in captured.out
    assert error in captured.err and "Traceback" not in captured.err
