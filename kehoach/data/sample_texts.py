"""The units' words in the illustrative dataset: what each office would type into "Nội dung báo cáo".

Every text quotes the figures the same unit sends in the same form (:data:`kehoach.data.sample.VALUES`),
and a cause names what could really slow its indicator. Written for 2026-Q1..Q3. Ban Quản lý dự án
(BQLDA) sends its figures but no words; Ban Chỉ huy quân sự và Công an (QSCA) sends nothing in 2026-Q3;
in 2026-Q3 Phòng Văn hóa - Xã hội leaves its proposals and the cause of (19) empty.
"""

from __future__ import annotations

from collections.abc import Callable

from kehoach.core.formatting import fmt_number
from kehoach.core.period import Period

#: Units that send figures but never words.
NO_TEXTS = ("BQLDA",)
#: (unit, period) that sends nothing at all: no form.
SILENT = ("QSCA", "2026-Q3")

Value = Callable[[int], str]  # indicator number → its value this period, formatted

_NEXT = {1: "quý II", 2: "quý III", 3: "quý IV", 4: "năm tới"}
_SO_FAR = {1: "Quý I", 2: "6 tháng đầu năm", 3: "9 tháng"}

# The indicators each unit explains, per period: those lagging as of the unit's latest data.
LAGGING: dict[str, set[int]] = {
    "2026-Q1": {4, 8, 9, 15, 19, 20, 33},
    "2026-Q2": {4, 5, 13, 14, 15, 19, 20, 31, 33},
    "2026-Q3": {4, 5, 9, 13, 14, 15, 20, 31, 33},
}

# (cause, solution) per indicator; {v} is the unit's value for the period (the latest one for a semi-annual indicator).
CAUSES: dict[int, tuple[str, str]] = {
    4: ("Tốc độ tăng tổng giá trị sản phẩm ước đạt {v}%, thấp hơn mục tiêu 11% do hoạt động xây dựng và kinh doanh bất "
        "động sản chững lại; một số doanh nghiệp thương mại, dịch vụ thu hẹp quy mô, cắt giảm lao động.",
        "Hỗ trợ doanh nghiệp tiếp cận tín dụng và mặt bằng kinh doanh; đôn đốc tiến độ các dự án đầu tư trên địa bàn; "
        "phát triển tuyến phố thương mại, dịch vụ đêm để kích cầu tiêu dùng."),
    5: ("Thu nhập bình quân đầu người ước đạt {v} triệu đồng/người/năm, chưa đạt 120 triệu đồng do tiền lương khu vực "
        "doanh nghiệp tăng chậm, lao động tự do thiếu việc làm ổn định.",
        "Phối hợp giới thiệu việc làm, đào tạo nghề ngắn hạn cho lao động tự do; hỗ trợ hộ kinh doanh bán hàng trực "
        "tuyến để mở rộng tiêu thụ."),
    8: ("Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng đạt {v}% vì hồ sơ giấy chuyển về từ các đơn vị cũ sau "
        "sắp xếp chưa được số hóa hết.",
        "Số hóa toàn bộ hồ sơ tồn trong quý tới; hướng dẫn từng cán bộ ký số và xử lý văn bản trên phần mềm."),
    9: ("Tỷ lệ hồ sơ thủ tục hành chính được xử lý trên mạng đạt {v}%: một số thủ tục liên thông với cấp tỉnh chưa thực "
        "hiện được trực tuyến, người cao tuổi vẫn quen nộp hồ sơ giấy.",
        "Bố trí công chức hướng dẫn người dân nộp hồ sơ trực tuyến ngay tại quầy; số hóa hồ sơ giấy trong ngày tiếp nhận; "
        "đề nghị cấp tỉnh mở thêm thủ tục liên thông trực tuyến."),
    13: ("Tỷ lệ người sử dụng truy cập băng rộng cố định trên 1Gb/s đạt {v}%: các doanh nghiệp viễn thông chưa nâng cấp "
         "cáp quang ở các tổ dân phố mới sáp nhập.",
         "Làm việc với các doanh nghiệp viễn thông để thống nhất lộ trình nâng cấp cáp quang từng tổ dân phố; hỗ trợ thỏa "
         "thuận vị trí kéo cáp với các hộ dân."),
    14: ("Tỷ lệ dân số phủ sóng 5G đạt {v}%, thấp so với kế hoạch 80% do thiếu vị trí đặt trạm phát sóng, một số hộ dân "
         "chưa đồng thuận cho lắp đặt.",
         "Giới thiệu vị trí đặt trạm trên các công trình công cộng; tuyên truyền để người dân hiểu về an toàn của trạm "
         "phát sóng 5G."),
    15: ("Tỷ lệ tham gia bảo hiểm y tế còn {v}%, thấp hơn cuối năm 2025 do một số đối tượng hết thời gian được ngân sách "
         "hỗ trợ; lao động tự do, hộ có mức sống trung bình chưa tự mua thẻ.",
         "Phối hợp Bảo hiểm xã hội vận động tham gia bảo hiểm y tế theo hộ gia đình tại từng tổ dân phố; đề xuất hỗ trợ "
         "một phần mệnh giá thẻ cho hộ cận nghèo."),
    19: ("Tỷ lệ cặp nam, nữ thanh niên được tư vấn, khám sức khỏe trước khi kết hôn đạt {v}%; nhiều cặp đăng ký kết hôn "
         "chưa quan tâm đến khám sức khỏe trước.",
         "Lồng ghép tư vấn sức khỏe khi tiếp nhận hồ sơ đăng ký kết hôn; tổ chức khám miễn phí tại trạm y tế phường."),
    20: ("Tỷ lệ phụ nữ mang thai được sàng lọc trước sinh đủ 4 bệnh đạt {v}%: chi phí sàng lọc do người dân tự chi trả, "
         "một số thai phụ khám tại cơ sở tư nhân không báo số liệu về trạm y tế.",
         "Tư vấn sàng lọc trong các buổi khám thai định kỳ; đề nghị các cơ sở y tế tư nhân trên địa bàn gửi số liệu hằng "
         "tháng về trạm y tế."),
    31: ("Tỷ lệ nước thải đô thị được thu gom, xử lý đạt {v}% vì tuyến cống thu gom khu vực phía Bắc chưa hoàn thành, "
         "còn vướng giải phóng mặt bằng.",
         "Phối hợp Ban Quản lý dự án đẩy nhanh giải phóng mặt bằng tuyến cống phía Bắc; vận động các hộ dân đấu nối vào "
         "hệ thống thu gom."),
    33: ("Tỷ lệ phương tiện giao thông công cộng dùng năng lượng xanh đạt {v}%, chưa đạt kế hoạch 38% vì đơn vị vận tải "
         "chậm thay xe buýt chạy dầu, trạm sạc công cộng còn thiếu.",
         "Đề nghị đơn vị vận tải đưa thêm xe buýt điện vào các tuyến qua phường; rà soát quỹ đất công để bố trí trạm sạc."),
}

#: (in progress, done) per section II task; a task not started says so with the quarter it will start.
TASKS: dict[str, tuple[str, str]] = {
    "II.1.1": ("Duy trì hoạt động các chợ, tuyến phố thương mại; kiểm tra 46 cơ sở kinh doanh về an toàn thực phẩm và "
               "niêm yết giá, nhắc nhở 5 cơ sở.", ""),
    "II.1.2": ("Rà soát các cơ sở sản xuất tiểu thủ công nghiệp xen trong khu dân cư; cấp 12 giấy phép xây dựng nhà ở "
               "riêng lẻ đúng thời hạn.", ""),
    "II.1.3": ("Hướng dẫn các hộ trồng rau, hoa áp dụng quy trình an toàn; chuyển đổi 1,2 ha đất trồng lúa kém hiệu quả "
               "sang trồng rau, hoa.", ""),
    "II.1.4": ("Điều hành chi ngân sách theo dự toán; phối hợp Thuế cơ sở đôn đốc thu nợ đọng, thu được 3.450 triệu đồng "
               "nợ thuế.", ""),
    "II.1.5": ("Giải quyết 38 hồ sơ đăng ký đất đai; xử lý 4 trường hợp lấn chiếm đất công; duy trì thu gom rác thải "
               "hằng ngày ở các tổ dân phố.", ""),
    "II.2.1": ("Tổ chức giải chạy phường và các hoạt động văn hóa, văn nghệ chào mừng ngày lễ lớn; cập nhật thông tin trên "
               "trang điện tử của phường.", ""),
    "II.2.2": ("Chỉ đạo các trường hoàn thành kế hoạch năm học; chuẩn bị cơ sở vật chất cho năm học mới.",
               "Hoàn thành tuyển sinh đầu cấp năm học 2026-2027 đúng kế hoạch; 100% trẻ trong độ tuổi được đến trường."),
    "II.2.3": ("Triển khai tiêm chủng mở rộng đạt kế hoạch; kiểm tra an toàn thực phẩm; vận động người dân tham gia bảo "
               "hiểm y tế.", ""),
    "II.2.4": ("Chi trả đầy đủ, kịp thời trợ cấp cho người có công và đối tượng bảo trợ xã hội; giới thiệu việc làm cho "
               "215 lao động.", ""),
    "II.3.1": ("Tham mưu kiện toàn tổ chức bộ máy sau sắp xếp; ban hành quy chế làm việc của UBND phường.",
               "Hoàn thành kiện toàn tổ chức bộ máy và ban hành quy chế làm việc; các phòng, đơn vị đi vào hoạt động ổn định."),
    "II.3.2": ("Triển khai ký số cho toàn bộ cán bộ, công chức; phối hợp doanh nghiệp viễn thông mở rộng hạ tầng mạng.", ""),
    "II.3.3": ("Tiếp nhận và giải quyết hồ sơ thủ tục hành chính đúng quy trình; công khai đầy đủ thủ tục tại Trung tâm "
               "và trên mạng.", ""),
    "II.3.4": ("Tổ chức tiếp công dân định kỳ và đột xuất đúng quy định; tiếp nhận 27 đơn, đã giải quyết 22 đơn, 5 đơn "
               "đang xác minh.", ""),
    "II.3.5": ("Chứng thực, hộ tịch thực hiện đúng quy định; tổ chức 2 hội nghị tuyên truyền, phổ biến pháp luật.", ""),
    "II.4.1": ("Huấn luyện lực lượng dân quân theo kế hoạch; duy trì nghiêm chế độ trực sẵn sàng chiến đấu.",
               "Hoàn thành giao quân năm 2026, đạt 100% chỉ tiêu; tổ chức lễ tiễn tân binh chu đáo, an toàn."),
    "II.4.2": ("Tuần tra, kiểm soát bảo đảm trật tự an toàn giao thông; phát hiện, xử lý kịp thời các vụ việc về trật tự "
               "xã hội.", ""),
}
_NOT_STARTED = "Chưa triển khai trong kỳ; đơn vị đang xây dựng kế hoạch chi tiết, dự kiến triển khai từ {next}."

#: The general words of each unit; ``{v(n)}`` is the unit's value of (n) this period.
UNIT_TEXTS: dict[str, dict[str, Callable[[Value, Period], str]]] = {
    "KTHT": {
        "ket-qua-noi-bat": lambda v, p: (
            f"{_SO_FAR[p.quarter]}, thu ngân sách nhà nước trên địa bàn đạt {v(1)} triệu đồng; chi ngân sách đạt {v(2)}% "
            f"dự toán, bảo đảm chi lương, an sinh xã hội và các nhiệm vụ chính trị của phường. Tỷ lệ chất thải rắn sinh "
            f"hoạt được thu gom, xử lý đạt {v(29)}%; tỷ lệ hộ dân đô thị dùng nước sạch đạt {v(30)}%. Thị trường hàng hóa "
            "ổn định, không để xảy ra khan hiếm hàng hóa, tăng giá đột biến."),
        "ton-tai-han-che": lambda v, p: (
            f"Tốc độ tăng tổng giá trị sản phẩm ước đạt {v(4)}%, thấp hơn mục tiêu 11%; tỷ lệ phương tiện giao thông công "
            f"cộng dùng năng lượng xanh mới đạt {v(33)}%. Tình trạng lấn chiếm vỉa hè, xây dựng không phép ở một số tuyến "
            "phố còn tái diễn."),
        "nguyen-nhan": lambda v, p: (
            "Sức mua phục hồi chậm, thị trường bất động sản chưa sôi động nên nguồn thu tiền sử dụng đất đạt thấp; một số "
            "dự án hạ tầng còn vướng giải phóng mặt bằng; biên chế của phòng ít trong khi khối lượng công việc sau sắp xếp "
            "đơn vị hành chính tăng nhiều."),
        "nhiem-vu-giai-phap": lambda v, p: (
            f"Trong {_NEXT[p.quarter]}, tập trung thu ngân sách, phối hợp Thuế cơ sở đôn đốc các khoản nợ đọng; tổ chức đấu "
            "giá quyền sử dụng đất các lô đã đủ điều kiện; ra quân lập lại trật tự đô thị, xử lý dứt điểm các trường hợp "
            "xây dựng không phép."),
        "de-xuat-kien-nghi": lambda v, p: (
            "Đề nghị UBND phường sớm phê duyệt phương án đấu giá quyền sử dụng đất khu dân cư tổ 12; đề nghị cấp trên hỗ trợ "
            "kinh phí đầu tư trạm sạc cho phương tiện giao thông công cộng."),
    },
    "VHXH": {
        "ket-qua-noi-bat": lambda v, p: (
            f"Tổ chức tốt các hoạt động văn hóa, thể thao chào mừng các ngày lễ lớn. {_SO_FAR[p.quarter]} có {v(18)} người mới "
            f"sử dụng biện pháp tránh thai hiện đại; tỷ lệ trẻ sơ sinh được sàng lọc đủ 5 bệnh đạt {v(21)}%, người cao tuổi "
            f"được khám sức khỏe định kỳ đạt {v(22)}%. Chi trả đầy đủ, kịp thời chế độ cho người có công và đối tượng bảo "
            "trợ xã hội."),
        "ton-tai-han-che": lambda v, p: (
            f"Tỷ lệ tham gia bảo hiểm y tế đạt {v(15)}%, thấp hơn cuối năm 2025 và chưa đạt kế hoạch 96%; tỷ lệ phụ nữ mang "
            f"thai được sàng lọc trước sinh đủ 4 bệnh mới đạt {v(20)}%."),
        "nguyen-nhan": lambda v, p: (
            "Một bộ phận lao động tự do, hộ có mức sống trung bình chưa tự mua bảo hiểm y tế khi hết hỗ trợ; chi phí sàng "
            "lọc trước sinh chưa được bảo hiểm y tế chi trả; cán bộ y tế, dân số ở tổ dân phố kiêm nhiệm nhiều việc."),
        "nhiem-vu-giai-phap": lambda v, p: (
            f"Trong {_NEXT[p.quarter]}, phối hợp Bảo hiểm xã hội vận động người dân tham gia bảo hiểm y tế; tổ chức chiến "
            "dịch truyền thông dân số và sàng lọc trước sinh tại các tổ dân phố; chuẩn bị các hoạt động văn hóa, thể thao "
            "dịp cuối năm."),
        "de-xuat-kien-nghi": lambda v, p: (
            "Đề nghị UBND phường bố trí kinh phí hỗ trợ mua thẻ bảo hiểm y tế cho hộ cận nghèo; đề nghị Trung tâm Y tế hỗ "
            "trợ các đợt sàng lọc trước sinh lưu động."),
    },
    "PVHCC": {
        "ket-qua-noi-bat": lambda v, p: (
            f"Tiếp nhận, giải quyết hồ sơ thủ tục hành chính đúng quy trình; tỷ lệ hồ sơ giải quyết đúng hạn đạt {v(10)}%, hồ "
            f"sơ xử lý trên môi trường mạng đạt {v(9)}%; tỷ lệ người dân tham gia dịch vụ công trực tuyến đạt {v(11)}%."),
        "ton-tai-han-che": lambda v, p: (
            f"Tỷ lệ hồ sơ xử lý trên môi trường mạng ({v(9)}%) chưa đạt 100%; một số hồ sơ tiếp nhận trực tiếp chưa được "
            "số hóa trong ngày."),
        "nguyen-nhan": lambda v, p: (
            "Người cao tuổi và một số hộ kinh doanh chưa quen nộp hồ sơ trực tuyến; đường truyền phần mềm một cửa có lúc "
            "gián đoạn; Trung tâm thiếu máy quét tài liệu."),
        "nhiem-vu-giai-phap": lambda v, p: (
            f"Trong {_NEXT[p.quarter]}, bố trí tổ hướng dẫn người dân nộp hồ sơ trực tuyến tại Trung tâm; số hóa 100% hồ sơ "
            "tiếp nhận trực tiếp ngay trong ngày; lấy ý kiến đánh giá sự hài lòng của người dân."),
        "de-xuat-kien-nghi": lambda v, p: (
            "Đề nghị Văn phòng HĐND và UBND phường bổ sung 02 máy quét tài liệu và nâng cấp đường truyền của Trung tâm."),
    },
    "QSCA": {
        "ket-qua-noi-bat": lambda v, p: (
            f"Giáo dục, bồi dưỡng kiến thức quốc phòng, an ninh đạt {v(35)}% kế hoạch; giao quân, huấn luyện dân quân, dự bị "
            f"động viên đạt {v(36)}% kế hoạch. Tình hình an ninh chính trị, trật tự an toàn xã hội trên địa bàn ổn định."),
        "ton-tai-han-che": lambda v, p: (
            "Tai nạn giao thông và trộm cắp tài sản vẫn xảy ra ở các tuyến phố đông dân cư."),
        "nguyen-nhan": lambda v, p: (
            "Lực lượng mỏng, địa bàn rộng sau sắp xếp; ý thức chấp hành pháp luật giao thông của một bộ phận người dân chưa cao."),
        "nhiem-vu-giai-phap": lambda v, p: (
            f"Trong {_NEXT[p.quarter]}, duy trì nghiêm chế độ trực sẵn sàng chiến đấu; tăng cường tuần tra, kiểm soát ban đêm "
            "và dịp lễ; tiếp tục huấn luyện dân quân theo kế hoạch."),
        "de-xuat-kien-nghi": lambda v, p: (
            "Đề nghị UBND phường bảo đảm kinh phí huấn luyện dân quân và trang bị cho lực lượng bảo vệ an ninh, trật tự ở cơ sở."),
    },
    "VP": {
        "ket-qua-noi-bat": lambda v, p: (
            "Tham mưu UBND phường ban hành đầy đủ chương trình, kế hoạch công tác; tổ chức tiếp công dân định kỳ đúng quy "
            "định; văn bản đi, đến được xử lý trên phần mềm quản lý văn bản."),
        "ton-tai-han-che": lambda v, p: (
            "Một số đơn vị gửi báo cáo chậm so với thời hạn, ảnh hưởng đến việc tổng hợp báo cáo chung của phường."),
        "nguyen-nhan": lambda v, p: (
            "Khối lượng văn bản lớn; một số cán bộ mới điều động chưa thành thạo phần mềm quản lý văn bản và ký số."),
        "nhiem-vu-giai-phap": lambda v, p: (
            f"Trong {_NEXT[p.quarter]}, đôn đốc các đơn vị gửi báo cáo đúng hạn; tham mưu tổng kết, đánh giá tình hình thực "
            "hiện nhiệm vụ; chuẩn bị nội dung kỳ họp HĐND phường."),
        "de-xuat-kien-nghi": lambda v, p: (
            "Đề nghị các phòng, đơn vị gửi báo cáo và nội dung báo cáo đúng thời hạn ghi trong biểu mẫu."),
    },
}

#: Left empty on purpose: (unit, period, item, code).
LEFT_EMPTY = {("VHXH", "2026-Q3", "de-xuat-kien-nghi", None), ("VHXH", "2026-Q3", "nguyen-nhan-chi-tieu", "kham-truoc-ket-hon"),
              ("VHXH", "2026-Q3", "giai-phap-chi-tieu", "kham-truoc-ket-hon")}


def unit_texts(unit: str, period: Period, value: Value, indicators: dict[int, str], tasks: dict[str, str]
               ) -> dict[tuple[str, str | None], str]:
    """What ``unit`` types for ``period``: (item, code) → text.

    ``value(n)`` gives the unit's figure of (n) as typed in the same form (or its latest one);
    ``indicators`` maps the numbers the unit owns to their codes; ``tasks`` maps its task ids to their status labels.
    """
    if unit in NO_TEXTS or unit not in UNIT_TEXTS:
        return {}
    out: dict[tuple[str, str | None], str] = {(item, None): write(value, period) for item, write in UNIT_TEXTS[unit].items()}
    for number, code in indicators.items():
        if number in LAGGING.get(str(period), set()) and number in CAUSES:
            cause, solution = CAUSES[number]
            out[("nguyen-nhan-chi-tieu", code)] = cause.format(v=value(number))
            out[("giai-phap-chi-tieu", code)] = solution
    for task, status in tasks.items():
        progress, done = TASKS[task]
        if status == "Chưa triển khai":
            out[("ket-qua-nhiem-vu", task)] = _NOT_STARTED.format(next=_NEXT[period.quarter])
        else:
            out[("ket-qua-nhiem-vu", task)] = done if status == "Hoàn thành" and done else progress
    return {key: text for key, text in out.items() if (unit, str(period), *key) not in LEFT_EMPTY}


def formatted(number: float | None) -> str:
    """A figure as a unit types it in its words: ``652.149``, ``10,95``."""
    return fmt_number(number) if number is not None else "…"
