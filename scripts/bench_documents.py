#!/usr/bin/env python
"""Benchmark the minutes: milliseconds per DOCX and per PDF for a 20-member meeting.

Usage (from the project root):

    .venv/bin/python scripts/bench_documents.py              # 20 members, 20 rounds
    .venv/bin/python scripts/bench_documents.py --members 40 --rounds 10

A throwaway SQLite database under /tmp is created and migrated (unless DATABASE_URL is set;
then that database is used). One meeting is run start to approval through the meeting
services: every member present but two (one excused, one not), six speeches, two tasks, a
vote, both score columns. Each round reads the record from the database (chibo.documents.record.build)
and renders it, so a round is what one download costs. The first PDF of the process is
reported apart: it loads Pango and the fonts once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Khánh", "Lan", "Long",
         "Mai", "Minh", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trung", "Tuấn", "Vân", "Xuân",
         "Yến", "Đức", "Ánh", "Ước"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]


def setup(tmp: str) -> None:
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("CHIBO_VAR_DIR", tmp)
    os.environ.setdefault("CHIBO_TASKS", "immediate")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def meeting(members: int):  # type: ignore[no-untyped-def]
    from django.test.utils import override_settings
    from django.utils import timezone

    from chibo.meetings import services
    from chibo.meetings.models import AttendanceStatus, MeetingKind, ScoreColumn
    from chibo.members import services as member_services
    from chibo.members.models import MemberStatus
    from chibo.organisations import services as org_services
    from chibo.organisations.models import OrgKind

    province = org_services.create_organisation(actor=None, name="Đảng bộ tỉnh Thử", kind=OrgKind.PROVINCE, parent=None)
    commune = org_services.create_organisation(actor=None, name="Đảng ủy xã Bình An", kind=OrgKind.COMMUNE, parent=province)
    cell = org_services.create_organisation(actor=None, name="Chi bộ thôn Đông", kind=OrgKind.CELL, parent=commune)
    people = []
    for i in range(members):
        status = MemberStatus.PROBATIONARY if i % 7 == 6 else MemberStatus.FULL
        people.append(member_services.create_member(
            actor=None, organisation=cell, full_name=f"{FAMILY[i % len(FAMILY)]} Văn {GIVEN[i % len(GIVEN)]}",
            joined_on=dt.date(2020, 1, 1), birth_date=dt.date(1960 + i % 25, 5, 17), admission_date=dt.date(2005, 3, 1),
            official_date=None if status == MemberStatus.PROBATIONARY else dt.date(2006, 3, 1), status=status,
            party_position="bi_thu" if i == 0 else "",
        ))
    tz = timezone.get_current_timezone()
    day = timezone.localdate() - dt.timedelta(days=2)
    start = dt.datetime.combine(day, dt.time(19, 30), tzinfo=tz)
    with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}):
        m = services.create_meeting(actor=None, cell=cell, kind=MeetingKind.REGULAR, scheduled_at=start, place="Nhà văn hóa")
        services.update_meeting(actor=None, meeting=m, chair=people[0], secretary=people[1], preparer=people[0],
                                pre_meeting_at=start - dt.timedelta(days=4))
        services.publish(actor=None, meeting=m, now=start - dt.timedelta(days=2))
        services.start(actor=None, meeting=m, now=start)
    for row in m.attendance.select_related("member"):
        if row.member_id == people[-1].pk:
            services.set_attendance(actor=None, meeting=m, member=row.member, status=AttendanceStatus.ABSENT_EXCUSED, reason="Ốm")
        elif row.member_id == people[-2].pk:
            services.set_attendance(actor=None, meeting=m, member=row.member, status=AttendanceStatus.ABSENT_UNEXCUSED)
        else:
            services.set_attendance(actor=None, meeting=m, member=row.member, status=AttendanceStatus.PRESENT)
    items = list(m.items.all())
    services.start_item(actor=None, item=items[0], now=start)
    discussion = next(i for i in items if i.code == "discussion")
    for p in people[:6]:
        services.add_speech(actor=None, meeting=m, member=p, item=discussion,
                            summary="Đề nghị chi bộ tiếp tục vận động nhân dân tham gia làm đường giao thông nông thôn, "
                                    "giữ gìn vệ sinh môi trường, bảo đảm an ninh trật tự ở khu dân cư.")
    services.set_conclusion(actor=None, item=next(i for i in items if i.code == "conclusion"), text="Chi bộ thống nhất.")
    for p in people[2:4]:
        services.assign_task(actor=None, meeting=m, title="Vận động các hộ hiến đất làm đường", assignee=p,
                             due_date=day + dt.timedelta(days=30))
    vote = services.open_vote(actor=None, meeting=m, subject="Nghị quyết tháng")
    services.close_vote(actor=None, vote=vote, in_favour=len(services._present_eligible(vote)), against=0, other=0)
    services.start_item(actor=None, item=items[-1], now=start + dt.timedelta(minutes=99))
    services.end_item(actor=None, item=items[-1], now=start + dt.timedelta(minutes=100))
    services.save_score(actor=None, meeting=m, column=ScoreColumn.CELL, entries={"order_content": 9, "criticism": 8})
    services.save_score(actor=None, meeting=m, column=ScoreColumn.UPPER, entries={"order_content": 8, "criticism": 7})
    services.read_back(actor=None, meeting=m, now=start + dt.timedelta(minutes=100))
    return services.approve(actor=None, meeting=m)


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chibo-bench-docs-", dir="/tmp") as tmp:
        setup(tmp)
        from django.db import connection

        from chibo.documents import kinds
        from chibo.documents.record import build

        m = meeting(args.members)
        print(f"# python {platform.python_version()}, {os.cpu_count()} CPUs, database {connection.vendor}, "
              f"meeting of {m.attendance.count()} members, {args.rounds} rounds")
        sizes = {}
        first_pdf = timed(lambda: kinds.render(build(m), "bien-ban", "pdf"))
        results = {}
        for fmt in ("docx", "pdf"):
            runs = []
            for _ in range(args.rounds):
                holder = {}
                runs.append(timed(lambda fmt=fmt, holder=holder: holder.update(out=kinds.render(build(m), "bien-ban", fmt))))
                sizes[fmt] = len(holder["out"][0])
            results[fmt] = runs
        record_ms = statistics.median([timed(lambda: build(m)) for _ in range(args.rounds)])
        print(f"{'what':<22} {'median_ms':>10} {'mean_ms':>9} {'min_ms':>8} {'max_ms':>8} {'size_KB':>8}")
        print(f"{'record only':<22} {record_ms:>10.1f}")
        for fmt, runs in results.items():
            print(f"{'minutes ' + fmt.upper():<22} {statistics.median(runs):>10.1f} {statistics.mean(runs):>9.1f} "
                  f"{min(runs):>8.1f} {max(runs):>8.1f} {sizes[fmt] / 1024:>8.1f}")
        print(f"{'first PDF (cold)':<22} {first_pdf:>10.1f}")


if __name__ == "__main__":
    main()
