"""A synthetic province for scale work: tree, members, and years of approved meetings.

Fast (bulk inserts, one commune per transaction) and reproducible: the same seed, sizes and
`until` month give the same rows. Meetings are generated already approved, and their `fig_*`
columns and snapshot are computed by the rules engine from the same facts approval would build
(`chibo.rules.engine`: attendance, breaches, auto scores, grade), so dashboards read realistic
figures. A test checks that `meetings.selectors.judge()` on generated meetings agrees.

What a province looks like (per seed):
  Đảng bộ tỉnh …
  └── ~1 Đảng bộ xã/phường per 25 cells
      └── chi bộ thôn / khu phố / trường / trạm y tế (5–40 members; tổ đảng from 20 members)
Members: about 7% probationary (become full after 12 months), 4% exempt (old age), 3% away
temporarily, 1% leave, 2% move between cells of a commune (membership history kept).
Meetings: one regular meeting a month, a thematic meeting every quarter (10% of cells hold a
combined meeting instead), with roll call, agenda step times, speeches, tasks assigned and
reviewed at the next meeting, a vote by count, a documents row published before the meeting,
the cell's scorecard, and approval.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Role
from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.core import vntext
from chibo.meetings.models import (
    AgendaItem,
    AnnualPlan,
    Attendance,
    AttendanceStatus,
    DocumentKind,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
    ScoreColumn,
    ScoreSheet,
    Speech,
    Task,
    TaskReport,
    TaskStatus,
    ThematicTopic,
    Vote,
    VoteMethod,
)
from chibo.members.models import Gender, Member, Membership, MemberStatus, PartyPosition, TempDirection
from chibo.ops.rawrows import RowWriter, build
from chibo.organisations.models import Organisation, OrgKind, org_sort_key
from chibo.rules import engine, loader
from chibo.rules.models import remember

CELLS_PER_COMMUNE = 25
FAMILY = [
    ("Nguyễn", 31), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
    ("Vũ", 4), ("Võ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 2), ("Dương", 1),
    ("Lý", 1), ("Đinh", 1), ("Trịnh", 1), ("Mai", 1), ("Cao", 1), ("Lương", 1), ("Tạ", 1), ("Hà", 1),
]
MIDDLE = {
    Gender.MALE: ["Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Công", "Thành", "Xuân", "Ngọc"],
    Gender.FEMALE: ["Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Kim", "Bích"],
}
GIVEN = {
    Gender.MALE: ["Hùng", "Dũng", "Tuấn", "Thắng", "Long", "Sơn", "Hải", "Quang", "Khoa", "Phúc", "Tâm",
                  "Toàn", "Việt", "Lâm", "Chiến", "Đông", "Bình", "Cường", "Đạt", "Hiếu", "Huy", "Khánh",
                  "Lộc", "Nam", "Nghĩa", "Phong", "Quân", "Thái", "Thịnh", "Trung", "Vinh", "Ân"],
    Gender.FEMALE: ["Lan", "Hồng", "Thu", "Hạnh", "Nga", "Hoà", "Xuân", "Ánh", "Minh", "Huyền", "Yến",
                    "Thảo", "Ngọc", "Loan", "Oanh", "Mỷ", "Hương", "Liên", "Mai", "Nhung", "Phương",
                    "Quỳnh", "Trang", "Tuyết", "Uyên", "Vân", "Diệp", "Giang", "Hà", "Ly"],
}
PLACES = ["An Bình", "Hòa Lạc", "Tân Phú", "Phú Mỹ", "Đông Hưng", "Quảng Trị", "Thạch Hà", "Yên Thế",
          "Kim Sơn", "Hải Hậu", "Xuân Trường", "Đức Thọ", "Nghĩa Đàn", "Lộc Hà", "Bình Lục", "Ý Yên",
          "Thanh Oai", "Ứng Hòa", "Mỹ Đức", "Phúc Thọ", "Cẩm Xuyên", "Kỳ Anh", "Hương Sơn", "Vũ Quang"]
CELL_NAMES = ["Chi bộ thôn {n}", "Chi bộ thôn {n}", "Chi bộ thôn {n}", "Chi bộ khu phố {n}",
              "Chi bộ Trường Tiểu học {p}", "Chi bộ Trường THCS {p}", "Chi bộ Trạm Y tế {p}",
              "Chi bộ Công an {p}", "Chi bộ Quân sự {p}", "Chi bộ Hợp tác xã {p}"]
TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh về ý thức tổ chức kỷ luật",
    "Phát huy vai trò tiên phong, gương mẫu của đảng viên trong xây dựng nông thôn mới",
    "Chuyển đổi số ở cơ sở: đảng viên đi đầu hướng dẫn người dân dùng dịch vụ công trực tuyến",
    "Nâng cao chất lượng sinh hoạt chi bộ theo tinh thần Hướng dẫn 42-HD/BTCTW",
    "Bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác quan điểm sai trái trên không gian mạng",
    "Đảng viên gương mẫu thực hiện phân loại rác thải tại nguồn",
]
SPEECHES = [
    "Tuyến đường bê tông của xóm đã thi công được {p}%; còn {n} hộ chưa thống nhất phương án hiến đất. "
    "Đề nghị đảng viên trong xóm trực tiếp vận động từng hộ.",
    "Trong tháng có {n} vụ trộm cắp vặt; đề nghị tổ an ninh cơ sở tăng cường tuần tra ban đêm.",
    "Thu đảng phí đạt {p}%; đề nghị các đồng chí đi làm xa nhờ người nộp thay hoặc chuyển khoản.",
    "Chi đoàn đang bồi dưỡng {n} đoàn viên ưu tú; đề nghị chi bộ phân công đảng viên giúp đỡ.",
    "Đề nghị rà soát các hộ ở vùng trũng, chuẩn bị phương án phòng chống lụt bão theo cụm dân cư.",
    "Tổ công nghệ số cộng đồng đã hướng dẫn thêm {n} người dân cài đặt VNeID.",
    "Tỷ lệ tham gia bảo hiểm y tế đạt {p}%; đề nghị vận động các hộ cận nghèo tham gia theo hộ gia đình.",
    "Đề nghị tổng vệ sinh đường làng vào chủ nhật cuối tháng, khơi thông cống rãnh.",
    "Nhất trí với dự thảo nghị quyết; đề nghị bổ sung chỉ tiêu cụ thể về phát triển đảng viên.",
    "Đề nghị biểu dương {n} hộ đảng viên tiêu biểu trong phong trào hiến đất làm đường.",
]
TASKS = [
    "Vận động các hộ còn lại hiến đất mở rộng đường xóm",
    "Tổ chức tổng vệ sinh đường làng",
    "Hướng dẫn người cao tuổi cài đặt Sổ tay đảng viên điện tử",
    "Rà soát hộ cận nghèo chưa tham gia bảo hiểm y tế",
    "Kiểm tra phương án phòng chống lụt bão của các cụm dân cư",
    "Thu đảng phí của các đồng chí đi làm xa",
    "Giới thiệu đoàn viên ưu tú đi học lớp nhận thức về Đảng",
]
MANUAL_POINTS = {"order_content": (7, 10), "criticism": (6, 10), "depth": (6, 10)}


@dataclass
class Stats:
    communes: int = 0
    cells: int = 0
    groups: int = 0
    members: int = 0
    memberships: int = 0
    meetings: int = 0
    attendance: int = 0
    items: int = 0
    speeches: int = 0
    votes: int = 0
    tasks: int = 0
    task_reports: int = 0
    scores: int = 0
    documents: int = 0
    users: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> int:
        return sum(v for k, v in vars(self).items() if isinstance(v, int))


@dataclass
class PMember:
    """A member as the generator tracks it while the months go by."""

    obj: Member
    cell_index: int
    start: dt.date  # membership in the current cell since
    previous: tuple[int, dt.date, dt.date] | None = None  # (cell index, start, end) before a move
    full_from: dt.date | None = None
    reliability: float = 0.9

    def in_cell(self, cell_index: int, day: dt.date) -> bool:
        m = self.obj
        if m.left_at is not None and m.left_at <= day:
            return False
        if self.cell_index == cell_index and self.start <= day:
            return True
        if self.previous and self.previous[0] == cell_index:
            return self.previous[1] <= day <= self.previous[2]
        return False


def month_range(until: dt.date, years: int) -> list[tuple[int, int]]:
    out = []
    y, m = until.year, until.month
    for _ in range(years * 12):
        out.append((y, m))
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def default_until() -> dt.date:
    first = timezone.localdate().replace(day=1)
    return first - dt.timedelta(days=1)


def pick_weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _org(name: str, kind: str, parent: Organisation | None, code: str) -> Organisation:
    name = vntext.clean(name)
    return Organisation(
        name=name, kind=kind, parent=parent, code=code, sort_key=org_sort_key(name),
        search_ascii=vntext.strip_diacritics(name)[:255], search_folded=vntext.fold(name)[:255],
    )


def _insert_orgs(writer: RowWriter, orgs: list[Organisation]) -> None:
    """Insert ORGS with their materialised paths (keys are reserved first, so one insert)."""
    first = writer.reserve(Organisation, len(orgs))
    for i, o in enumerate(orgs):
        o.pk = first + i
        parent_path = o.parent.path if o.parent is not None else "/"
        o.path = f"{parent_path}{o.pk}/"
        o.depth = o.path.count("/") - 2
    writer.insert(Organisation, orgs, given_pk=True)


@contextlib.contextmanager
def _fast_writes() -> Iterator[None]:
    """SQLite file, outside any transaction: no journal and no fsync while generating, then as before.

    A crash part-way leaves a database to throw away, which is what a half-generated province is
    anyway. In-memory databases (tests) and callers inside a transaction are left alone.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block or connection.is_in_memory_db():
        yield
        return
    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode")
        journal = c.fetchone()[0]
        c.execute("PRAGMA synchronous")
        sync = c.fetchone()[0]
        c.execute("PRAGMA synchronous = OFF")
        c.execute("PRAGMA journal_mode = OFF")
    try:
        yield
    finally:
        with connection.cursor() as c:
            c.execute(f"PRAGMA journal_mode = {journal}")
            c.execute(f"PRAGMA synchronous = {int(sync)}")


class ProvinceGenerator:
    def __init__(
        self, *, cells: int, years: int, seed: int, until: dt.date | None = None,
        accounts: bool = False, password: str = "", log: Callable[[str], None] | None = None,
        batch_cells: int = CELLS_PER_COMMUNE, history: bool = True, cell_size: int | None = None,
    ) -> None:
        if cells < 1 or years < 1:
            raise ValueError("Số chi bộ và số năm phải từ 1 trở lên.")
        if cell_size is not None and not 5 <= cell_size <= 40:
            raise ValueError("Số đảng viên trung bình mỗi chi bộ phải từ 5 đến 40.")
        self.cells, self.years, self.seed = cells, years, seed
        self.until = until or default_until()
        self.months = month_range(self.until, years)
        self.accounts, self.password = accounts, password
        self.log = log or (lambda s: None)
        self.batch_cells = batch_cells
        self.history = history
        self.cell_size = cell_size
        self.code = f"gp{seed}"
        self.stats = Stats()
        self.book = loader.get(None)
        self.card_seq = 0
        self._all_tasks: list[dict[str, Any]] = []

    # -- entry point -------------------------------------------------------------------
    def run(self) -> Stats:
        if Organisation.objects.filter(code=self.code).exists():
            raise ValueError(
                f"Đã có tỉnh sinh ngẫu nhiên với hạt giống {self.seed} (mã {self.code}); "
                "dùng hạt giống khác hoặc cơ sở dữ liệu trống."
            )
        began = time.perf_counter()
        self.writer = RowWriter()
        with _fast_writes():
            self._run(began)
        self._analyze()
        self.stats.seconds = time.perf_counter() - began
        return self.stats

    def _run(self, began: float) -> None:
        remember(self.book)
        self.password_hash = make_password(self.password) if self.accounts else ""
        self.doc_files = self._document_files()
        rng = random.Random(f"{self.seed}:province")
        with transaction.atomic():
            place = rng.choice(PLACES)
            self.province = _org(f"Đảng bộ tỉnh {place} (mô phỏng {self.seed})", OrgKind.PROVINCE, None, self.code)
            self.province.save()
            self.province.refresh_from_db()
            self._admin()
        communes = math.ceil(self.cells / CELLS_PER_COMMUNE)
        for c in range(communes):
            n = min(CELLS_PER_COMMUNE, self.cells - c * CELLS_PER_COMMUNE)
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cur:  # generated rows: no need to wait for the WAL flush
                        cur.execute("SET LOCAL synchronous_commit = off")
                self._commune(c, n)
            if (c + 1) % 4 == 0 or c + 1 == communes:
                self.log(f"  {self.stats.cells}/{self.cells} chi bộ, {self.stats.meetings} buổi sinh hoạt, "
                         f"{time.perf_counter() - began:.1f} s")
        from chibo.oversight.summaries import rebuild  # the dashboards' pre-aggregated figures

        cell_months, _ = rebuild(self.province.path)
        self.log(f"  {cell_months} dòng tổng hợp chi bộ × tháng, {time.perf_counter() - began:.1f} s")
        with transaction.atomic():
            record(
                actor=None, action=AuditAction.IMPORT, obj=self.province, org_path=self.province.path,
                changes={"gen_province": ["", f"seed={self.seed} cells={self.cells} years={self.years} "
                                              f"until={self.until.isoformat()}"]},
            )

    def _analyze(self) -> None:
        """Fresh planner statistics: millions of new rows would otherwise be planned as a few (a bulk
        load does not wait for autovacuum, and SQLite has no statistics until ANALYZE)."""
        if connection.in_atomic_block:
            return
        tables = [m._meta.db_table for m in (Organisation, Member, Membership, AnnualPlan, ThematicTopic, Meeting,
                                             AgendaItem, Attendance, Vote, ScoreSheet, MeetingDocument, Task,
                                             Speech, TaskReport)]
        with connection.cursor() as c:
            for table in tables:
                c.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    def _document_files(self) -> dict[str, str]:
        """Two small PDFs every generated meeting's document row points to (stored once)."""
        out = {}
        for kind, title in ((DocumentKind.DRAFT_RESOLUTION, "Du thao nghi quyet"),
                            (DocumentKind.THEMATIC_DRAFT, "Du thao chuyen de")):
            body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                    b"endobj\ntrailer<</Root 1 0 R>>\n%" + title.encode() + b"\n%%EOF\n")
            name = f"province/{self.code}/{kind}.pdf"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(body))
            out[kind] = name
        return out

    def _admin(self) -> None:
        if not self.accounts:
            return
        user = User.objects.create(
            username=f"{self.code}-admin", password=self.password_hash, display_name="Quản trị tỉnh (mô phỏng)",
            two_factor_exempt=True,
        )
        RoleAssignment.objects.create(user=user, organisation=self.province, role=Role.ADMIN)
        self.stats.users += 1

    # -- one commune: its cells, members and every meeting --------------------------------
    def _commune(self, index: int, n_cells: int) -> None:
        rng = random.Random(f"{self.seed}:commune:{index}")
        place = PLACES[index % len(PLACES)] + (f" {index // len(PLACES) + 1}" if index >= len(PLACES) else "")
        commune = _org(f"Đảng bộ xã {place}", OrgKind.COMMUNE, self.province, f"{self.code}-x{index:04d}")
        commune.save()  # computes its path
        commune.refresh_from_db()
        self.stats.communes += 1
        cells = []
        counters: dict[str, int] = {}
        for k in range(n_cells):
            template = rng.choice(CELL_NAMES) if k >= 3 else "Chi bộ thôn {n}"
            if "{n}" in template:
                counters[template] = counters.get(template, 0) + 1
                name = template.format(n=counters[template])
            else:
                name = template.format(p=place)
                if name in {c.name for c in cells}:
                    name = f"{name} số {k}"
            cell = _org(name, OrgKind.CELL, commune, f"{self.code}-x{index:04d}-c{k:02d}")
            cell.address = f"Nhà văn hóa {name.removeprefix('Chi bộ ')}"
            cells.append(cell)
        _insert_orgs(self.writer, cells)
        self.stats.cells += len(cells)

        if self.cell_size is None:  # 5–40, mostly small: about 19 on average
            sizes = [max(5, min(40, int(rng.triangular(5, 40, 13)))) for _ in cells]
        else:  # the load test's evening: about CELL_SIZE members in every cell
            sizes = [max(5, min(40, self.cell_size + rng.randint(-3, 3))) for _ in cells]
        groups: dict[int, list[Organisation]] = {}
        group_rows = []
        for ci, cell in enumerate(cells):
            if sizes[ci] >= 20:
                groups[ci] = [
                    _org(f"Tổ đảng số {g} — {cell.name}", OrgKind.GROUP, cell, f"{cell.code}-t{g}") for g in (1, 2)
                ]
                group_rows.extend(groups[ci])
        if group_rows:
            _insert_orgs(self.writer, group_rows)
            self.stats.groups += len(group_rows)

        first_day = dt.date(self.months[0][0], self.months[0][1], 1)
        last_day = self.until
        span = (last_day - first_day).days
        people: list[PMember] = []
        for ci, cell in enumerate(cells):
            for k in range(sizes[ci]):
                people.append(self._member(rng, ci, cell, k, groups.get(ci), first_day, span))
        # Moves: 2% change cell within the commune part-way through the period.
        if len(cells) > 1:
            for p in people:
                if rng.random() < 0.02 and p.obj.party_position == "":
                    target = rng.randrange(len(cells) - 1)
                    target = target + 1 if target >= p.cell_index else target
                    move_day = first_day + dt.timedelta(days=rng.randrange(30, max(31, span - 30)))
                    p.previous = (p.cell_index, p.start, move_day - dt.timedelta(days=1))
                    p.cell_index, p.start = target, move_day
                    p.obj.organisation = cells[target]
                    p.obj.party_group = None
        self.writer.insert(Member, [p.obj for p in people], pk=True)
        memberships = []
        for p in people:
            if p.previous:
                memberships.append(Membership(member=p.obj, organisation=cells[p.previous[0]], start=p.previous[1],
                                              end=p.previous[2], note="Chuyển sinh hoạt trong xã (mô phỏng)"))
            end = p.obj.left_at - dt.timedelta(days=1) if p.obj.left_at else None
            memberships.append(Membership(member=p.obj, organisation=cells[p.cell_index],
                                          party_group=p.obj.party_group, start=p.start, end=end))
        self.writer.insert(Membership, memberships)
        self.stats.members += len(people)
        self.stats.memberships += len(memberships)

        if self.accounts:
            self._accounts(commune, cells, people)
        for ci, cell in enumerate(cells if self.history else []):
            self._meetings(ci, cell, [p for p in people if p.cell_index == ci or (p.previous and p.previous[0] == ci)])

    def _member(self, rng: random.Random, ci: int, cell: Organisation, k: int,
                groups: list[Organisation] | None, first_day: dt.date, span: int) -> PMember:
        gender = Gender.MALE if rng.random() < 0.62 else Gender.FEMALE
        name = f"{pick_weighted(rng, FAMILY)} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"
        age = int(rng.triangular(22, 85, 55))
        birth = dt.date(self.until.year - age, rng.randint(1, 12), rng.randint(1, 28))
        self.card_seq += 1
        probationary = k > 1 and rng.random() < 0.07
        if probationary:
            admission = first_day + dt.timedelta(days=rng.randrange(0, max(1, span)))
            start = admission
        else:
            admission = dt.date(max(birth.year + 18, self.until.year - rng.randint(2, 50)), rng.randint(1, 12), 1)
            start = min(admission, first_day - dt.timedelta(days=rng.randint(1, 3000)))
            start = max(start, admission)
        official = admission + dt.timedelta(days=365)
        full_now = official <= self.until
        position = ""
        if k == 0:
            position = PartyPosition.SECRETARY
        elif k == 1:
            position = PartyPosition.DEPUTY
        elif k == 2 and groups is not None:
            position = PartyPosition.COMMITTEE
        m = Member(
            full_name=name, gender=gender, birth_date=birth, admission_date=admission,
            official_date=official if full_now else None,
            status=MemberStatus.FULL if full_now else MemberStatus.PROBATIONARY,
            card_number=f"{self.code}-{self.card_seq:09d}"[:20], organisation=cell,
            party_group=groups[k % 2] if groups else None, party_position=position,
            ethnicity="Kinh", residence=cell.address.removeprefix("Nhà văn hóa "),
            phone=f"09{rng.randint(10_000_000, 99_999_999)}",
        )
        if k > 2 and age >= 75 and rng.random() < 0.5:
            m.exempt_from = first_day + dt.timedelta(days=rng.randrange(-400, max(1, span)))
        elif k > 2 and rng.random() < 0.03:
            m.temp_direction = TempDirection.OUTGOING
            m.temp_other_cell = "Chi bộ nơi làm việc tạm thời"
            m.temp_from = first_day + dt.timedelta(days=rng.randrange(0, max(1, span)))
            m.temp_to = m.temp_from + dt.timedelta(days=rng.randint(60, 240))
        if k > 2 and rng.random() < 0.01:
            m.left_at = first_day + dt.timedelta(days=rng.randrange(30, max(31, span)))
        m.refresh_derived()
        return PMember(obj=m, cell_index=ci, start=start, full_from=official,
                       reliability=min(0.995, max(0.6, rng.gauss(0.93, 0.05))))

    def _accounts(self, commune: Organisation, cells: list[Organisation], people: list[PMember]) -> None:
        users, roles = [], []
        officer = User(username=commune.code, password=self.password_hash, display_name=f"Cán bộ {commune.name}",
                       officer_title=f"Ủy viên {commune.name}", two_factor_exempt=True)
        users.append(officer)
        roles.append((officer, commune, Role.OFFICER))
        for ci, cell in enumerate(cells):
            sec = next((p.obj for p in people if p.cell_index == ci and p.obj.party_position == PartyPosition.SECRETARY), None)
            user = User(username=cell.code, password=self.password_hash, member=sec,
                        display_name=sec.full_name if sec else "", two_factor_exempt=True)
            users.append(user)
            roles.append((user, cell, Role.SECRETARY))
        User.objects.bulk_create(users)
        RoleAssignment.objects.bulk_create([RoleAssignment(user=u, organisation=o, role=r) for u, o, r in roles])
        self.stats.users += len(users)

    # -- the meetings of one cell, in date order --------------------------------------------
    def _meetings(self, ci: int, cell: Organisation, people: list[PMember]) -> None:
        rng = random.Random(f"{self.seed}:cell:{cell.code}")
        book = self.book
        regular_day = rng.randint(3, 12)
        combined_cell = rng.random() < 0.10
        culture = rng.uniform(-0.06, 0.04)  # some cells turn out better than others
        plans: dict[int, AnnualPlan] = {}
        topics: dict[tuple[int, int], ThematicTopic] = {}
        years = sorted({y for y, _ in self.months})
        plan_rows = [AnnualPlan(organisation=cell, year=y) for y in years]
        self.writer.insert(AnnualPlan, plan_rows, pk=True)
        plans = {p.year: p for p in plan_rows}
        topic_rows = []
        for (y, mo) in self.months:
            q = (mo - 1) // 3 + 1
            if (y, q) not in topics:
                topic = ThematicTopic(plan=plans[y], quarter=q, title=rng.choice(TOPICS))
                topics[(y, q)] = topic
                topic_rows.append(topic)
        schedule: list[tuple[str, dt.datetime, ThematicTopic | None]] = []
        for (y, mo) in self.months:
            q = (mo - 1) // 3 + 1
            thematic_month = mo % 3 == 2
            day = dt.date(y, mo, regular_day)
            if thematic_month and combined_cell:
                schedule.append((MeetingKind.COMBINED, local(day, 19, 30), topics[(y, q)]))
                continue
            schedule.append((MeetingKind.REGULAR, local(day, 19, 30), None))
            if thematic_month:
                schedule.append((MeetingKind.THEMATIC, local(day + dt.timedelta(days=12), 19, 30), topics[(y, q)]))

        # Topic presenters: a full member present in the cell on that day (chosen now, stored once).
        for (_kind, when, topic) in schedule:
            if topic is not None and topic.presenter is None:
                day = when.date()
                roster = [p for p in people if p.in_cell(ci, day) and p.obj.party_position == ""]
                if roster:
                    topic.presenter = rng.choice(roster).obj
                topic.draft_due = day - dt.timedelta(days=7)
                topic.outline = "Đề cương: thực trạng ở chi bộ; nguyên nhân; việc làm cụ thể của đảng viên."
        self.writer.insert(ThematicTopic, topic_rows, pk=True)

        meetings: list[Meeting] = []
        per_meeting: list[dict[str, Any]] = []
        history: dict[tuple[int, int], list[str]] = {}
        open_tasks: list[dict[str, Any]] = []
        for kind, when, topic in schedule:
            day = when.date()
            roster = [p for p in people if p.in_cell(ci, day)]
            if not roster:
                continue
            m, extra = self._one_meeting(rng, cell, kind, when, topic, roster, history, open_tasks, culture, book)
            m.plan = plans[day.year]
            meetings.append(m)
            per_meeting.append(extra)
        self.writer.insert(Meeting, meetings, pk=True)
        self.stats.meetings += len(meetings)

        items, attendance, speeches, votes, sheets, docs, tasks = [], [], [], [], [], [], []
        for m, extra in zip(meetings, per_meeting, strict=True):
            mid = m.pk
            for a in extra["attendance"]:
                a.meeting_id = mid
            attendance.extend(extra["attendance"])
            for it in extra["items"]:
                it.meeting_id = mid
            items.extend(extra["items"])
            extra["vote"].meeting_id = mid
            votes.append(extra["vote"])
            extra["sheet"].meeting_id = mid
            sheets.append(extra["sheet"])
            docs.append(build(
                MeetingDocument, meeting_id=mid, kind=extra["doc_kind"], title=extra["doc_title"],
                file=self.doc_files[extra["doc_kind"]], size=200, content_type="application/pdf",
                uploaded_at=m.published_at,
            ))
            for t in extra["new_tasks"]:
                t["obj"].meeting_id = mid
                tasks.append(t["obj"])
        w = self.writer
        w.insert(AgendaItem, items, pk=True)
        w.insert(Attendance, attendance)
        w.insert(Vote, votes)
        w.insert(ScoreSheet, sheets)
        w.insert(MeetingDocument, docs)
        for t in self._all_tasks:  # every review is known by now: done tasks are written as done
            if t["done"]:
                t["obj"].status = TaskStatus.DONE
        w.insert(Task, tasks, pk=True)
        for m, extra in zip(meetings, per_meeting, strict=True):
            for s in extra["speeches"]:
                s.meeting_id = m.pk
                s.item_id = s._item.pk if s._item is not None else None  # type: ignore[attr-defined]
                speeches.append(s)
        w.insert(Speech, speeches)
        reports = []
        for m, extra in zip(meetings, per_meeting, strict=True):
            for t, text, done in extra["reports"]:
                reports.append(build(TaskReport, task_id=t["obj"].pk, meeting_id=m.pk, text=text, done=done,
                                     created_at=m.ended_at))
        w.insert(TaskReport, reports)
        self._all_tasks = []
        self.stats.items += len(items)
        self.stats.attendance += len(attendance)
        self.stats.speeches += len(speeches)
        self.stats.votes += len(votes)
        self.stats.scores += len(sheets)
        self.stats.documents += len(docs)
        self.stats.tasks += len(tasks)
        self.stats.task_reports += len(reports)

    def _one_meeting(self, rng, cell, kind, when, topic, roster, history, open_tasks, culture, book):  # type: ignore[no-untyped-def]
        day = when.date()
        # Roll call: the member's standing that day, then present / excused / unexcused.
        rows = []
        for p in roster:
            mem = p.obj
            away = (mem.temp_direction == TempDirection.OUTGOING and mem.temp_from is not None
                    and mem.temp_from <= day <= (mem.temp_to or day))
            exempt = mem.exempt_from is not None and mem.exempt_from <= day
            is_full = p.full_from is not None and p.full_from <= day
            if away:
                status, reason = AttendanceStatus.AWAY, ""
            elif exempt:
                status, reason = (AttendanceStatus.PRESENT, "") if rng.random() < 0.3 else (AttendanceStatus.EXEMPT, "")
            else:
                r = rng.random()
                if r < p.reliability + culture:
                    status, reason = AttendanceStatus.PRESENT, ""
                elif r < 0.995:
                    status, reason = AttendanceStatus.ABSENT_EXCUSED, rng.choice(
                        ["Ốm", "Đi làm ăn xa", "Việc gia đình", "Đi công tác", "Trực ca"])
                else:
                    status, reason = AttendanceStatus.ABSENT_UNEXCUSED, ""
            rows.append(build(
                Attendance, {"member": mem}, status=status, reason=reason, is_full=is_full, is_exempt=exempt, is_away=away,
                is_incoming=False, dues_collected=status == AttendanceStatus.PRESENT,
                dues_amount=rng.choice([6000, 10000, 20000, 30000]) if status == AttendanceStatus.PRESENT else 0,
            ))
        facts_att = tuple(a.facts() for a in rows)
        present = [p for p, a in zip(roster, rows, strict=True) if a.status == AttendanceStatus.PRESENT]
        # Excused runs within the calendar year (approved meetings of this cell, incl. this one).
        runs = {}
        for p, a in zip(roster, rows, strict=True):
            h = history.setdefault((p.obj.pk or id(p), day.year), [])
            h.append(a.status)
            if a.status == AttendanceStatus.ABSENT_EXCUSED:
                runs[id(p)] = engine.trailing_excused_run(h)
        # Chair and clerk.
        officers = [p for p in present if p.obj.party_position in (PartyPosition.SECRETARY, PartyPosition.DEPUTY)]
        chair = officers[0] if officers else (present[0] if present else roster[0])
        clerk_pool = [p for p in present if p is not chair] or [chair]
        clerk = rng.choice(clerk_pool)
        # Agenda step times.
        minimum = book.duration.minimum_for(kind)
        minutes = int(rng.gauss(minimum + 18, 12))
        if rng.random() < 0.05:
            minutes = rng.randint(minimum - 25, minimum - 1)  # a short meeting: a duration breach
        minutes = max(30, minutes)
        steps = book.agenda[kind]
        start = when
        cursor = start
        weights = [3 if s.section == "content" else 1 for s in steps]
        total_w = sum(weights)
        items = []
        item_by_code = {}
        for i, (s, w) in enumerate(zip(steps, weights, strict=True), start=1):
            length = dt.timedelta(minutes=minutes * w / total_w)
            it = build(AgendaItem, order=i, code=s.code, section=s.section, title=s.title, started_at=cursor,
                            ended_at=cursor + length)
            cursor = cursor + length
            items.append(it)
            item_by_code[s.code] = it
        items[-1].ended_at = start + dt.timedelta(minutes=minutes)
        end = items[-1].ended_at
        conclusion_item = item_by_code.get("conclusion")
        if conclusion_item is not None:
            conclusion_item.conclusion = (
                "Chi bộ thống nhất: tiếp tục vận động nhân dân thực hiện các nhiệm vụ đã đề ra; "
                "mỗi đảng viên nhận việc cụ thể và báo cáo tại kỳ sinh hoạt sau."
            )
        # Speeches: a share of those present speak in the discussion (and the presenter presents).
        speeches = []
        speakers: set[int] = set()
        discussion = item_by_code.get("discussion")
        share = max(0.0, min(1.0, rng.gauss(0.45, 0.15)))
        talkers = rng.sample(present, k=min(len(present), round(share * len(present))))
        t = discussion.started_at if discussion else start
        for p in talkers:
            text = rng.choice(SPEECHES).format(n=rng.randint(2, 30), p=rng.randint(60, 99))
            s = build(Speech, {"member": p.obj}, summary=text, created_at=t)
            s._item = discussion  # type: ignore[attr-defined]
            speeches.append(s)
            speakers.add(id(p))
            t = t + dt.timedelta(seconds=40)
        presenter_ok = False
        if topic is not None and kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED):
            presenter = next((p for p in present if p.obj is topic.presenter), None)
            pres_item = item_by_code.get("presentation")
            if presenter is not None and pres_item is not None:
                s = build(Speech, {"member": presenter.obj}, summary=f"Trình bày chuyên đề: {topic.title}", created_at=pres_item.started_at)
                s._item = pres_item  # type: ignore[attr-defined]
                speeches.append(s)
                speakers.add(id(presenter))
                presenter_ok = True
        # Tasks: review every open task at a regular/combined meeting (95%), assign new ones.
        reports = []
        reviewed = 0
        open_before = len(open_tasks)
        if kind != MeetingKind.THEMATIC and rng.random() < 0.95:
            for task in list(open_tasks):
                done = rng.random() < 0.8
                reports.append((task, "Đã triển khai; " + ("hoàn thành." if done else "đang tiếp tục."), done))
                reviewed += 1
                if done:
                    task["done"] = True
                    open_tasks.remove(task)
        new_tasks = []
        if kind != MeetingKind.THEMATIC and present:
            for _ in range(rng.randint(1, 2)):
                who = rng.choice(present)
                task = {"obj": Task(organisation=cell, title=rng.choice(TASKS), assignee=who.obj,
                                    due_date=day + dt.timedelta(days=30), created_at=end), "done": False}
                new_tasks.append(task)
                open_tasks.append(task)
                self._all_tasks.append(task)
        # Vote by count, eligibility frozen from the roll call.
        eligible = engine.vote_eligible(facts_att, book.vote)
        eligible_present = [a for a in rows if a.status == AttendanceStatus.PRESENT and a.member.pk in set(eligible)]
        voters = len(eligible_present)
        against = 0 if rng.random() < 0.9 else rng.randint(1, max(1, voters // 3))
        against = min(against, voters)
        in_favour = voters - against
        passed = engine.vote_passes(in_favour, len(eligible), book.vote)
        vote = Vote(subject="Nghị quyết sinh hoạt chi bộ tháng " + f"{day.month:02d}/{day.year}",
                    method=VoteMethod.COUNT, in_favour=in_favour, against=against, other=0,
                    eligible_count=len(eligible), eligible_ids=eligible, passed=passed,
                    opened_at=end - dt.timedelta(minutes=8), closed_at=end - dt.timedelta(minutes=6))
        # Publication: documents 2–5 days before (5% late: the same day).
        late = rng.random() < 0.05
        published = when - (dt.timedelta(hours=3) if late else dt.timedelta(days=rng.randint(2, 5)))
        facts = engine.MeetingFacts(
            kind=kind, scheduled_at=when, attendees=tuple(a for a in facts_att if a.status),
            duration_minutes=int((end - start).total_seconds() // 60), published_at=published,
            notice_sent=True, notice_to_upper=True, prepared=True, speakers=len(speakers),
            open_tasks=open_before, reviewed_tasks=reviewed if kind != MeetingKind.THEMATIC else 0,
            vote_in_favour=in_favour, vote_eligible=len(eligible), minutes_complete=True, minutes_read_back=True,
            thematic_draft_ready=kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED),
            presented_by_assignee=presenter_ok,
            excused_runs={r.member.pk: runs[id(p)] for p, r in zip(roster, rows, strict=True) if id(p) in runs},
            member_names={r.member.pk: r.member.full_name for r in rows},
        )
        criteria = book.scorecard.criteria_for(kind)
        entries = {}
        for c in criteria:
            auto = engine.auto_score(c, facts, book)
            if auto is not None:
                entries[c.code] = auto
            else:
                lo, hi = MANUAL_POINTS.get(c.code, (c.points // 2, c.points))
                entries[c.code] = min(c.points, rng.randint(lo, hi))
        result = engine.grade(entries, criteria, book.scorecard)
        figures = engine.attendance(facts.attendees, book.attendance)
        found = engine.breaches(facts, book)
        sheet = ScoreSheet(column=ScoreColumn.CELL, entries=entries, total=result.total, grade=result.band.grade,
                           updated_at=end)
        snapshot = {
            "rulebook": {"code": book.code, "version": book.version, "name": book.name},
            # as meetings.selectors.snapshot freezes it at approval (dashboards read it)
            "attendance": [
                {"member_id": a.member_id, "name": a.member.full_name, "status": a.status, "reason": a.reason,
                 "is_full": a.is_full, "is_exempt": a.is_exempt, "is_away": a.is_away}
                for a in sorted(rows, key=lambda a: (a.member.sort_key, a.member_id))
            ],
            "figures": {"base": figures.base, "present": figures.present,
                        "rate_percent": round(figures.rate_percent, 1), "excused": figures.excused,
                        "unexcused": figures.unexcused, "duration_minutes": facts.duration_minutes,
                        "speakers": facts.speakers},
            "votes": [{"subject": vote.subject, "eligible_ids": eligible, "eligible": len(eligible), "for": in_favour,
                       "against": against, "other": 0, "passed": passed}],
            "scores": {ScoreColumn.CELL: {"entries": entries, "total": result.total, "grade": result.band.grade}},
            "breaches": [{"code": b.code, "message": b.message} for b in found],
            "excused_runs": {str(k): v for k, v in facts.excused_runs.items()},
            "approved_at": (end + dt.timedelta(days=1)).isoformat(),
            "generated": True,
        }
        m = Meeting(
            organisation=cell, topic=topic if kind != MeetingKind.REGULAR else None, kind=kind,
            status=MeetingStatus.APPROVED,
            title=(topic.title if topic is not None and kind != MeetingKind.REGULAR
                   else f"Sinh hoạt thường kỳ tháng {day.month:02d}/{day.year}"),
            scheduled_at=when, place=cell.address, preparer=chair.obj,
            pre_meeting_at=published - dt.timedelta(days=1), pre_meeting_notes="Chi ủy thống nhất nội dung, dự thảo nghị quyết.",
            published_at=published, notice_to_upper_at=published, chair=chair.obj, secretary=clerk.obj,
            started_at=start, ended_at=end, minutes_read_at=end, approved_at=end + dt.timedelta(days=1),
            rulebook_code=book.code, rulebook_version=book.version, version=1,
            fig_base=figures.base, fig_present=figures.present, fig_excused=figures.excused,
            fig_unexcused=figures.unexcused, fig_duration=facts.duration_minutes, fig_speakers=facts.speakers,
            fig_score=result.total, fig_grade=result.band.grade, fig_breaches=len(found), snapshot=snapshot,
            created_at=published - dt.timedelta(days=5),
        )
        thematic = kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED)
        return m, {
            "attendance": rows, "items": items, "speeches": speeches, "vote": vote, "sheet": sheet,
            "doc_kind": DocumentKind.THEMATIC_DRAFT if thematic else DocumentKind.DRAFT_RESOLUTION,
            "doc_title": "Dự thảo chuyên đề" if thematic else "Dự thảo nghị quyết",
            "new_tasks": new_tasks, "reports": reports,
        }
