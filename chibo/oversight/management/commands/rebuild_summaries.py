"""Re-derive the dashboards' pre-aggregated figures (CellMonth, MemberMonth, the OrgMonth roll-up)
from the meetings.

Idempotent: rows are deleted and recomputed in one transaction, so running it twice gives the same
rows. `--org CODE` limits it to one organisation's subtree.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from chibo.organisations.models import Organisation
from chibo.oversight import summaries
from chibo.oversight.models import CellMonth, MemberMonth, OrgMonth


class Command(BaseCommand):
    help = "Tính lại số liệu tổng hợp của bảng theo dõi cấp trên từ các buổi sinh hoạt."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", default="", help="mã đơn vị: chỉ tính lại cây đơn vị này")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = ""
        if opts["org"]:
            org = Organisation.objects.filter(code=opts["org"]).first()
            if org is None:
                raise CommandError(f"Không có đơn vị mã {opts['org']}.")
            path = org.path
        began = time.perf_counter()
        cells, members = summaries.rebuild(path)
        if connection.vendor == "postgresql":  # fresh statistics, so the dashboards' plans use the indexes
            with connection.cursor() as cursor:
                for model in (CellMonth, OrgMonth, MemberMonth):
                    cursor.execute(f"ANALYZE {model._meta.db_table}")
        self.stdout.write(
            f"Đã tính lại {cells} dòng chi bộ × tháng và {members} dòng đảng viên × tháng "
            f"trong {time.perf_counter() - began:.1f} s."
        )
