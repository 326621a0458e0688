"""The province report's sections: functions of a :class:`~kehoach.reporting.province_context.ProvinceContext`.

The same document form as a ward's reports (:mod:`kehoach.reporting.sections`), issued by the
province's People's Committee: the communes compared on the indicators they share by code
(province figure, distribution, ranking), a commune × indicator status heatmap, the communes
needing direction, each commune's reporting, and a link to each commune's reports. The
arithmetic is in :mod:`kehoach.analysis.province`.
"""

from __future__ import annotations

from typing import Any

import jinja2
import pandas as pd

from kehoach.analysis import charts
from kehoach.analysis import province as rollup_
from kehoach.core.formatting import document_date, fmt_date, fmt_number, fmt_value
from kehoach.core.labels import ILLUSTRATIVE_BANNER, STATUS_LABELS, STATUSES, status_cell
from kehoach.core.period import VN_TZ
from kehoach.reporting.blocks import Bullets, Chart, Closing, DocumentHeader, Heading, Paragraph, Section, Table
from kehoach.reporting.province_context import ProvinceContext

#: Communes shown at each end of an indicator's ranking.
RANK_SHOWN = 5


def _chart(data: dict) -> Chart:
    return Chart(spec=data, svg=charts.draw_svg(data), title=charts.title_of(data))


def _v(value: float, unit: str) -> str:
    return fmt_value(value, unit) if value is not None and value == value else "—"


def _shared(pctx: ProvinceContext) -> list[str]:
    return rollup_.shared_codes(pctx.frame)


def document_header(pctx: ProvinceContext) -> Section:
    """Issuer (the province's People's Committee), national motto, place and date, title, basis, cut-off, banner."""
    n = len(pctx.communes)
    return Section("header", [DocumentHeader(
        issuer_parent="ỦY BAN NHÂN DÂN", issuer=f"TỈNH {pctx.province.upper()}", number="Số: …/BC-UBND",
        place_date=f"{pctx.province}, {document_date(pctx.params.report_date)}", doc_type="BÁO CÁO",
        title=f"Tình hình thực hiện các chỉ tiêu phát triển kinh tế - xã hội của các xã, phường {pctx.period.label()}",
        basis=(f"Trên cơ sở kế hoạch phát triển kinh tế - xã hội năm {pctx.period.year} của {n} xã, phường và báo cáo "
               f"{pctx.period.label()} của các xã, phường, Ủy ban nhân dân tỉnh {pctx.province} tổng hợp như sau:"),
        cutoff=f"Số liệu tổng hợp đến hết ngày {fmt_date(pctx.cutoff.astimezone(VN_TZ).date())}.",
        banner=ILLUSTRATIVE_BANNER if pctx.illustrative else "")])


def summary_section(pctx: ProvinceContext) -> Section:
    """I. Overview: communes, shared indicators, statuses across the province, communes' reports."""
    frame, communes = pctx.frame, pctx.communes
    shared = _shared(pctx)
    counts = frame["status"].value_counts()
    parts = [f"{fmt_number(int(counts[s]))} lượt {STATUS_LABELS[s].lower()}" for s in STATUSES if counts.get(s, 0)]
    text = (f"Toàn tỉnh có {len(communes)} xã, phường theo dõi {fmt_number(len(frame))} lượt chỉ tiêu kế hoạch, trong đó "
            f"{len(shared)} chỉ tiêu chung (cùng mã chỉ tiêu ở từ một nửa số xã, phường trở lên) được so sánh giữa các xã, "
            f"phường. Kết quả đánh giá {pctx.period.label()}: {', '.join(parts)}.")
    failed = communes[(communes["failed"] > 0) | (communes["error"] != "")]
    items = [f"{r.ward_name}: " + (r.error or f"lỗi khi lập {r.failed_names}") for r in failed.itertuples()]
    out = Section("summary", [Heading("I. Đánh giá chung"), Paragraph(text)])
    if items:
        out.add(Paragraph(f"Có {len(items)} xã, phường chưa lập đủ báo cáo trong lần chạy này:"), Bullets(items))
    return out


ROLLUP_COLUMNS = ["Chỉ tiêu", "Số xã báo cáo / có chỉ tiêu", "Toàn tỉnh", "Cách tổng hợp", "Trung vị",
                  "Thấp nhất – cao nhất"]


def _province_figure(r: Any) -> str:
    if not r.reported:
        return "Chưa có số liệu kỳ này"
    if r.method == "sum":
        return f"{_v(r.total, r.unit)} (kế hoạch {_v(r.total_target, r.unit)})"
    if r.method == "weighted_mean":
        return _v(r.weighted_mean, r.unit)
    return "—"


def rollup_section(pctx: ProvinceContext) -> Section:
    """II. The shared indicators: province figure, distribution, and each indicator's ranking."""
    table = rollup_.rollup(pctx.frame, pctx.communes)
    rows = [[r.label, f"{r.reported}/{r.communes}", _province_figure(r), r.method_label, _v(r.median, r.unit),
             f"{_v(r.min, r.unit)} – {_v(r.max, r.unit)}" if r.reported else "—"] for r in table.itertuples()]
    out = Section("rollup", [
        Heading("II. Các chỉ tiêu chung của các xã, phường"),
        Paragraph("Số lượng, giá trị tiền được cộng cho toàn tỉnh; tỷ lệ (%) được tính bình quân gia quyền theo dân số "
                  "khi kế hoạch của mọi xã, phường báo cáo đều ghi dân số, nếu không thì nêu trung vị và khoảng giá trị."),
        Table(ROLLUP_COLUMNS, rows, numeric=[1])])
    if not table.empty:
        out.add(_chart(charts.province_distribution(pctx.frame[pctx.frame["code"].isin(table["code"])], table["code"].tolist())))
    for i, r in enumerate(table[table["reported"] > 0].itertuples(), start=1):
        out.add(Heading(f"{i}. {r.label}", 3), Paragraph(_indicator_text(r)), ranking_table(pctx, r.code))
    return out


def _indicator_text(r: Any) -> str:
    spread = (f"Giá trị ở các xã, phường từ {_v(r.min, r.unit)} đến {_v(r.max, r.unit)}, trung vị {_v(r.median, r.unit)}, "
              f"một nửa số xã, phường trong khoảng {_v(r.q1, r.unit)} – {_v(r.q3, r.unit)}.") if r.reported else ""
    head = f"{r.reported}/{r.communes} xã, phường có chỉ tiêu này đã báo cáo số liệu."
    if r.method == "sum" and r.reported:
        share = f", đạt {fmt_number(100 * r.total / r.total_target, 1)}% tổng kế hoạch của các xã, phường đó" if r.total_target else ""
        return f"{head} Tổng toàn tỉnh: {_v(r.total, r.unit)}{share}. {spread}"
    if r.method == "weighted_mean" and r.reported:
        return f"{head} Bình quân toàn tỉnh (gia quyền theo dân số): {_v(r.weighted_mean, r.unit)}. {spread}"
    return f"{head} {spread}".strip()


RANK_COLUMNS = ["Hạng", "Xã, phường", "Thực hiện", "Kế hoạch năm", "Đạt so với kế hoạch", "Đánh giá"]


def ranking_table(pctx: ProvinceContext, code: str) -> Table:
    """The best and the last :data:`RANK_SHOWN` communes on one indicator (all of them when few)."""
    ranked = rollup_.ranking(pctx.frame, code)
    ranked = ranked[ranked["rank"].notna()]
    shown = ranked if len(ranked) <= 2 * RANK_SHOWN else pd.concat([ranked.head(RANK_SHOWN), ranked.tail(RANK_SHOWN)])
    rows = [[str(int(r.rank)), r.ward_name, _v(r.value, r.unit), r.target_text,
             f"{fmt_number(r.achievement_pct, 1)}%" if r.achievement_pct == r.achievement_pct else "—", status_cell(r.status)]
            for r in shown.itertuples()]
    caption = (f"Xếp hạng {len(ranked)} xã, phường có số liệu" if len(ranked) <= 2 * RANK_SHOWN else
               f"{RANK_SHOWN} xã, phường đứng đầu và {RANK_SHOWN} xã, phường cuối trong {len(ranked)} xã, phường có số liệu")
    return Table(RANK_COLUMNS, rows, numeric=[0, 2, 4], caption=caption)


def heatmap_section(pctx: ProvinceContext) -> Section:
    """III. Commune × shared indicator status heatmap."""
    matrix = rollup_.status_matrix(pctx.frame, _shared(pctx))
    return Section("province_heatmap", [Heading("III. Đánh giá các chỉ tiêu chung theo từng xã, phường"),
                                         _chart(charts.province_heatmap(matrix))])


def direction_section(pctx: ProvinceContext, min_attention: int = 3) -> Section:
    """IV. Communes needing direction: many indicators needing attention, or a unit that has not reported."""
    table = rollup_.needing_direction(pctx.frame, pctx.completeness, pctx.communes, min_attention)
    out = Section("direction", [Heading("IV. Các xã, phường cần tập trung chỉ đạo")])
    if table.empty:
        return out.add(Paragraph("Không có xã, phường nào cần tập trung chỉ đạo trong kỳ."))
    rows = [[r.ward_name, str(r.attention), str(r.missed), str(r.not_submitted), "; ".join(r.worst)]
            for r in table.itertuples()]
    return out.add(
        Paragraph(f"{len(table)} xã, phường có từ {min_attention} chỉ tiêu cần tập trung chỉ đạo trở lên hoặc có đơn vị "
                  "chưa gửi báo cáo:"),
        Table(["Xã, phường", "Số chỉ tiêu cần chỉ đạo", "Trong đó không đạt hoặc có nguy cơ", "Đơn vị chưa gửi báo cáo",
               "Một số chỉ tiêu cần chỉ đạo"], rows, numeric=[1, 2, 3]))


def completeness_section(pctx: ProvinceContext) -> Section:
    """V. Each commune's reporting: units on time, late, silent; due indicators reported."""
    table = rollup_.commune_completeness(pctx.completeness, pctx.communes)
    complete = int(((table["late"] == 0) & (table["not_submitted"] == 0) & (table["submitted"] == table["due"])).sum())
    rows = [[r.ward_name, f"{int(r.on_time)}/{int(r.units)}", str(int(r.late)), str(int(r.not_submitted)),
             f"{int(r.submitted)}/{int(r.due)}", f"{fmt_number(r.share, 1)}%" if r.share == r.share else "—"]
            for r in table.itertuples()]
    return Section("province_completeness", [
        Heading("V. Tình hình báo cáo của các xã, phường"),
        Paragraph(f"{complete}/{len(table)} xã, phường có mọi đơn vị gửi báo cáo đúng hạn và đủ các chỉ tiêu đến kỳ."),
        Table(["Xã, phường", "Đơn vị gửi đúng hạn", "Đơn vị gửi trễ hạn", "Đơn vị chưa gửi", "Chỉ tiêu đến kỳ đã báo cáo",
               "Tỷ lệ"], rows, numeric=[1, 2, 3, 4, 5]), *bundle_blocks(pctx)])


def bundle_blocks(pctx: ProvinceContext) -> list:
    """The table of ``kehoach province status``: each commune's bundle for the period, when, which revision, who is late."""
    b = pctx.bundles
    if b.empty:
        return []
    rows = []
    for r in b.itertuples():
        when = f"{r.received_at.astimezone(VN_TZ):%H:%M %d/%m/%Y}" if r.arrived else "—"
        revision = f"{int(r.revision)}" + (" (--force)" if r.forced else "") if r.arrived else "—"
        units = f"{int(r.units_complete)}/{int(r.units)}" if r.arrived else "—"
        rows.append([r.commune_name, "Đã nhận" if r.arrived else "Chưa nhận", when, revision, units, r.state])
    late = b.loc[b["late"], "commune_name"].tolist()
    return [Paragraph(f"Gói số liệu các xã, phường gửi tỉnh (kehoach bundle): {int(b['arrived'].sum())}/{len(b)} xã, phường "
                      f"đã gửi; trễ hạn: {', '.join(late) if late else 'không có'}."),
            Table(["Xã, phường", "Gói số liệu", "Nhận lúc", "Lần gửi", "Đơn vị báo cáo đủ", "Tình trạng"], rows, numeric=[3, 4])]


_LINKS = jinja2.Environment(autoescape=True).from_string(
    '<section class="report-section commune-links"><h2 id="vi-bao-cao-cua-tung-xa-phuong">VI. Báo cáo của từng xã, phường</h2>'
    '<div class="table-box"><table class="data"><thead><tr><th scope="col">Xã, phường</th><th scope="col">Báo cáo</th>'
    '<th scope="col">Tình trạng</th></tr></thead><tbody>'
    '{% for r in rows %}<tr><td>{{ r.name }}</td><td>'
    '{% if r.ok %}<a href="{{ r.overview }}">Báo cáo tổng hợp</a> · <a href="{{ r.index }}">tất cả báo cáo</a>'
    '{% else %}—{% endif %}</td><td>{{ r.state }}</td></tr>{% endfor %}'
    '</tbody></table></div></section>')


class CommuneLinks:
    """VI. A link to each commune's reports (relative to the province report), and which failed.

    Shows as HTML in the notebook (rendered by Jinja2 with autoescape) and as text elsewhere.
    """

    def __init__(self, pctx: ProvinceContext, base: str = "..") -> None:
        self.rows = []
        for r in pctx.communes.itertuples():
            ok = not r.error
            state = (r.error or (f"Lỗi: {r.failed_names}" if r.failed else f"Đủ {r.reports} báo cáo"))
            self.rows.append({"name": r.ward_name, "ok": ok, "state": state,
                              "overview": f"{base}/{r.folder}/bao-cao-tong-hop.html", "index": f"{base}/{r.folder}/index.html"})

    def html(self) -> str:
        return _LINKS.render(rows=self.rows)

    def text(self) -> str:
        return "\n".join(f"{r['name']}: {r['overview']} ({r['state']})" for r in self.rows)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html(), "text/plain": self.text()}


def commune_links(pctx: ProvinceContext) -> CommuneLinks:
    return CommuneLinks(pctx)


def closing(pctx: ProvinceContext) -> Section:
    """Nơi nhận and the signature block of the province's People's Committee."""
    return Section("closing", [Closing(
        recipients=["- Thường trực Tỉnh ủy, HĐND tỉnh;", "- Chủ tịch, các Phó Chủ tịch UBND tỉnh;",
                    "- Các sở, ban, ngành;", "- UBND các xã, phường;", "- Lưu: VT, TH."],
        signer_authority="TM. ỦY BAN NHÂN DÂN", signer_title="CHỦ TỊCH")])
