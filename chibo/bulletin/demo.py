"""Demo news for the bulletin and the newsreader, called from seed_demo after the oversight demo.

Đảng ủy xã An Bình (officer danguy.anbinh) pushes three items down to its cells; Chi bộ thôn 1's
secretary types two local items; the next meeting of thôn 1 gets a bulletin with all five, so the
current-affairs step, the bulletin documents and the newsreader have something to read. No feed
source is created: the demo must work without internet (a real cell adds its newspapers' RSS).

Idempotent: items are looked up by title before they are created.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chibo.bulletin import services
from chibo.bulletin.models import Category, Entry, NewsItem
from chibo.meetings.models import Meeting, MeetingStatus
from chibo.organisations.models import Organisation

PUSHED = [
    (
        Category.PROVINCE,
        "Hội nghị Ban Chấp hành Đảng bộ tỉnh Demo lần thứ 12",
        "Hội nghị đánh giá kết quả thực hiện nghị quyết năm, thống nhất các chỉ tiêu phát triển kinh "
        "tế - xã hội năm tới: tốc độ tăng trưởng kinh tế từ 7,5% trở lên, tỷ lệ hộ nghèo giảm 1,5%, "
        "100% xã đạt chuẩn nông thôn mới. Hội nghị yêu cầu các cấp ủy chuẩn bị tốt đại hội chi bộ "
        "nhiệm kỳ mới và nâng cao chất lượng sinh hoạt chi bộ.",
    ),
    (
        Category.NATIONAL,
        "Cả nước hưởng ứng Ngày Pháp luật Việt Nam 9/11",
        "Các cơ quan, đơn vị và địa phương tổ chức nhiều hoạt động tuyên truyền, phổ biến pháp luật "
        "nhân Ngày Pháp luật Việt Nam, tập trung vào các luật mới có hiệu lực, gắn với việc xây dựng "
        "ý thức tôn trọng và chấp hành pháp luật trong cán bộ, đảng viên và nhân dân.",
    ),
    (
        Category.SECTOR,
        "Đảng ủy xã An Bình phát động thi đua cao điểm cuối năm",
        "Đảng ủy xã đề nghị các chi bộ rà soát chỉ tiêu năm, tập trung thu ngân sách, hoàn thành "
        "các công trình giao thông nông thôn trước ngày 31/12 và chăm lo Tết cho các gia đình chính "
        "sách, hộ nghèo.",
    ),
]
LOCAL = [
    (
        Category.SECTOR,
        "Thôn 1 hoàn thành 450 m đường bê tông xóm Đông",
        "Tuyến đường do nhân dân đóng góp 320 ngày công và 45 triệu đồng, Nhà nước hỗ trợ xi măng. "
        "Chi bộ đề nghị tổ bảo vệ đường duy trì vệ sinh và cấm xe quá tải.",
    ),
    (
        Category.SECTOR,
        "Tổ công nghệ số cộng đồng hướng dẫn 120 người dân cài đặt VNeID",
        "Trong tháng, tổ công nghệ số cộng đồng của thôn đã hướng dẫn 120 người dân cài đặt và kích "
        "hoạt tài khoản định danh điện tử mức 2; còn 35 người cao tuổi cần hỗ trợ tận nhà.",
    ),
]


def _item(actor: Any, org: Organisation, category: str, title: str, text: str, push: bool) -> tuple[NewsItem, int]:
    existing = NewsItem.objects.filter(organisation=org, title=title).first()
    if existing is not None:
        return existing, 0
    return services.add_item(actor=actor, organisation=org, category=category, title=title, text=text, push=push), 1


def build(*, commune: Organisation, thon1: Organisation, officer: Any, secretary: Any) -> int:
    created = 0
    items: list[NewsItem] = []
    for category, title, text in PUSHED:
        item, n = _item(officer, commune, category, title, text, True)
        items.append(item)
        created += n
    for category, title, text in LOCAL:
        item, n = _item(secretary, thon1, category, title, text, False)
        items.append(item)
        created += n
    meeting = (
        Meeting.objects.filter(organisation=thon1, scheduled_at__gte=timezone.now())
        .exclude(status=MeetingStatus.APPROVED)
        .order_by("scheduled_at")
        .first()
    )
    if meeting is not None and not Entry.objects.filter(bulletin__meeting=meeting).exists():
        for item in items:
            services.add_entry(actor=secretary, meeting=meeting, item=item)
            created += 1
    return created
