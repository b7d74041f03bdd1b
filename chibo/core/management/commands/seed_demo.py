"""Demo data: a small province with three cells, one account per persona, and twelve
months of meeting history built through the meeting services (chibo.core.demo_history).

Idempotent: running it again changes nothing. Refuses to run with DEBUG off
unless --force (it creates accounts with a known password).
"""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Role
from chibo.annual import demo as annual_demo
from chibo.bulletin import demo as bulletin_demo
from chibo.core import demo_history
from chibo.members import services as member_services
from chibo.members.models import Gender, Member, MemberStatus, PartyPosition
from chibo.organisations import services as org_services
from chibo.organisations.models import Organisation, OrgKind
from chibo.oversight import demo as oversight_demo

DEMO_PASSWORD = "chibo-demo"

# (full name, gender, party position, group index or None, special)
THON1 = [
    ("Nguyễn Văn Hùng", "nam", PartyPosition.SECRETARY, 0, ""),
    ("Lê Thị Hồng", "nu", PartyPosition.DEPUTY, 1, ""),
    ("Phạm Văn Thắng", "nam", PartyPosition.COMMITTEE, 0, ""),
    ("Trần Thị Lan", "nu", "", 0, ""),
    ("Hoàng Văn Long", "nam", PartyPosition.GROUP_LEADER, 0, ""),
    ("Vũ Thị Thu", "nu", "", 0, "birthday"),
    ("Đặng Văn Tuấn", "nam", "", 0, ""),
    ("Bùi Thị Hạnh", "nu", "", 0, "probationary"),
    ("Đỗ Văn Khoa", "nam", PartyPosition.GROUP_LEADER, 1, ""),
    ("Ngô Thị Nga", "nu", "", 1, ""),
    ("Dương Văn Phúc", "nam", "", 1, "exempt"),
    ("Lý Thị Hoà", "nu", "", 1, "birthday"),
    ("Trịnh Văn Sơn", "nam", "", 1, ""),
    ("Mai Thị Xuân", "nu", "", 1, ""),
    ("Nguyễn Thị Ánh", "nu", "", 0, ""),
]
THON2 = [
    ("Trần Văn Quang", "nam", PartyPosition.SECRETARY, None, ""),
    ("Nguyễn Thị Minh", "nu", PartyPosition.DEPUTY, None, ""),
    ("Lê Văn Tâm", "nam", PartyPosition.COMMITTEE, None, ""),
    ("Phạm Thị Huyền", "nu", "", None, "birthday"),
    ("Hoàng Văn Dũng", "nam", "", None, ""),
    ("Vũ Văn Hải", "nam", "", None, ""),
    ("Đinh Thị Yến", "nu", "", None, ""),
    ("Cao Văn Toàn", "nam", "", None, ""),
    ("Lương Thị Thảo", "nu", "", None, ""),
]
TRUONG_TH = [
    ("Phan Thị Ngọc", "nu", PartyPosition.SECRETARY, None, ""),
    ("Võ Văn Chiến", "nam", PartyPosition.DEPUTY, None, ""),
    ("Hà Thị Loan", "nu", "", None, ""),
    ("Tạ Văn Việt", "nam", "", None, ""),
    ("Kiều Thị Oanh", "nu", "", None, ""),
    ("Triệu Văn Lâm", "nam", "", None, ""),
    ("Lò Thị Mỷ", "nu", "", None, "thai"),
]

GOV_POSITIONS = {
    "Nguyễn Văn Hùng": "Trưởng thôn",
    "Lê Thị Hồng": "Chi hội trưởng Phụ nữ",
    "Trần Văn Quang": "Trưởng thôn",
    "Phan Thị Ngọc": "Hiệu trưởng",
    "Võ Văn Chiến": "Phó Hiệu trưởng",
}


class Command(BaseCommand):
    help = "Tạo dữ liệu trình diễn (idempotent)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--force", action="store_true", help="Chạy cả khi DEBUG tắt.")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo tạo tài khoản với mật khẩu đã biết; chỉ chạy khi DEBUG bật, "
                "hoặc thêm --force nếu thật sự muốn."
            )
        with transaction.atomic():
            created = self.seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Dữ liệu trình diễn sẵn sàng ({created} bản ghi mới). "
                f"Mật khẩu mọi tài khoản: {DEMO_PASSWORD}"
            )
        )

    # ------------------------------------------------------------------
    def org(self, code: str, name: str, kind: str, parent: Organisation | None, **extra) -> Organisation:  # type: ignore[no-untyped-def]
        existing = Organisation.objects.filter(code=code).first()
        if existing:
            return existing
        self.created += 1
        org = org_services.create_organisation(
            actor=None, name=name, kind=kind, parent=parent, code=code, **extra
        )
        org_services.add_term(
            actor=None,
            org=org,
            name="2025–2030",
            start=dt.date(2025, 7, 1),
            end=dt.date(2030, 6, 30),
        )
        return org

    def members(self, cell: Organisation, rows, groups, card_prefix: str) -> dict[str, Member]:  # type: ignore[no-untyped-def]
        out: dict[str, Member] = {}
        today = timezone.localdate()
        for index, (name, gender, position, group_index, special) in enumerate(rows, start=1):
            card = f"{card_prefix}{index:04d}"
            existing = Member.objects.filter(card_number=card).first()
            if existing:
                out[name] = existing
                continue
            rng = random.Random(card)
            birth_year = 1940 if special == "exempt" else rng.randint(1958, 1996)
            birth_month = today.month if special == "birthday" else rng.randint(1, 12)
            birth = dt.date(birth_year, birth_month, rng.randint(1, 28))
            # Admitted at least three years ago, so every full member is full through the history.
            admission = dt.date(
                min(birth_year + rng.randint(20, 30), today.year - 3), rng.randint(1, 12), rng.randint(1, 28)
            )
            status = MemberStatus.FULL
            official: dt.date | None = admission + dt.timedelta(days=365)
            if special == "probationary":
                admission = today - dt.timedelta(days=150)
                status, official = MemberStatus.PROBATIONARY, None
            fields = dict(
                full_name=name,
                gender=Gender(gender),
                birth_date=birth,
                admission_date=admission,
                official_date=official,
                status=status,
                card_number=card,
                ethnicity="Thái" if special == "thai" else "Kinh",
                hometown=f"{cell.parent.name.replace('Đảng ủy ', '').capitalize()}, tỉnh Demo"
                if cell.parent
                else "",
                residence=cell.address,
                phone=f"09{rng.randint(10000000, 99999999)}",
                party_position=position,
                government_position=GOV_POSITIONS.get(name, ""),
                exempt_from=dt.date(today.year - 2, 1, 1) if special == "exempt" else None,
            )
            member = member_services.create_member(
                actor=None,
                organisation=cell,
                party_group=groups[group_index] if group_index is not None else None,
                cccd=f"0{rng.randint(10, 99)}{birth_year % 100:02d}{rng.randint(10000000, 99999999)}"[:12],
                # The roster of a past meeting is read from the membership history.
                joined_on=max(dt.date(2020, 1, 1), admission),
                **fields,
            )
            self.created += 1
            out[name] = member
        return out

    def account(
        self,
        username: str,
        role: str | None,
        org: Organisation | None,
        *,
        member=None,
        superuser=False,
        title="",
    ):  # type: ignore[no-untyped-def]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                member=member,
                is_superuser=superuser,
                is_staff=superuser,
                two_factor_exempt=True,
                officer_title=title,
                display_name=member.full_name if member else title,
            )
            # One hash for every demo account: the password is public anyway, and hashing it six
            # times (PBKDF2) would take seconds.
            if self.password_hash is None:
                self.password_hash = make_password(DEMO_PASSWORD)
            user.password = self.password_hash
            user.email = f"{username}@demo.chibo.local"
            user.save()
            self.created += 1
        if (
            role
            and org
            and not RoleAssignment.objects.filter(user=user, organisation=org, role=role).exists()
        ):
            RoleAssignment.objects.create(user=user, organisation=org, role=role)
            self.created += 1
        return user

    def seed(self) -> int:
        self.created = 0
        self.password_hash: str | None = None
        province = self.org("DEMO", "Đảng bộ tỉnh Demo", OrgKind.PROVINCE, None)
        an_binh = self.org("DEMO-AB", "Đảng ủy xã An Bình", OrgKind.COMMUNE, province)
        hoa_lac = self.org("DEMO-HL", "Đảng ủy xã Hòa Lạc", OrgKind.COMMUNE, province)
        thon1 = self.org(
            "DEMO-AB-T1", "Chi bộ thôn 1", OrgKind.CELL, an_binh, address="Nhà văn hóa thôn 1, xã An Bình"
        )
        thon2 = self.org(
            "DEMO-AB-T2", "Chi bộ thôn 2", OrgKind.CELL, an_binh, address="Nhà văn hóa thôn 2, xã An Bình"
        )
        truong = self.org(
            "DEMO-HL-TH",
            "Chi bộ Trường Tiểu học",
            OrgKind.CELL,
            hoa_lac,
            address="Phòng họp Trường Tiểu học Hòa Lạc",
        )
        groups = [
            self.org("DEMO-AB-T1-G1", "Tổ đảng số 1", OrgKind.GROUP, thon1),
            self.org("DEMO-AB-T1-G2", "Tổ đảng số 2", OrgKind.GROUP, thon1),
        ]
        m1 = self.members(thon1, THON1, groups, "AB1")
        m2 = self.members(thon2, THON2, [], "AB2")
        m3 = self.members(truong, TRUONG_TH, [], "HL1")

        users = {
            "admin": self.account("admin", Role.ADMIN, province, superuser=True, title="Quản trị hệ thống"),
            "bithu.thon1": self.account("bithu.thon1", Role.SECRETARY, thon1, member=m1["Nguyễn Văn Hùng"]),
            "dangvien.thon1": self.account("dangvien.thon1", Role.MEMBER, thon1, member=m1["Trần Thị Lan"]),
            "bithu.thon2": self.account("bithu.thon2", Role.SECRETARY, thon2, member=m2["Trần Văn Quang"]),
            "danguy.anbinh": self.account(
                "danguy.anbinh", Role.OFFICER, an_binh, title="Ủy viên Ban Thường vụ Đảng ủy xã An Bình"
            ),
            "danguy.hoalac": self.account(
                "danguy.hoalac", Role.OFFICER, hoa_lac, title="Ủy viên Ban Thường vụ Đảng ủy xã Hòa Lạc"
            ),
        }
        self.created += demo_history.build(
            cells={c.code: c for c in (thon1, thon2, truong)},
            members={thon1.code: m1, thon2.code: m2, truong.code: m3},
            users=users,
        )
        self.created += annual_demo.build(cells={c.code: c for c in (thon1, thon2, truong)}, members={thon1.code: m1, thon2.code: m2, truong.code: m3}, users=users)  # noqa: E501
        self.created += oversight_demo.build(
            commune=an_binh, thon1=thon1, thon2=thon2, officer=users["danguy.anbinh"]
        )
        self.created += bulletin_demo.build(
            commune=an_binh, thon1=thon1, officer=users["danguy.anbinh"], secretary=users["bithu.thon1"]
        )
        return self.created
