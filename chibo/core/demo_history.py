"""Twelve months of meeting history for the demo cells, built only through the meeting services.

Every meeting goes plan → prepare → publish → start → roll call → steps → vote → score →
read back → approve through chibo.meetings.services (and documents.add_document), with
explicit timestamps, so durations, publication dates, excused-absence runs and scorecards
are computed by the real rules, exactly as for a meeting entered on screen.

What the history shows (the demo's "issue list"):
- a thematic meeting every quarter in every cell, topic with presenter (or tổ đảng);
- one combined regular + thematic meeting (Chi bộ thôn 2, August, ≥ 120 minutes);
- a 75-minute meeting (Chi bộ thôn 1, February): the duration breach;
- unexcused absences; one member excused four meetings in a row in one calendar year;
- tasks assigned and reported done at the next meeting, some still open;
- a vote that fails (in favour not more than half of the eligible members);
- grades from Tốt to Trung bình;
- next month's meeting of Chi bộ thôn 1 prepared, published and not started.

Idempotent: one AnnualPlan per cell and year (create_plan's unique constraint), a topic per
quarter, and approved meetings are skipped. Deterministic: random.Random seeded per meeting.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from chibo.meetings import documents, services
from chibo.meetings.models import (
    AnnualPlan,
    AttendanceStatus,
    DocumentKind,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Notification,
    ScoreColumn,
    Task,
)
from chibo.meetings.selectors import open_tasks_for
from chibo.members.models import Member
from chibo.organisations.models import Organisation
from chibo.rules import loader

SEED = "chibo-demo-history"
UPPER_GUEST = ("Phạm Văn Đông", "Phó Bí thư Đảng ủy xã An Bình")
# Notices of the demo go nowhere: the addresses are fake and the meetings are in the past.
QUIET_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


# --- the cells --------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    title: str
    presenter: str = ""  # member name
    group: str = ""  # or a tổ đảng code
    outline: str = ""


@dataclass(frozen=True)
class CellProfile:
    code: str
    day: int  # regular meeting day of the month (create_plan)
    time: dt.time
    thematic_day: int
    thematic_time: dt.time
    chair: str
    deputy: str
    clerks: tuple[str, ...]
    topics: tuple[Topic, ...]  # rotated over the quarters
    places: tuple[str, ...]  # xóm / tổ chuyên môn names used in the texts
    pool: tuple[str, ...]
    month_pool: dict[int, str]
    tasks: tuple[tuple[str, str], ...]  # (title, assignee name or tổ đảng code)
    dues: tuple[int, ...]
    account: str  # the secretary's account ("" = entered by the system)
    officer: str  # officer account of the supervising commune
    guest_months: tuple[int, ...] = ()
    upper_months: tuple[int, ...] = ()
    committee: bool = True
    combined: Topic | None = None
    combined_month: int = 0
    special: dict[int, str] = field(default_factory=dict)  # month -> scenario
    excused_run: str = ""  # member excused four meetings in a row
    special_thematic: dict[int, str] = field(default_factory=dict)  # quarter -> scenario


VILLAGE_POOL = (
    "Tuyến đường bê tông {xom} dài {m} m đã thi công được {pct}%; còn {n} hộ chưa thống nhất phương án "
    "hiến đất. Đề nghị đảng viên trong xóm gương mẫu, trực tiếp đến từng hộ vận động.",
    "Thôn giữ vững 19/19 tiêu chí nông thôn mới, đang phấn đấu đạt chuẩn nông thôn mới kiểu mẫu. Tiêu chí "
    "môi trường còn yếu: đề nghị nhân rộng phân loại rác tại nguồn, mỗi đảng viên nhận chăm sóc một đoạn "
    "đường hoa.",
    "Tình hình an ninh trật tự cơ bản ổn định nhưng trong tháng có {n} vụ trộm cắp vặt ở {xom}. Đề nghị tổ "
    "an ninh cơ sở tăng cường tuần tra ban đêm, vận động các hộ lắp camera hướng ra đường.",
    "Báo cáo thu đảng phí: {pct}% đảng viên đã nộp đúng kỳ. Đề nghị các đồng chí đi làm xa nhờ người nộp "
    "thay hoặc chuyển khoản, không để nợ đảng phí quá ba tháng.",
    "Chi đoàn thôn đang bồi dưỡng {n} đoàn viên ưu tú. Đề nghị chi bộ phân công đảng viên chính thức giúp "
    "đỡ, giới thiệu đi học lớp nhận thức về Đảng, chú trọng phát triển đảng viên trẻ.",
    "Đề nghị rà soát các hộ ở vùng trũng ven sông, chuẩn bị sẵn phương án di dời, bao cát, áo phao, đèn "
    "pin; phân công đảng viên trực phòng chống lụt bão theo từng cụm dân cư.",
    "Tổ công nghệ số cộng đồng đã hướng dẫn thêm {n} người dân cài đặt VNeID và dịch vụ công trực tuyến. "
    "Đề nghị tiếp tục hỗ trợ người cao tuổi, phấn đấu mỗi hộ có ít nhất một người biết thanh toán không "
    "dùng tiền mặt.",
    "Còn {n} đồng chí lớn tuổi chưa sử dụng thành thạo Sổ tay đảng viên điện tử. Đề nghị đảng viên trẻ kèm "
    "cặp, cài đặt ứng dụng và hướng dẫn đọc tài liệu sinh hoạt trước mỗi kỳ họp.",
    "Đề nghị tổ chức tổng vệ sinh đường làng vào chủ nhật cuối tháng, khơi thông cống rãnh, xử lý điểm tập "
    "kết rác tự phát ở đầu {xom}.",
    "Tỷ lệ tham gia bảo hiểm y tế của thôn đạt {pct}%; đề nghị Chi hội Phụ nữ, Chi đoàn vận động các hộ cận "
    "nghèo, hộ có thu nhập thấp tham gia theo hộ gia đình.",
    "Đề nghị chi bộ chỉ đạo tổ hòa giải giải quyết dứt điểm việc tranh chấp lối đi chung giữa hai hộ ở "
    "{xom}, không để phát sinh đơn thư vượt cấp.",
    "Mô hình trồng rau an toàn của {n} hộ cho thu nhập ổn định; đề nghị hợp tác xã hỗ trợ đầu ra, đảng viên "
    "đi đầu chuyển đổi cây trồng trên đất lúa kém hiệu quả.",
    "Đề nghị tăng cường tuyên truyền phòng chống lừa đảo qua mạng: trong tháng có người dân trong thôn bị "
    "gọi điện giả danh công an yêu cầu chuyển tiền.",
    "Đề nghị ban công tác mặt trận rà soát, hỗ trợ {n} hộ nghèo, cận nghèo sửa chữa nhà ở trước mùa mưa bão.",
    "Đề nghị quản lý chặt việc xây dựng trên đất nông nghiệp; kiên quyết không để phát sinh công trình trái "
    "phép dọc tuyến đường mới mở.",
    "Đảng viên thực hiện nghiêm nếp sống văn minh trong việc cưới, việc tang; gương mẫu không tổ chức rườm "
    "rà, không dùng loa công suất lớn sau 22 giờ.",
    "Đề nghị tổ đảng nắm chắc tư tưởng đảng viên và nhân dân về chủ trương sắp xếp đơn vị hành chính, kịp "
    "thời giải thích những băn khoăn của bà con.",
)
VILLAGE_MONTHS = {
    1: "Đề nghị vận động các hộ đóng góp quỹ chăm lo Tết cho hộ nghèo; tổ chức thăm, tặng quà {n} gia đình "
    "chính sách trước Tết Nguyên đán.",
    2: "Đề nghị triển khai Tết trồng cây đầu xuân: trồng {n} cây bóng mát dọc tuyến đường trục thôn, giao "
    "các tổ đảng chăm sóc.",
    3: "Đề nghị ra quân làm thủy lợi nội đồng, nạo vét kênh mương trước vụ hè thu.",
    4: "Đề nghị tổ chức treo cờ Tổ quốc dịp 30/4 và 1/5, nhắc các hộ giữ gìn vệ sinh, trật tự trong dịp "
    "nghỉ lễ.",
    5: "Đề nghị mỗi đảng viên đăng ký một việc làm cụ thể làm theo lời Bác nhân kỷ niệm Ngày sinh Chủ tịch "
    "Hồ Chí Minh.",
    6: "Đề nghị tuyên truyền phòng chống đuối nước cho trẻ em trong dịp hè, cắm biển cảnh báo ở các ao, "
    "hồ sâu.",
    7: "Đề nghị thăm hỏi, tặng quà các gia đình thương binh, liệt sĩ nhân dịp 27/7; tổ chức dọn vệ sinh "
    "nghĩa trang liệt sĩ xã.",
    8: "Đề nghị kiểm tra đê bao, cống tiêu; chuẩn bị lực lượng xung kích, phương tiện cứu hộ trước cao điểm "
    "mưa bão.",
    9: "Sau đợt mưa lớn vừa qua còn {n} hộ bị ngập cục bộ; đề nghị khơi thông dòng chảy, hỗ trợ bà con khắc "
    "phục thiệt hại.",
    10: "Đề nghị hỗ trợ các hộ bị ảnh hưởng mưa lũ khôi phục sản xuất, phun khử trùng môi trường sau lũ.",
    11: "Chuẩn bị tổ chức Ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư, biểu dương các gia đình văn hóa "
    "tiêu biểu.",
    12: "Đề nghị mỗi đảng viên chuẩn bị bản tự kiểm điểm cuối năm, nêu rõ ưu điểm, hạn chế và việc làm cụ "
    "thể năm tới.",
}
SCHOOL_POOL = (
    "Chất lượng khảo sát môn Toán khối 4, 5 còn chênh lệch giữa các lớp; đề nghị {xom} tăng cường dự giờ, "
    "phụ đạo {n} học sinh chưa hoàn thành.",
    "Nhà trường đã triển khai học bạ số và sổ điểm điện tử; đề nghị đảng viên là giáo viên đi đầu, cập nhật "
    "đúng hạn, hỗ trợ đồng nghiệp lớn tuổi.",
    "Đề nghị tăng cường giáo dục an toàn giao thông, nhắc phụ huynh đội mũ bảo hiểm cho học sinh, bố trí "
    "giáo viên trực cổng giờ tan học.",
    "Bếp ăn bán trú đã ký hợp đồng với nhà cung cấp có nguồn gốc rõ ràng; đề nghị ban đại diện cha mẹ học "
    "sinh cùng giám sát.",
    "Đề nghị thực hiện nghiêm quy định về dạy thêm, học thêm; đảng viên tuyệt đối không ép học sinh học "
    "thêm dưới mọi hình thức.",
    "Trường có {n} học sinh có hoàn cảnh khó khăn; đề nghị công đoàn vận động quyên góp sách vở, áo ấm, phối "
    "hợp hội khuyến học hỗ trợ.",
    "Còn {n} đảng viên chưa cập nhật tài liệu trên Sổ tay đảng viên điện tử; đề nghị đọc trước tài liệu "
    "sinh hoạt trên ứng dụng.",
    "Đề nghị tổ chức chuyên đề ứng dụng trí tuệ nhân tạo trong soạn bài giảng, nhưng phải kiểm tra kỹ nội "
    "dung, bảo đảm đúng chương trình.",
    "Đề nghị chi bộ quan tâm bồi dưỡng {n} giáo viên trẻ đủ điều kiện để giới thiệu kết nạp Đảng.",
    "Đề nghị rà soát cơ sở vật chất: {n} phòng học bị dột cần sửa chữa trước mùa mưa, kiểm tra hệ thống "
    "điện, cây xanh trong sân trường.",
    "Phong trào thi đua “Dạy tốt – Học tốt” được giáo viên hưởng ứng; đề nghị đánh giá thực chất, tránh "
    "hình thức.",
    "Đề nghị phối hợp với phụ huynh qua nhóm Zalo lớp, nhưng thông tin đưa lên phải chuẩn mực, bảo vệ thông "
    "tin cá nhân của học sinh.",
    "Đề nghị {xom} đổi mới sinh hoạt chuyên môn theo nghiên cứu bài học, giảm hồ sơ sổ sách không cần thiết.",
)
SCHOOL_MONTHS = {
    1: "Đề nghị chăm lo Tết cho học sinh và giáo viên có hoàn cảnh khó khăn; nhắc học sinh an toàn dịp Tết, "
    "không sử dụng pháo.",
    2: "Sau nghỉ Tết, đề nghị ổn định nề nếp lớp học, nắm tình hình {n} học sinh nghỉ học kéo dài.",
    3: "Đề nghị tổ chức hội thi giáo viên dạy giỏi cấp trường nghiêm túc, chọn đúng người đi thi cấp huyện.",
    4: "Đề nghị ôn tập, chuẩn bị kiểm tra cuối học kỳ II; quan tâm học sinh lớp 5 chưa vững kiến thức.",
    5: "Đề nghị chuẩn bị tốt đánh giá cuối năm học, xét hoàn thành chương trình tiểu học cho học sinh lớp 5.",
    6: "Đề nghị tuyên truyền phòng chống đuối nước cho học sinh trong dịp hè, phối hợp Đoàn xã tổ chức dạy "
    "bơi.",
    7: "Đề nghị cử giáo viên tham gia bồi dưỡng hè về chương trình giáo dục phổ thông, chuẩn bị tuyển sinh lớp "
    "1.",
    8: "Chuẩn bị khai giảng năm học mới: rà soát sách giáo khoa, phân công chủ nhiệm, hoàn thành tuyển sinh "
    "lớp 1.",
    9: "Tổ chức khai giảng trang trọng, an toàn; thực hiện nghiêm quy định về các khoản thu đầu năm, không "
    "lạm thu.",
    10: "Đề nghị kiểm tra nề nếp dạy học đầu năm, kịp thời hỗ trợ giáo viên mới về trường.",
    11: "Chào mừng Ngày Nhà giáo Việt Nam 20/11: tổ chức hội giảng thiết thực, tránh phô trương, quà cáp.",
    12: "Đề nghị chuẩn bị kiểm điểm, đánh giá xếp loại đảng viên cuối năm gắn với kết quả thực hiện nhiệm vụ "
    "chuyên môn.",
}

THON1 = CellProfile(
    code="DEMO-AB-T1",
    day=15,
    time=dt.time(19, 30),
    thematic_day=25,
    thematic_time=dt.time(8, 0),
    chair="Nguyễn Văn Hùng",
    deputy="Lê Thị Hồng",
    clerks=("Trần Thị Lan", "Phạm Văn Thắng"),
    topics=(
        Topic(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về ý thức phục vụ nhân dân",
            presenter="Lê Thị Hồng",
        ),
        Topic(
            "Chỉ thị 50-CT/TW về đổi mới, nâng cao chất lượng sinh hoạt chi bộ", presenter="Nguyễn Văn Hùng"
        ),
        Topic(
            "Chuyển đổi số trong công tác đảng viên và sử dụng Sổ tay đảng viên điện tử",
            group="DEMO-AB-T1-G2",
        ),
        Topic("Phòng chống thiên tai và biến đổi khí hậu ở khu dân cư", presenter="Phạm Văn Thắng"),
        Topic("Vai trò của đảng viên trong xây dựng nông thôn mới nâng cao", presenter="Hoàng Văn Long"),
    ),
    places=("xóm Đông", "xóm Bắc", "xóm Giữa"),
    pool=VILLAGE_POOL,
    month_pool=VILLAGE_MONTHS,
    tasks=(
        ("Vận động các hộ {xom} hiến đất mở rộng đường liên xóm", "Hoàng Văn Long"),
        ("Hướng dẫn đảng viên cao tuổi cài đặt, sử dụng Sổ tay đảng viên điện tử", "Nguyễn Thị Ánh"),
        ("Rà soát hộ ở vùng trũng, cập nhật phương án di dời khi có lũ", "DEMO-AB-T1-G1"),
        ("Tổ chức tổng vệ sinh môi trường, khơi thông cống rãnh {xom}", "DEMO-AB-T1-G2"),
        ("Thu đảng phí, nộp về Đảng ủy xã đúng hạn", "Lê Thị Hồng"),
        ("Giúp đỡ đoàn viên ưu tú học lớp nhận thức về Đảng", "Mai Thị Xuân"),
        ("Vận động người dân tham gia bảo hiểm y tế hộ gia đình", "Ngô Thị Nga"),
        ("Hướng dẫn người dân cài đặt VNeID, thanh toán không dùng tiền mặt", "Đỗ Văn Khoa"),
        ("Phối hợp tổ hòa giải giải quyết tranh chấp lối đi chung ở {xom}", "Phạm Văn Thắng"),
        ("Kiểm tra, sửa chữa mái nhà văn hóa thôn trước mùa mưa bão", "Đặng Văn Tuấn"),
    ),
    dues=(5_000, 5_000, 10_000, 30_000, 50_000),
    account="bithu.thon1",
    officer="danguy.anbinh",
    guest_months=(3, 9, 12),
    upper_months=(3, 9, 12),
    special={2: "short", 6: "unexcused", 10: "medium", 12: "medium"},
    excused_run="Trịnh Văn Sơn",
)
THON2 = CellProfile(
    code="DEMO-AB-T2",
    day=18,
    time=dt.time(19, 30),
    thematic_day=27,
    thematic_time=dt.time(19, 30),
    chair="Trần Văn Quang",
    deputy="Nguyễn Thị Minh",
    clerks=("Đinh Thị Yến",),
    topics=(
        Topic(
            "Chỉ thị 50-CT/TW về đổi mới, nâng cao chất lượng sinh hoạt chi bộ", presenter="Nguyễn Thị Minh"
        ),
        Topic(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về thực hành tiết kiệm, "
            "chống lãng phí",
            presenter="Trần Văn Quang",
        ),
        Topic("Chuyển đổi số trong công tác đảng viên", presenter="Cao Văn Toàn"),
        Topic("Đảng viên gương mẫu giữ gìn an ninh trật tự ở khu dân cư", presenter="Hoàng Văn Dũng"),
        Topic("Phát triển đảng viên trẻ, xây dựng chi đoàn thôn vững mạnh", presenter="Lương Thị Thảo"),
    ),
    places=("xóm Trại", "xóm Chùa", "xóm Đồng"),
    pool=VILLAGE_POOL,
    month_pool=VILLAGE_MONTHS,
    tasks=(
        ("Lấy ý kiến nhân dân về phương án đóng góp làm đường nội đồng", "Lê Văn Tâm"),
        ("Hướng dẫn đảng viên sử dụng Sổ tay đảng viên điện tử", "Cao Văn Toàn"),
        ("Rà soát, hỗ trợ hộ nghèo sửa chữa nhà ở trước mùa mưa bão", "Nguyễn Thị Minh"),
        ("Duy trì tổ an ninh tự quản tuần tra ban đêm ở {xom}", "Hoàng Văn Dũng"),
        ("Vận động các hộ phân loại rác tại nguồn", "Lương Thị Thảo"),
        ("Nạo vét kênh tiêu {xom} trước mùa mưa", "Vũ Văn Hải"),
        ("Thăm hỏi, tặng quà gia đình chính sách", "Phạm Thị Huyền"),
    ),
    dues=(5_000, 5_000, 10_000, 20_000, 40_000),
    account="bithu.thon2",
    officer="danguy.anbinh",
    guest_months=(1, 8, 11),
    upper_months=(1, 8, 11),
    combined=Topic(
        "Phòng chống thiên tai và biến đổi khí hậu: phương án ứng phó mùa mưa bão năm nay",
        presenter="Lê Văn Tâm",
    ),
    combined_month=8,
    special={5: "failed_vote", 3: "medium", 10: "medium"},
)
SCHOOL = CellProfile(
    code="DEMO-HL-TH",
    day=10,
    time=dt.time(16, 0),
    thematic_day=22,
    thematic_time=dt.time(14, 0),
    chair="Phan Thị Ngọc",
    deputy="Võ Văn Chiến",
    clerks=("Hà Thị Loan", "Kiều Thị Oanh"),
    topics=(
        Topic(
            "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về đạo đức nhà giáo",
            presenter="Võ Văn Chiến",
        ),
        Topic("Chỉ thị 50-CT/TW về đổi mới, nâng cao chất lượng sinh hoạt chi bộ", presenter="Phan Thị Ngọc"),
        Topic("Chuyển đổi số trong dạy học và trong công tác đảng viên", presenter="Tạ Văn Việt"),
        Topic(
            "Phòng chống thiên tai và biến đổi khí hậu: xây dựng trường học an toàn",
            presenter="Triệu Văn Lâm",
        ),
        Topic(
            "Giáo dục đạo đức, lối sống cho học sinh tiểu học trong môi trường số", presenter="Kiều Thị Oanh"
        ),
    ),
    places=("tổ chuyên môn khối 4–5", "tổ chuyên môn khối 1–3"),
    pool=SCHOOL_POOL,
    month_pool=SCHOOL_MONTHS,
    tasks=(
        ("Phụ đạo học sinh chưa hoàn thành môn Toán khối 4, 5", "Hà Thị Loan"),
        ("Cập nhật học bạ số, sổ điểm điện tử đúng hạn", "Tạ Văn Việt"),
        ("Kiểm tra, sửa chữa phòng học bị dột trước mùa mưa", "Triệu Văn Lâm"),
        ("Bồi dưỡng giáo viên trẻ là quần chúng ưu tú", "Võ Văn Chiến"),
        ("Hướng dẫn đảng viên sử dụng Sổ tay đảng viên điện tử", "Kiều Thị Oanh"),
        ("Phối hợp ban đại diện cha mẹ học sinh giám sát bếp ăn bán trú", "Lò Thị Mỷ"),
    ),
    dues=(55_000, 65_000, 75_000, 90_000),
    account="",
    officer="danguy.hoalac",
    upper_months=(11,),
    committee=False,
    special={12: "medium", 4: "medium"},
    special_thematic={3: "weak"},
)
PROFILES = (THON1, THON2, SCHOOL)

# Share of the meeting time per agenda step (scaled to the real duration).
WEIGHTS = {
    "dues": 3,
    "roll_call": 4,
    "agenda": 3,
    "current_affairs": 12,
    "upper_documents": 12,
    "last_month": 14,
    "next_month": 14,
    "presentation": 30,
    "discussion": 28,
    "conclusion": 8,
    "vote": 4,
    "admission": 2,
    "scoring": 5,
    "minutes": 8,
    "close": 2,
}
REASONS = (
    "Ốm, có giấy của trạm y tế",
    "Đi làm ăn xa",
    "Đưa người nhà đi khám bệnh",
    "Đi công tác đột xuất",
    "Về quê có việc gia đình",
    "Đi tập huấn do huyện tổ chức",
    "Trông cháu nhỏ bị ốm",
)
ANNIVERSARIES = {
    1: ("chăm lo Tết Nguyên đán cho hộ nghèo, gia đình chính sách", None),
    2: ("kỷ niệm {y} năm Ngày thành lập Đảng Cộng sản Việt Nam (3/2/1930)", 1930),
    3: ("kỷ niệm {y} năm Ngày thành lập Đoàn TNCS Hồ Chí Minh (26/3/1931)", 1931),
    4: ("kỷ niệm {y} năm Ngày giải phóng miền Nam, thống nhất đất nước (30/4/1975)", 1975),
    5: ("kỷ niệm {y} năm Ngày sinh Chủ tịch Hồ Chí Minh (19/5/1890)", 1890),
    6: ("Tháng hành động vì trẻ em, phòng chống đuối nước", None),
    7: ("kỷ niệm {y} năm Ngày Thương binh – Liệt sĩ (27/7/1947)", 1947),
    8: ("kỷ niệm {y} năm Cách mạng Tháng Tám và Quốc khánh 2/9", 1945),
    9: ("kỷ niệm {y} năm Quốc khánh nước Cộng hòa xã hội chủ nghĩa Việt Nam", 1945),
    10: ("kỷ niệm {y} năm Ngày thành lập Hội Liên hiệp Phụ nữ Việt Nam (20/10/1930)", 1930),
    11: ("kỷ niệm {y} năm Ngày truyền thống Mặt trận Tổ quốc Việt Nam (18/11/1930)", 1930),
    12: ("kỷ niệm {y} năm Ngày thành lập Quân đội nhân dân Việt Nam (22/12/1944)", 1944),
}


# --- small helpers ----------------------------------------------------------------------
def at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def month_add(year: int, month: int, delta: int) -> tuple[int, int]:
    k = year * 12 + month - 1 + delta
    return k // 12, k % 12 + 1


def window(today: dt.date) -> list[tuple[int, int]]:
    """The last twelve complete months before TODAY, oldest first."""
    return [month_add(today.year, today.month, -i) for i in range(12, 0, -1)]


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def ascii_fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def pdf(*lines: str) -> bytes:
    """A small valid one-page PDF (Helvetica, so the text is folded to ASCII)."""

    def esc(s: str) -> str:
        return (
            ascii_fold(s)
            .encode("ascii", "replace")
            .decode()
            .replace("\\", "\\\\")
            .replace("(", "\\(")
            .replace(")", "\\)")
        )

    body = "BT /F1 13 Tf 56 780 Td 18 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    stream = body.encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def fill(text: str, rng: random.Random, places: tuple[str, ...]) -> str:
    return text.format(
        xom=rng.choice(places),
        n=rng.randint(2, 9),
        m=rng.choice((250, 320, 400, 480, 560)),
        pct=rng.choice((86, 90, 92, 95, 97, 100)),
    )


# --- one meeting's script -----------------------------------------------------------------
@dataclass
class Script:
    minutes: int
    speakers: str = "high"  # high ≥ 50% of those present, medium 30–49%, low 10–29%
    absences: dict[str, tuple[str, str]] = field(default_factory=dict)
    guest: bool = False
    upper: bool = False
    vote_fails: bool = False
    combine: bool = False  # hold the month's regular meeting as the combined one
    publish_before: dt.timedelta = dt.timedelta(days=3)
    thematic_draft: bool = True
    manual: dict[str, int] = field(default_factory=dict)
    note: str = ""


@dataclass
class Context:
    cell: Organisation
    profile: CellProfile
    members: dict[str, Member]
    groups: dict[str, Organisation]
    actor: Any
    officer: Any
    today: dt.date
    created: int = 0

    @property
    def chair(self) -> Member:
        return self.members[self.profile.chair]


class History:
    """Builds the history of one cell, oldest meeting first."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.plans: dict[int, AnnualPlan] = {}

    # plans and topics ---------------------------------------------------------------
    def plan(self, year: int) -> AnnualPlan:
        if year not in self.plans:
            ctx, p = self.ctx, self.ctx.profile
            plan = AnnualPlan.objects.filter(organisation=ctx.cell, year=year).first()
            if plan is None:
                plan = services.create_plan(
                    actor=ctx.actor,
                    cell=ctx.cell,
                    year=year,
                    day_of_month=p.day,
                    time=p.time,
                    place=ctx.cell.address,
                )
                ctx.created += 1
            self.plans[year] = plan
        return self.plans[year]

    def regular(self, year: int, month: int) -> Meeting:
        """The plan's meeting of the month (regular, or turned into the combined one)."""
        return (
            Meeting.objects.filter(plan=self.plan(year), topic__isnull=True, scheduled_at__month=month)
            .exclude(kind=MeetingKind.THEMATIC)
            .order_by("scheduled_at", "id")
            .first()
        )  # type: ignore[return-value]

    def topic_kwargs(self, topic: Topic) -> dict[str, Any]:
        if topic.group:
            return {"presenter_group": self.ctx.groups[topic.group]}
        return {"presenter": self.ctx.members[topic.presenter]}

    def thematic(self, year: int, quarter: int, month: int, topic: Topic) -> Meeting:
        ctx, p = self.ctx, self.ctx.profile
        plan = self.plan(year)
        existing = Meeting.objects.filter(
            plan=plan, kind=MeetingKind.THEMATIC, topic__quarter=quarter
        ).first()
        if existing:
            return existing
        day = dt.date(year, month, p.thematic_day)
        outline = topic.outline or (
            "1. Nội dung cơ bản của chuyên đề.\n2. Liên hệ thực tiễn của chi bộ, địa phương.\n"
            "3. Việc làm cụ thể của mỗi đảng viên."
        )
        new = services.add_topic(
            actor=ctx.actor,
            plan=plan,
            quarter=quarter,
            title=topic.title,
            draft_due=day - dt.timedelta(days=7),
            outline=outline,
            scheduled_at=at(day, p.thematic_time),
            **self.topic_kwargs(topic),
        )
        ctx.created += 2
        return Meeting.objects.get(topic=new)

    # the whole history -------------------------------------------------------------------
    def build(self) -> list[Meeting]:
        ctx, p = self.ctx, self.ctx.profile
        months = window(ctx.today)
        for year in sorted({y for y, _ in months} | {ctx.today.year}):
            self.plan(year)
        # Regular (or combined) meeting of each month of the window; the scenarios of the demo
        # (short meeting, failed vote, combined meeting, ...) are placed by month in the window.
        meetings = [self.regular(year, month) for year, month in months]
        in_window = {m.pk for m in meetings}
        # This month's meeting too once its day is past, so the plan shows no gap before the next one.
        current = self.regular(ctx.today.year, ctx.today.month)
        if timezone.localtime(current.scheduled_at).date() < ctx.today:
            meetings.append(current)
        # One thematic meeting per quarter the window touches, in its middle month where possible
        # (not in the month of the combined meeting).
        quarters: dict[tuple[int, int], list[int]] = {}
        for year, month in months:
            quarters.setdefault((year, quarter_of(month)), []).append(month)
        for index, ((year, quarter), qmonths) in enumerate(sorted(quarters.items())):
            choices = [mo for mo in qmonths if mo != p.combined_month] or qmonths
            month = 3 * quarter - 1 if 3 * quarter - 1 in choices else choices[len(choices) // 2]
            topic = p.topics[index % len(p.topics)]
            meetings.append(self.thematic(year, quarter, month, topic))
            in_window.add(meetings[-1].pk)
        meetings.sort(key=lambda m: m.scheduled_at)
        run = self.excused_block(meetings)
        held = []
        for meeting in meetings:
            if meeting.status == MeetingStatus.APPROVED:
                continue
            script = self.script(meeting, excused=meeting.pk in run, scenarios=meeting.pk in in_window)
            held.append(self.hold(meeting, script))
        return held

    def excused_block(self, meetings: list[Meeting]) -> set[int]:
        """Four meetings in a row, in one calendar year, at which the same member is excused."""
        if not self.ctx.profile.excused_run:
            return set()
        by_year: dict[int, list[Meeting]] = {}
        for m in meetings:
            by_year.setdefault(timezone.localtime(m.scheduled_at).year, []).append(m)
        year, rows = max(by_year.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(rows) < 4:
            return set()
        start = min(3, len(rows) - 4)
        return {m.pk for m in rows[start : start + 4]}

    # choosing what happens -------------------------------------------------------------
    def script(self, m: Meeting, *, excused: bool, scenarios: bool) -> Script:
        p = self.ctx.profile
        local = timezone.localtime(m.scheduled_at)
        rng = random.Random(f"{SEED}:{p.code}:{local:%Y-%m-%d}:{m.kind}")
        month = local.month
        if m.kind == MeetingKind.THEMATIC:
            s = Script(minutes=rng.randint(95, 125), manual={"depth": rng.choice((8, 9, 9, 10))})
            scenario = p.special_thematic.get(quarter_of(month), "") if scenarios else ""
        else:
            s = Script(
                minutes=rng.randint(95, 120),
                manual={"order_content": rng.choice((9, 10, 10)), "criticism": rng.choice((7, 8, 8, 9, 10))},
            )
            scenario = p.special.get(month, "") if scenarios else ""
            s.guest = month in p.guest_months
            s.upper = month in p.upper_months
            s.combine = scenarios and p.combined is not None and month == p.combined_month
            if m.kind == MeetingKind.COMBINED or s.combine:
                s.minutes = rng.randint(128, 140)
        if rng.random() < 0.35:
            s.absences[""] = (AttendanceStatus.ABSENT_EXCUSED, rng.choice(REASONS))  # someone, picked later
        if excused and p.excused_run:
            s.absences[p.excused_run] = (
                AttendanceStatus.ABSENT_EXCUSED,
                "Đi làm ăn xa tại Bình Dương, đã báo cáo chi ủy",
            )
        if scenario == "short":
            s.minutes, s.speakers = 75, "medium"
            s.manual = {"order_content": 7, "criticism": 6}
            s.note = "Buổi sinh hoạt rút ngắn do trùng lịch lễ hội đầu xuân của xã; chưa đủ thời lượng."
        elif scenario == "unexcused":
            s.absences.pop("", None)
            s.absences["Đặng Văn Tuấn"] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
            s.speakers = "medium"
            s.note = "Đồng chí Đặng Văn Tuấn vắng không báo cáo; chi ủy giao tổ đảng gặp gỡ, nhắc nhở."
        elif scenario == "medium":
            s.speakers = "medium"
        elif scenario == "failed_vote":
            s.vote_fails, s.speakers = True, "low"
            s.absences.pop("", None)
            s.absences["Vũ Văn Hải"] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
            s.absences["Lương Thị Thảo"] = (AttendanceStatus.ABSENT_EXCUSED, "Thu hoạch lúa vụ chiêm xuân")
            s.manual = {"order_content": 7, "criticism": 5}
            s.note = "Nhiều đảng viên bận thu hoạch; phương án đóng góp chưa được chi bộ thông qua."
        elif scenario == "weak":
            s.minutes, s.speakers, s.thematic_draft = 80, "low", False
            s.publish_before = dt.timedelta(hours=5)
            s.manual = {"depth": 5}
            s.note = "Dự thảo chuyên đề gửi muộn, thời gian sinh hoạt ngắn, ít ý kiến liên hệ thực tiễn."
        return s

    # running it ----------------------------------------------------------------------
    def hold(self, m: Meeting, s: Script) -> Meeting:
        ctx, p = self.ctx, self.ctx.profile
        actor = ctx.actor
        local = timezone.localtime(m.scheduled_at)
        day = local.date()
        rng = random.Random(f"{SEED}:{p.code}:{day:%Y-%m-%d}:{m.kind}:run")
        chair = ctx.chair
        clerk = ctx.members[p.clerks[day.month % len(p.clerks)]]
        if m.status == MeetingStatus.PLANNED:
            if s.combine and p.combined and m.kind == MeetingKind.REGULAR:
                # The month's regular meeting becomes the combined one (as "đổi loại" does on screen).
                m = services.update_meeting(
                    actor=actor,
                    meeting=m,
                    kind=MeetingKind.COMBINED,
                    title=f"Sinh hoạt thường kỳ tháng {day:%m/%Y} kết hợp chuyên đề: {p.combined.title}",
                )
                services.add_topic(
                    actor=actor,
                    plan=m.plan,
                    quarter=quarter_of(day.month),
                    title=p.combined.title,
                    draft_due=day - dt.timedelta(days=7),
                    **self.topic_kwargs(p.combined),
                )
            self.prepare(m, s, day, chair, clerk)
            services.publish(actor=actor, meeting=m, now=m.scheduled_at - s.publish_before)
        thematic = m.has_thematic_part
        start = m.scheduled_at + dt.timedelta(minutes=rng.choice((0, 0, 5, 10)))
        services.start(actor=actor, meeting=m, now=start)
        m.refresh_from_db()
        items = list(m.items.all())
        rows = {a.member.full_name: a for a in m.attendance.select_related("member")}
        statuses = self.statuses(rows, s, rng, chair, clerk, m)
        present = [rows[n].member for n, st in statuses.items() if st[0] == AttendanceStatus.PRESENT]
        speakers = self.speakers(present, s, rng, chair, m)
        topic = m.topic or (
            Topic(title=p.combined.title) if p.combined and m.kind == MeetingKind.COMBINED else None
        )
        presenter = self.presenter(m, present)
        guest = None
        times = self.timeline(items, start, s.minutes)
        queue = list(speakers)
        for item, when in zip(items, times):
            services.start_item(actor=actor, item=item, now=when)
            code = item.code
            if code == "dues":
                for member in present:
                    amount = p.dues[sum(map(ord, member.full_name)) % len(p.dues)]
                    services.set_dues(actor=actor, meeting=m, member=member, collected=True, amount=amount)
            elif code == "roll_call":
                for name, (status, reason) in statuses.items():
                    if not rows[name].status:
                        services.set_attendance(
                            actor=actor, meeting=m, member=rows[name].member, status=status, reason=reason
                        )
                if s.guest:
                    guest = services.add_guest(
                        actor=actor,
                        meeting=m,
                        name=UPPER_GUEST[0],
                        position=UPPER_GUEST[1],
                        is_upper_officer=True,
                    )
            elif code == "current_affairs":
                self.speak(m, chair, item, self.news(day))
                queue = [x for x in queue if x.pk != chair.pk]
            elif code == "upper_documents" and queue:
                who = next((x for x in queue if x.full_name == p.deputy), queue[0])
                queue.remove(who)
                self.speak(m, who, item, self.upper_docs(day, rng))
            elif code == "last_month":
                self.review_tasks(m, rng, item, queue)
            elif code == "next_month":
                self.speak(m, chair, item, self.next_month(day, rng))
            elif code == "presentation" and presenter is not None and topic is not None:
                self.speak(m, presenter, item, self.presentation(topic, presenter))
                queue = [x for x in queue if x.pk != presenter.pk]
            elif code == "discussion":
                self.discussion(m, item, queue, rng, thematic, topic, day)
                queue = []
                if guest is not None:
                    words = self.guest_words(thematic, rng)
                    services.add_speech(actor=actor, meeting=m, guest=guest, item=item, summary=words)
            elif code == "conclusion":
                tasks = [] if m.kind == MeetingKind.THEMATIC else self.assign_tasks(m, rng, day)
                services.set_conclusion(actor=actor, item=item, text=self.conclusion(m, s, day, tasks, topic))
            elif code == "vote":
                self.vote(m, s, day, rng)
            elif code == "scoring":
                services.save_score(
                    actor=actor, meeting=m, column=ScoreColumn.CELL, entries=s.manual, note=s.note
                )
        end = start + dt.timedelta(minutes=s.minutes)
        services.end_item(actor=actor, item=items[-1], now=end)
        services.read_back(actor=actor, meeting=m, now=end)
        if s.upper and ctx.officer is not None:
            upper = {k: max(0, v - rng.choice((0, 1))) for k, v in s.manual.items()}
            services.save_score(
                actor=ctx.officer,
                meeting=m,
                column=ScoreColumn.UPPER,
                entries=upper,
                note="Cấp ủy cấp trên chấm qua dự họp và biên bản.",
            )
        ctx.created += 1
        return services.approve(actor=actor, meeting=m)

    def prepare(self, m: Meeting, s: Script, day: dt.date, chair: Member, clerk: Member) -> None:
        ctx, p = self.ctx, self.ctx.profile
        deputy = ctx.members[p.deputy]
        who = "Chi ủy" if p.committee else "Bí thư, phó bí thư"
        notes = (
            f"{who} họp ngày {day - dt.timedelta(days=6):%d/%m/%Y}, thống nhất nội dung sinh hoạt, dự thảo "
            f"nghị quyết; phân công đồng chí {clerk.full_name} làm thư ký."
        )
        services.update_meeting(
            actor=ctx.actor,
            meeting=m,
            preparer=chair if day.month % 2 else deputy,
            pre_meeting_at=at(day - dt.timedelta(days=6), dt.time(8, 0)),
            pre_meeting_notes=notes,
            chair=chair,
            secretary=clerk,
        )
        title = m.title or m.get_kind_display()
        docs: list[tuple[str, str]] = []
        if m.kind != MeetingKind.THEMATIC:
            docs.append((DocumentKind.DRAFT_RESOLUTION, f"Dự thảo nghị quyết tháng {day:%m/%Y}"))
        if m.has_thematic_part and s.thematic_draft:
            docs.append((DocumentKind.THEMATIC_DRAFT, f"Dự thảo chuyên đề: {title}"[:200]))
        if m.kind == MeetingKind.THEMATIC and not s.thematic_draft:
            docs.append((DocumentKind.OTHER, "Đề cương gợi ý thảo luận"))
        for kind, doc_title in docs:
            data = pdf(ctx.cell.name, doc_title, f"Ngay sinh hoat: {day:%d/%m/%Y}", title[:90])
            upload = SimpleUploadedFile(
                f"{slugify(ascii_fold(doc_title))[:60]}.pdf", data, content_type="application/pdf"
            )
            documents.add_document(actor=ctx.actor, meeting=m, kind=kind, title=doc_title, upload=upload)

    def statuses(self, rows, s: Script, rng, chair, clerk, m) -> dict[str, tuple[str, str]]:  # type: ignore[no-untyped-def]
        """Everyone present unless the script says otherwise; exempt/away rows keep their pre-marks."""
        out: dict[str, tuple[str, str]] = {}
        for name, row in rows.items():
            if row.status:
                out[name] = (row.status, row.reason)
            else:
                out[name] = (AttendanceStatus.PRESENT, "")
        base = [
            n for n, row in rows.items() if not row.is_exempt and not row.is_away and not row.special_duty
        ]
        may_miss = len(base) - (math.floor(len(base) * 0.85) + 1)  # keep the rate above 85%
        named = {n: v for n, v in s.absences.items() if n and n in rows}
        for name, value in named.items():
            out[name] = value
        if "" in s.absences and len(named) < may_miss:
            keep = {chair.full_name, clerk.full_name, self.ctx.profile.excused_run, self.ctx.profile.deputy}
            presenter = self.presenter(m, [row.member for row in rows.values()])
            if presenter is not None:
                keep.add(presenter.full_name)
            # The probationary member comes to every meeting (and does not vote).
            choices = [n for n in base if n not in keep and n not in named and rows[n].is_full]
            if choices:
                out[rng.choice(choices)] = s.absences[""]
        return out

    def speakers(self, present: list[Member], s: Script, rng, chair: Member, m: Meeting) -> list[Member]:  # type: ignore[no-untyped-def]
        total = len(present)
        if s.speakers == "high":
            n = math.ceil(total * 0.5) + rng.choice((0, 0, 1))
        elif s.speakers == "medium":
            n = math.ceil(total * 0.3)
            while n * 2 >= total:
                n -= 1
        else:
            n = max(1, math.ceil(total * 0.1))
            while n > 1 and n * 10 >= total * 3:
                n -= 1
        n = max(1, min(n, total))
        first = [chair]
        presenter = self.presenter(m, present)
        if presenter is not None and presenter.pk != chair.pk:
            first.append(presenter)
        if s.speakers == "high":
            deputy = next((x for x in present if x.full_name == self.ctx.profile.deputy), None)
            if deputy is not None and deputy not in first:
                first.append(deputy)
        others = [x for x in present if x not in first]
        rng.shuffle(others)
        return (first + others)[:n] if n >= len(first) else first[:n]

    def presenter(self, m: Meeting, present: list[Member]) -> Member | None:
        p = self.ctx.profile
        if m.kind == MeetingKind.REGULAR:
            return None
        topic = m.topic
        if topic is None and p.combined:
            return self.ctx.members.get(p.combined.presenter)
        if topic is None:
            return None
        if topic.presenter_id:
            return next((x for x in present if x.pk == topic.presenter_id), None)
        if topic.presenter_group_id:
            in_group = [x for x in present if x.party_group_id == topic.presenter_group_id]
            leader = next((x for x in in_group if x.party_position == "to_truong"), None)
            return leader or (in_group[0] if in_group else None)
        return None

    def timeline(self, items, start: dt.datetime, minutes: int) -> list[dt.datetime]:  # type: ignore[no-untyped-def]
        weights = [WEIGHTS.get(i.code, 5) for i in items]
        total = sum(weights)
        out, acc = [], 0
        for w in weights:
            out.append(start + dt.timedelta(minutes=round(minutes * acc / total)))
            acc += w
        return out

    # words ---------------------------------------------------------------------------
    def speak(self, m: Meeting, member: Member, item, text: str) -> None:  # type: ignore[no-untyped-def]
        services.add_speech(actor=self.ctx.actor, meeting=m, member=member, item=item, summary=text)

    def news(self, day: dt.date) -> str:
        what, since = ANNIVERSARIES[day.month]
        event = what.format(y=day.year - since) if since else what
        return (
            f"Thông tin thời sự trong nước, của tỉnh và xã tháng {day:%m/%Y}; tuyên truyền {event}. "
            "Đề nghị đảng viên đọc tài liệu trên Sổ tay đảng viên điện tử trước kỳ họp."
        )

    def upper_docs(self, day: dt.date, rng: random.Random) -> str:
        docs = (
            "Quán triệt Chỉ thị 50-CT/TW và Hướng dẫn 42-HD/BTCTW về nâng cao chất lượng sinh hoạt chi bộ: "
            "tài liệu công bố trước, mỗi buổi sinh hoạt không dưới 90 phút.",
            "Triển khai kế hoạch của Đảng ủy xã về chuyển đổi số, thu đảng phí qua chuyển khoản.",
            f"Thông báo của Đảng ủy xã về kế hoạch phòng chống thiên tai, tìm kiếm cứu nạn năm {day.year}.",
            "Triển khai nghị quyết của Đảng ủy xã về phát triển kinh tế, xây dựng nông thôn mới nâng cao.",
            "Hướng dẫn kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên.",
        )
        return rng.choice(docs)

    def next_month(self, day: dt.date, rng: random.Random) -> str:
        y, mo = month_add(day.year, day.month, 1)
        return f"Nhiệm vụ tháng {mo:02d}/{y}: " + fill(
            self.ctx.profile.month_pool.get(mo, rng.choice(self.ctx.profile.pool)),
            rng,
            self.ctx.profile.places,
        )

    def presentation(self, topic: Topic | Any, presenter: Member) -> str:
        return (
            f"Đồng chí {presenter.full_name} trình bày chuyên đề “{topic.title}”: nội dung cơ bản, liên hệ thực "
            "tiễn của chi bộ, đề xuất việc làm cụ thể cho từng đảng viên."
        )

    def discussion(self, m, item, queue, rng, thematic, topic, day) -> None:  # type: ignore[no-untyped-def]
        p = self.ctx.profile
        lines = list(p.pool)
        rng.shuffle(lines)
        seasonal = p.month_pool.get(day.month)
        if seasonal:
            lines.insert(0, seasonal)
        for index, member in enumerate(queue):
            if thematic and topic is not None and index % 2 == 0:
                text = f"Liên hệ chuyên đề “{topic.title}”: " + fill(lines[index % len(lines)], rng, p.places)
            else:
                text = fill(lines[index % len(lines)], rng, p.places)
            self.speak(m, member, item, text)

    def guest_words(self, thematic: bool, rng: random.Random) -> str:
        if thematic:
            return (
                "Đảng ủy xã ghi nhận chuyên đề được chuẩn bị công phu, gắn với thực tiễn địa phương; đề nghị "
                "chi bộ cụ thể hóa thành việc làm, đưa vào nghị quyết và kiểm tra kết quả hằng tháng."
            )
        options = (
            "Ghi nhận chi bộ chuẩn bị chu đáo, tài liệu gửi trước; đề nghị tiếp tục đổi mới nội dung sinh "
            "hoạt theo Chỉ thị 50-CT/TW, tập trung vào những việc dân quan tâm như đường giao thông, môi trường.",
            "Đảng ủy xã đánh giá cao tinh thần gương mẫu của đảng viên trong vận động hiến đất làm đường; đề "
            "nghị chi bộ quan tâm phát triển đảng viên trẻ, hoàn thành chỉ tiêu kết nạp năm nay.",
            "Đề nghị chi bộ chủ động phương án phòng chống thiên tai, không để bị động khi có bão lũ; mỗi đảng "
            "viên là một tuyên truyền viên về chuyển đổi số và Sổ tay đảng viên điện tử.",
        )
        return rng.choice(options)

    def review_tasks(self, m: Meeting, rng: random.Random, item, queue: list[Member]) -> None:  # type: ignore[no-untyped-def]
        for task in open_tasks_for(m):
            if task.reports.filter(meeting=m).exists():
                continue
            overdue = task.reports.exists()  # reported "in progress" before: finished now
            done = overdue or rng.random() < 0.75
            text = (
                f"Đã hoàn thành: {task.title.lower()}; kết quả được nhân dân đồng tình."
                if done
                else f"Đang thực hiện: {task.title.lower()}; phấn đấu hoàn thành trong tháng tới."
            )
            services.report_task(actor=self.ctx.actor, meeting=m, task=task, text=text, done=done)
        if queue:
            who = queue.pop(0)
            self.speak(
                m,
                who,
                item,
                "Báo cáo kết quả thực hiện nghị quyết tháng trước: các nhiệm vụ cơ bản hoàn thành; "
                + fill(rng.choice(self.ctx.profile.pool), rng, self.ctx.profile.places),
            )

    def assign_tasks(self, m: Meeting, rng: random.Random, day: dt.date) -> list[Task]:
        ctx, p = self.ctx, self.ctx.profile
        picks = rng.sample(range(len(p.tasks)), 2)
        y, mo = month_add(day.year, day.month, 1)
        due = dt.date(y, mo, min(p.day, 28)) - dt.timedelta(days=1)
        out = []
        for index in picks:
            title, who = p.tasks[index]
            title = fill(title, rng, p.places)
            if who in ctx.groups:
                task = services.assign_task(
                    actor=ctx.actor, meeting=m, title=title, assignee_group=ctx.groups[who], due_date=due
                )
            else:
                task = services.assign_task(
                    actor=ctx.actor, meeting=m, title=title, assignee=ctx.members[who], due_date=due
                )
            out.append(task)
        return out

    def conclusion(self, m: Meeting, s: Script, day: dt.date, tasks: list[Task], topic) -> str:  # type: ignore[no-untyped-def]
        if m.kind == MeetingKind.THEMATIC and topic is not None:
            return (
                f"Chi bộ thống nhất nội dung chuyên đề “{topic.title}”. Mỗi đảng viên đăng ký ít nhất một việc "
                "làm cụ thể, báo cáo kết quả tại buổi sinh hoạt thường kỳ; chi ủy theo dõi, đánh giá cuối năm."
            )
        lines = [f"Chi bộ đánh giá kết quả tháng {day:%m/%Y} và thống nhất nhiệm vụ tháng tới:"]
        for n, task in enumerate(tasks, start=1):
            who = task.assignee.full_name if task.assignee else task.assignee_group.name  # type: ignore[union-attr]
            lines.append(f"{n}. {task.title} (giao {who}, hạn {task.due_date:%d/%m/%Y}).")
        if s.vote_fails:
            lines.append(
                "Phương án huy động đóng góp làm đường nội đồng chưa được thông qua; chi ủy tiếp thu ý kiến, "
                "lấy ý kiến nhân dân và trình lại tại kỳ họp sau."
            )
        if s.note:
            lines.append(s.note)
        return "\n".join(lines)

    def vote(self, m: Meeting, s: Script, day: dt.date, rng: random.Random) -> None:
        actor = self.ctx.actor
        if s.vote_fails:
            subject = "Nghị quyết: mỗi hộ đóng góp 1.000.000 đồng làm đường nội đồng"
        elif m.kind == MeetingKind.THEMATIC:
            subject = f"Kết luận chuyên đề quý {quarter_of(day.month)}/{day.year}"
        else:
            subject = f"Nghị quyết chi bộ tháng {day:%m/%Y}"
        vote = services.open_vote(actor=actor, meeting=m, subject=subject)
        present = set(
            m.attendance.filter(status=AttendanceStatus.PRESENT).values_list("member_id", flat=True)
        )
        voters = len(present & set(vote.eligible_ids))
        if s.vote_fails:
            in_favour = min(voters, vote.eligible_count // 2)
            against = min(voters - in_favour, 2)
            other = voters - in_favour - against
        else:
            against = 1 if voters > 6 and rng.random() < 0.15 else 0
            in_favour, other = voters - against, 0
        services.close_vote(actor=actor, vote=vote, in_favour=in_favour, against=against, other=other)

    # next month's meeting ------------------------------------------------------------------
    def prepare_upcoming(self) -> Meeting | None:
        """The next meeting of the plan, 7–30 days ahead: prepared, draft resolution uploaded,
        published, not started. That is next month's meeting once this month's has been held
        (this month's if it is still ahead, so the plan never skips a month)."""
        ctx, p = self.ctx, self.ctx.profile
        today = ctx.today
        m = self.regular(today.year, today.month)
        if m is None or timezone.localtime(m.scheduled_at).date() < today:
            m = self.regular(*month_add(today.year, today.month, 1))
        if m is None or m.status != MeetingStatus.PLANNED:
            return m
        gap = min(max((timezone.localtime(m.scheduled_at).date() - today).days, 7), 30)
        day = today + dt.timedelta(days=gap)
        chair, clerk = ctx.chair, ctx.members[p.clerks[0]]
        when = at(day, p.time)
        now = min(timezone.now(), at(today, dt.time(23, 0)))
        title = f"Sinh hoạt thường kỳ tháng {day:%m/%Y}"
        if day.month == 12:
            title += " — tổng kết năm, kiểm điểm, đánh giá xếp loại đảng viên"
        services.update_meeting(
            actor=ctx.actor,
            meeting=m,
            scheduled_at=when,
            title=title,
            preparer=chair,
            pre_meeting_at=now - dt.timedelta(days=1),
            pre_meeting_notes=(
                "Chi ủy họp, thống nhất dự thảo nghị quyết, báo cáo kết quả tháng trước và các nhiệm vụ còn "
                f"đang thực hiện; phân công đồng chí {clerk.full_name} làm thư ký."
            ),
            chair=chair,
            secretary=clerk,
        )
        for kind, doc_title in (
            (DocumentKind.DRAFT_RESOLUTION, f"Dự thảo nghị quyết tháng {day:%m/%Y}"),
            (
                DocumentKind.DRAFT_REPORT,
                "Dự thảo báo cáo kết quả tháng {1:02d}/{0}".format(*month_add(day.year, day.month, -1)),
            ),
        ):
            upload = SimpleUploadedFile(
                f"{slugify(ascii_fold(doc_title))}.pdf",
                pdf(ctx.cell.name, doc_title, f"Ngay sinh hoat: {day:%d/%m/%Y}"),
                content_type="application/pdf",
            )
            documents.add_document(actor=ctx.actor, meeting=m, kind=kind, title=doc_title, upload=upload)
        services.publish(actor=ctx.actor, meeting=m, now=now)
        ctx.created += 1
        return m


@contextmanager
def rulebook_text_parsed_once() -> Iterator[None]:
    """Parse each rulebook text once while seeding.

    services.rulebook_of() reads a started meeting's stored rulebook version and parses its YAML
    again on every call (about 30 ms; open_vote, close_vote, save_score and approve each call it),
    which alone would take about 9 s of the seed. Parsing is a pure function of the text, so the
    seed memoises it for its own duration; the services themselves are unchanged.
    """
    original = loader.parse
    parsed: dict[str, loader.Rulebook] = {}

    def parse(text: str) -> loader.Rulebook:
        if text not in parsed:
            parsed[text] = original(text)
        return parsed[text]

    loader.parse = parse  # type: ignore[assignment]
    try:
        yield
    finally:
        loader.parse = original  # type: ignore[assignment]


def build(
    *,
    cells: dict[str, Organisation],
    members: dict[str, dict[str, Member]],
    users: dict[str, Any],
    today: dt.date | None = None,
) -> int:
    """The demo history of the three cells; returns how many records were new."""
    today = today or timezone.localdate()
    created = 0
    held: list[int] = []
    with override_settings(MAILERS=QUIET_MAIL), rulebook_text_parsed_once():
        for profile in PROFILES:
            cell = cells[profile.code]
            groups = {g.code: g for g in cell.children.all()}
            ctx = Context(
                cell=cell,
                profile=profile,
                members=members[profile.code],
                groups=groups,
                actor=users.get(profile.account),
                officer=users.get(profile.officer),
                today=today,
            )
            history = History(ctx)
            held += [m.pk for m in history.build()]
            if profile is THON1:
                history.prepare_upcoming()
            created += ctx.created
    # Notices of meetings already held were read long ago (as the "mark all read" button does).
    Notification.objects.filter(meeting_id__in=held, read_at__isnull=True).update(read_at=timezone.now())
    return created
