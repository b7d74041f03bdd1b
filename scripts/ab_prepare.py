#!/usr/bin/env python
"""In-process A/B of PostgreSQL prepared statements (settings.CHIBO_PG_PREPARE, chibo/core/rawsql.py)
on the roll-call mark's service, `meetings.services.mark_attendance` (its lock and its mark statement
are rawsql's): ROUNDS rounds of 25 marks prepared then 25 not, alternating, on the first meeting in
progress; prints the median ms per mark of each and the median ratio of the rounds.

Usage: DATABASE_URL=postgres://…/chibo_roll1000 .venv/bin/python scripts/ab_prepare.py [ROUNDS]
on a database made by `manage.py gen_province … --accounts` (as scripts/prof_page.py; it writes marks
and their audit entries into it).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from chibo.accounts.models import User  # noqa: E402
from chibo.meetings import services  # noqa: E402
from chibo.meetings.models import Meeting, MeetingStatus  # noqa: E402


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only (DATABASE_URL=postgres://…).")
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    m = Meeting.objects.filter(status=MeetingStatus.IN_PROGRESS).order_by("id").first()
    if m is None:
        sys.exit("No meeting in progress: run scripts/prof_page.py roll once first (it starts one).")
    admin = User.objects.get(username=os.environ.get("USER_", "gp1-admin"))
    members = list(m.attendance.values_list("member_id", flat=True))
    spent: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds):
        for flag in (True, False):
            settings.CHIBO_PG_PREPARE = flag
            began = time.perf_counter()
            for i in range(25):
                services.mark_attendance(
                    actor=admin, meeting=m, member_id=members[i % len(members)],
                    status=["present", "absent_unexcused"][(i + r) % 2],
                )
            spent[flag].append((time.perf_counter() - began) / 25 * 1000)
    for flag, label in ((True, "prepared"), (False, "not prepared")):
        print(f"{label}: {statistics.median(spent[flag]):.3f} ms per mark_attendance")
    ratios = [a / b for a, b in zip(spent[True], spent[False], strict=True)]
    print(f"prepared / not: {statistics.median(ratios):.3f} (median of {rounds} rounds)")


if __name__ == "__main__":
    main()
