"""Bearer tokens for /api/v1/: issuing (password + TOTP when required), checking, revoking."""

import datetime as dt
import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja import Router, Schema
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import Field

from chibo.accounts.middleware import requires_2fa
from chibo.accounts.models import ApiToken, User, hash_token
from chibo.api.schemas import ErrorOut, InputSchema

# last_used_at is refreshed at most this often, so reads don't turn into writes.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)

BAD_CREDENTIALS = "Sai tên đăng nhập hoặc mật khẩu."
OTP_MISSING = (
    'Tài khoản này bắt buộc xác thực hai bước: gửi mã 6 chữ số từ ứng dụng xác thực trong trường "otp".'
)
OTP_NOT_ENROLLED = (
    "Tài khoản này bắt buộc xác thực hai bước nhưng chưa đăng ký ứng dụng xác thực. "
    "Hãy đăng nhập trên web để đăng ký trước khi dùng API."
)
OTP_WRONG = "Mã xác thực hai bước không đúng hoặc đã hết hạn."


def locked_message(request: HttpRequest) -> str:
    cool_off = get_cool_off(request)
    if cool_off:
        minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
        return f"Tài khoản tạm bị khóa do đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút."
    return "Tài khoản tạm bị khóa do đăng nhập sai quá nhiều lần. Vui lòng liên hệ quản trị."


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`; sets request.user so the access helpers apply."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        raw = token.strip()
        if not raw:
            return None
        api_token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
        if api_token is None or not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.expires_at is not None and api_token.expires_at <= now:
            return None
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            api_token.last_used_at = now
        request.user = api_token.user
        return api_token


class TokenIn(InputSchema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=4096)
    otp: str | None = Field(
        default=None,
        max_length=16,
        description="Mã 6 chữ số từ ứng dụng xác thực; bắt buộc với vai trò cần xác thực hai bước.",
    )


class TokenOut(Schema):
    token: str = Field(description="Chỉ hiển thị một lần; gửi lại trong tiêu đề Authorization: Bearer.")
    expires_at: dt.datetime


router = Router(tags=["Xác thực"])


def _locked_out(request: HttpRequest) -> bool:
    """Whether axes locked this client out during this request.

    The flag is cleared once read: the API answers with its own JSON 403, and
    AxesMiddleware would otherwise replace that response with the HTML lockout page.
    """
    locked = bool(getattr(request, "axes_locked_out", False))
    if locked:
        request.axes_locked_out = False  # type: ignore[attr-defined]
    return locked


def _otp_problem(request: HttpRequest, user: User, otp: str | None) -> str | None:
    """None when USER passed two-factor (or doesn't need it), else the message to return."""
    if not requires_2fa(user):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return OTP_NOT_ENROLLED
    code = (otp or "").replace(" ", "")
    if not code:
        return OTP_MISSING
    if device.verify_token(code):
        return None
    # A wrong code counts as a failed login, so axes also limits guessing the code.
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    return OTP_WRONG


@router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut},
    summary="Cấp mã truy cập",
    description=(
        "Đăng nhập bằng tên đăng nhập và mật khẩu (và mã xác thực hai bước nếu vai trò yêu cầu). "
        "Đăng nhập sai nhiều lần liên tiếp sẽ tạm khóa tài khoản trên địa chỉ IP này (403)."
    ),
)
def issue_token(request: HttpRequest, payload: TokenIn) -> Any:
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if user is None:
        if _locked_out(request):
            return Status(403, {"detail": locked_message(request)})
        return Status(401, {"detail": BAD_CREDENTIALS})
    problem = _otp_problem(request, user, payload.otp)
    if problem is not None:
        if _locked_out(request):
            return Status(403, {"detail": locked_message(request)})
        return Status(401, {"detail": problem})
    if settings.AXES_RESET_ON_SUCCESS:
        AxesProxyHandler.reset_attempts(
            ip_address=getattr(request, "axes_ip_address", None), username=user.get_username()
        )
    update_last_login(None, user)
    token, raw = ApiToken.issue(user)
    return {"token": raw, "expires_at": token.expires_at}


@router.delete(
    "/token",
    response={204: None, 401: ErrorOut},
    summary="Thu hồi mã truy cập đang dùng",
)
def revoke_token(request: HttpRequest) -> Any:
    api_token: ApiToken = request.auth  # type: ignore[attr-defined]
    api_token.delete()
    return Status(204, None)
