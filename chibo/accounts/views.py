from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from chibo.accounts import services
from chibo.accounts.access import org_for_user
from chibo.accounts.forms import AssignRoleForm, CreateAccountForm, OTPForm
from chibo.accounts.middleware import requires_2fa
from chibo.accounts.models import RoleAssignment, User
from chibo.accounts.permissions import Perm
from chibo.core.forms import apply_service_errors
from chibo.members.models import Member
from chibo.organisations.models import under


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_GET
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    roles = request.user.role_assignments.select_related("organisation").order_by("organisation__path")
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    return render(
        request, "accounts/profile.html",
        {"roles": roles, "has_device": has_device, "requires_2fa": requires_2fa(request.user)},
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code; on first use, enrol a new authenticator app."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Ứng dụng xác thực", confirmed=False)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].replace(" ", "")
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Nhập sai nhiều lần. Hãy chờ vài giây rồi nhập mã mới.")
        elif device.verify_token(token):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Đã xác thực hai bước.")
            return redirect(_safe_next(request))
        form.add_error("token", "Mã không đúng hoặc đã hết hạn. Hãy nhập mã mới trên ứng dụng.")
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        context.update(secret=secret, qr=_qr_svg(device.config_url))
    return render(request, "accounts/two_factor.html", context)


def send_set_password_email(request: HttpRequest, user: User) -> None:
    """A new account has no password: mail a one-time link to set it."""
    context = {
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "protocol": "https" if request.is_secure() else "http",
        "domain": request.get_host(),
    }
    subject = render_to_string("accounts/email/set_password_subject.txt", context).strip()
    body = render_to_string("accounts/email/set_password.txt", context)
    send_mail(subject, body, None, [user.email])


@require_http_methods(["GET", "POST"])
@login_required
def roles(request: HttpRequest, pk: int) -> HttpResponse:
    org, _ = org_for_user(request.user, pk, need=Perm.ROLE_MANAGE)
    assign_form = AssignRoleForm(request.POST if request.POST.get("action") == "assign" else None, prefix="assign")
    members = Member.objects.filter(under(org.path, "organisation__"), user__isnull=True).order_by("sort_key")
    create_form = CreateAccountForm(
        request.POST if request.POST.get("action") == "create" else None, prefix="create", members=members
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "assign" and assign_form.is_valid():
                user = User.objects.filter(username=assign_form.cleaned_data["username"]).first()
                if user is None:
                    assign_form.add_error("username", "Không có tài khoản này.")
                else:
                    services.assign_role(actor=request.user, user=user, organisation=org, role=assign_form.cleaned_data["role"])
                    messages.success(request, f"Đã giao vai trò cho {user.username}.")
                    return redirect("accounts:roles", pk=org.pk)
            elif request.POST.get("action") == "create" and create_form.is_valid():
                user = services.create_account(actor=request.user, organisation=org, **create_form.cleaned_data)
                if user.email:
                    send_set_password_email(request, user)
                messages.success(request, f"Đã tạo tài khoản {user.username}. Thư đặt mật khẩu đã gửi tới {user.email or '(chưa có email)'}.")
                return redirect("accounts:roles", pk=org.pk)
        except ValidationError as exc:
            apply_service_errors(create_form if request.POST.get("action") == "create" else assign_form, exc)
    assignments = (
        RoleAssignment.objects.filter(under(org.path, "organisation__"))
        .select_related("user", "organisation")
        .order_by("organisation__path", "role", "user__username")[:300]
    )
    return render(
        request, "accounts/roles.html",
        {"org": org, "assignments": assignments, "assign_form": assign_form, "create_form": create_form},
    )


@require_POST
@login_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = RoleAssignment.objects.select_related("organisation", "user").filter(pk=pk).first()
    if assignment is None:
        raise Http404
    org_for_user(request.user, assignment.organisation_id, need=Perm.ROLE_MANAGE)
    services.revoke_role(actor=request.user, assignment=assignment)
    messages.success(request, "Đã thu hồi vai trò.")
    return redirect("accounts:roles", pk=assignment.organisation_id)


password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/simple_form.html",
    success_url=reverse_lazy("accounts:profile"),
    extra_context={"title": "Đổi mật khẩu"},
)
password_reset = auth_views.PasswordResetView.as_view(
    template_name="accounts/simple_form.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
    extra_context={"title": "Quên mật khẩu"},
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/message.html",
    extra_context={"title": "Đã gửi thư", "text": "Nếu email có trong hệ thống, bạn sẽ nhận được thư hướng dẫn đặt lại mật khẩu."},
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/simple_form.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
    extra_context={"title": "Đặt mật khẩu mới"},
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/message.html",
    extra_context={"title": "Đã đặt mật khẩu", "text": "Mật khẩu mới đã được lưu. Bạn có thể đăng nhập."},
)
