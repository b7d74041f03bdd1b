"""Exception handlers: every error leaves the API as JSON with a Vietnamese "detail"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from chibo.core.versions import Stale

NOT_FOUND = "Không tìm thấy."
FORBIDDEN = "Bạn không có quyền thực hiện thao tác này."
INVALID = "Dữ liệu không hợp lệ."
UNAUTHENTICATED = (
    "Chưa xác thực: cần mã truy cập hợp lệ trong tiêu đề Authorization: Bearer <mã>. "
    "Mã có thể đã hết hạn hoặc bị thu hồi."
)
NON_FIELD = "__all__"

# Pydantic error types → Vietnamese messages (ctx values are substituted).
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường này không được phép ở đây.",
    "date_parsing": "Ngày không hợp lệ: dùng định dạng yyyy-mm-dd.",
    "date_from_datetime_parsing": "Ngày không hợp lệ: dùng định dạng yyyy-mm-dd.",
    "date_from_datetime_inexact": "Ngày không hợp lệ: dùng định dạng yyyy-mm-dd.",
    "date_type": "Ngày không hợp lệ: dùng định dạng yyyy-mm-dd.",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "bool_parsing": "Phải là true hoặc false.",
    "bool_type": "Phải là true hoặc false.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_long": "Tối đa {max_length} ký tự.",
    "enum": "Giá trị không hợp lệ. Giá trị cho phép: {expected}.",
    "literal_error": "Giá trị không hợp lệ. Giá trị cho phép: {expected}.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "json_invalid": "Nội dung JSON không hợp lệ.",
    "model_attributes_type": "Nội dung phải là một đối tượng JSON.",
    "dict_type": "Nội dung phải là một đối tượng JSON.",
}


def _pydantic_message(error: Mapping[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", INVALID))
    ctx = {k: str(v).replace(" or ", " hoặc ") for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return str(error.get("msg", INVALID))


def _field_of(loc: Iterable[Any]) -> str:
    """("body", "payload", "full_name") → "full_name"; ("query", "status") → "status"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]  # drop the source and the name of the body parameter
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    # Stop at union/validator tags such as "function-after[...]": clients want the field.
    kept: list[str] = []
    for part in parts:
        if not (part.isidentifier() or part.isdigit()):
            break
        kept.append(part)
    return ".".join(kept) or NON_FIELD


def pydantic_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        messages = out.setdefault(_field_of(error.get("loc", ())), [])
        message = _pydantic_message(error)
        if message not in messages:
            messages.append(message)
    return out


def django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {NON_FIELD: [str(m) for m in exc.messages]}


def install(api: NinjaAPI) -> None:
    """Register the chibo error handlers on API (overriding ninja's English defaults)."""

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": NOT_FOUND}, status=404)

    def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(request, {"detail": str(exc) or FORBIDDEN}, status=403)

    def stale(request: HttpRequest, exc: Stale) -> HttpResponse:
        return api.create_response(request, {"detail": " ".join(exc.messages)}, status=409)

    def service_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        body = {"detail": INVALID, "errors": django_errors(exc)}
        return api.create_response(request, body, status=422)

    def schema_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        body = {"detail": INVALID, "errors": pydantic_errors(exc.errors)}
        return api.create_response(request, body, status=422)

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(request, {"detail": UNAUTHENTICATED}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="chibo"'
        return response

    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(DjangoValidationError, service_invalid)
    api.add_exception_handler(Stale, stale)  # a subclass: looked up first (409, nothing written)
    api.add_exception_handler(NinjaValidationError, schema_invalid)
    api.add_exception_handler(AuthenticationError, unauthenticated)
