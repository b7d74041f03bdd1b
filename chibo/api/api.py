"""The chibo JSON API (/api/v1/). OpenAPI schema: /api/v1/openapi.json, docs: /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from chibo.api import auth, bulletins, errors, meetings, members, organisations
from chibo.documents import api as documents_api
from chibo.oversight import api as oversight_api

DESCRIPTION = """
API của chibo. Mọi điểm cuối (trừ `POST /auth/token`) cần tiêu đề
`Authorization: Bearer <mã truy cập>`.

- Ngày tháng trong API theo ISO 8601 `yyyy-mm-dd` (quy ước JSON), không theo dd/mm/yyyy của giao diện web.
- Mỗi người dùng chỉ thấy dữ liệu trong phạm vi tổ chức của mình: đối tượng ngoài phạm vi trả về 404;
  người chỉ có quyền xem mà ghi dữ liệu nhận 403.
- Lỗi: `{"detail": "..."}`; lỗi dữ liệu (422): `{"detail": "Dữ liệu không hợp lệ.", "errors": {"trường": ["..."]}}`.
- Danh sách được phân trang: `?page=1&page_size=100`, trả về `{"items": [...], "count": N}`.
"""

api = NinjaAPI(
    title="chibo API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=auth.BearerToken(),
)
errors.install(api)
api.add_router("/auth", auth.router)
api.add_router("/organisations", organisations.router)
api.add_router("/members", members.router)
api.add_router("", meetings.router)
api.add_router("", documents_api.router)
api.add_router("", "chibo.api.annual.router")  # the member's year (chibo.annual)
api.add_router("/oversight", oversight_api.router)
api.add_router("", bulletins.router)
