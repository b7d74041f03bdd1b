"""Schemas shared by every router: error bodies and their OpenAPI declarations."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class ErrorOut(Schema):
    detail: str = Field(description="Thông báo lỗi bằng tiếng Việt.")


class ValidationErrorOut(Schema):
    detail: str = Field(description='Luôn là "Dữ liệu không hợp lệ."')
    errors: dict[str, list[str]] = Field(
        description="Lỗi theo từng trường: tên trường → danh sách thông báo. "
        '"__all__" cho lỗi không gắn với trường nào.'
    )


class InputSchema(Schema):
    """Request bodies: unknown fields are rejected, enum members arrive as plain strings."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}
# Writes that take expected_version: a stale one is refused with 409 (chibo.core.versions.Stale).
WRITE_409: dict[int, Any] = {**WRITE_ERRORS, 409: ErrorOut}
EXPECTED_VERSION = (
    "Phiên bản (version) đã đọc khi bắt đầu sửa; bản ghi đã bị sửa từ đó thì trả 409 "
    "(nêu giá trị hiện tại) và không ghi gì. Bỏ trống: không kiểm tra."
)
VERSION = "Phiên bản của bản ghi; gửi lại trong expected_version khi sửa để không ghi đè thay đổi của người khác."
