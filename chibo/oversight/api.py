"""/oversight: the dashboard of an organisation's subtree as JSON (same access and figures as the page).

`GET /api/v1/oversight/dashboard/{org_id}?tu=mm/yyyy&den=mm/yyyy` answers every table of the
dashboard (headers + rows) and the headline figures; 404 outside the user's subtree, 422 with a
Vietnamese message for a malformed period.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from chibo.accounts.access import org_for_user
from chibo.accounts.permissions import Perm
from chibo.oversight import dashboard

router = Router(tags=["Cấp ủy cấp trên"])


class TableOut(Schema):
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str
    total_rows: int = Field(
        description="Số dòng có thật (trên cấp xã, danh sách theo buổi/chi bộ chỉ trả về 50 dòng đầu; "
        "bằng số dòng trả về khi không bị cắt)."
    )


class DashboardOut(Schema):
    organisation_id: int
    organisation_name: str
    period_from: str
    period_to: str
    figures: dict[str, Any]
    tables: list[TableOut]


@router.get("/dashboard/{org_id}", response=DashboardOut, summary="Bảng theo dõi của một đơn vị và cấp dưới")
def dashboard_json(request: HttpRequest, org_id: int, tu: str = "", den: str = "") -> dict[str, Any]:
    org, _ = org_for_user(request.user, org_id, need=Perm.MEETING_VIEW)
    period, error = dashboard.parse_period(tu or None, den or None)
    if error:
        raise HttpError(422, error.split(". Đang hiển thị")[0] + ".")
    board = dashboard.build(org, period)
    return {
        "organisation_id": org.pk,
        "organisation_name": org.name,
        "period_from": f"{period.first[0]}-{period.first[1]:02d}",
        "period_to": f"{period.last[0]}-{period.last[1]:02d}",
        "figures": board.kpis,
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "headers": t.headers,
                "rows": t.rows,
                "note": t.note,
                "total_rows": len(t.rows) if t.total is None else t.total,
            }
            for t in board.tables.values()
        ],
    }
