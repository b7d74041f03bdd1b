"""Access helpers for the member's year, on top of chibo.accounts.access.

- Outside the user's subtree: 404. Inside but without the right: 403.
- A member always reads and writes their OWN commitment and self-assessment; another member's
  needs Perm.ANNUAL_VIEW (chi ủy, upper committee, admin): a plain member gets 403.
- Cell-side writes need Perm.ANNUAL_MANAGE; the upper committee's decisions Perm.ANNUAL_DECIDE.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from chibo.accounts.access import get_scope
from chibo.accounts.permissions import Perm
from chibo.annual.models import Commitment, Review, Shortcoming
from chibo.members.models import Member
from chibo.organisations.models import Organisation

OWN_ONLY = "Bạn chỉ xem được bản cam kết, bản kiểm điểm và đảng phí của chính mình."


def _perms(user: Any, path: str) -> frozenset[Perm]:
    perms = get_scope(user).perms_at(path)
    if Perm.ORG_VIEW not in perms:
        raise Http404("Không tìm thấy.")
    return perms


def _need(
    perms: frozenset[Perm], need: Perm, message: str = "Bạn không có quyền thực hiện thao tác này."
) -> None:
    if need not in perms:
        raise PermissionDenied(message)


def is_self(user: Any, member_id: int | None) -> bool:
    return member_id is not None and get_scope(user).member_id == member_id


def cell_for_user(
    user: Any, pk: Any, *, need: Perm = Perm.ANNUAL_VIEW
) -> tuple[Organisation, frozenset[Perm]]:
    try:
        cell = Organisation.objects.select_related("parent").get(pk=int(pk))
    except (Organisation.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy chi bộ.") from None
    perms = _perms(user, cell.path)
    if not cell.is_cell:
        raise Http404("Chỉ chi bộ mới có sổ kiểm điểm và đảng phí.")
    _need(
        perms,
        need,
        "Bạn không có quyền xem hoặc thay đổi sổ của chi bộ này."
        if need == Perm.ANNUAL_VIEW
        else "Bạn chỉ có quyền xem, không có quyền thay đổi.",
    )
    return cell, perms


def member_year_for_user(user: Any, pk: Any) -> tuple[Member, frozenset[Perm]]:
    """The member whose year page is asked for: themself, or anyone with ANNUAL_VIEW."""
    try:
        member = Member.objects.select_related("organisation", "organisation__parent").get(pk=int(pk))
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy đảng viên.") from None
    if is_self(user, member.pk):
        return member, get_scope(user).perms_at(member.organisation.path)
    perms = _perms(user, member.organisation.path)
    _need(perms, Perm.ANNUAL_VIEW, OWN_ONLY)
    return member, perms


def commitment_for_user(
    user: Any, pk: Any, *, write: str | None = None
) -> tuple[Commitment, frozenset[Perm]]:
    """WRITE: None (read), "own" (the member edits/submits), "cell" (the cell approves/returns)."""
    try:
        c = Commitment.objects.select_related("member", "organisation").get(pk=int(pk))
    except (Commitment.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy bản cam kết.") from None
    own = is_self(user, c.member_id)
    perms = get_scope(user).perms_at(c.organisation.path)
    if not own:
        perms = _perms(user, c.organisation.path)
        _need(perms, Perm.ANNUAL_VIEW, OWN_ONLY)
    if write == "own" and not own:
        raise PermissionDenied("Chỉ đảng viên viết và sửa bản cam kết của chính mình.")
    if write == "cell":
        _need(perms, Perm.ANNUAL_MANAGE, "Chỉ chi ủy (bí thư) duyệt bản cam kết.")
    return c, perms


def review_for_user(user: Any, pk: Any, *, write: str | None = None) -> tuple[Review, frozenset[Perm]]:
    """WRITE: None, "own" (self-assessment), "cell" (assessment, proposal, vote), "decide" (upper)."""
    try:
        r = Review.objects.select_related(
            "round", "round__organisation", "round__organisation__parent", "member"
        ).get(pk=int(pk))
    except (Review.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy bản kiểm điểm.") from None
    path = r.round.organisation.path
    own = is_self(user, r.member_id)
    perms = get_scope(user).perms_at(path)
    if not own:
        perms = _perms(user, path)
        if r.member_id is not None:
            _need(perms, Perm.ANNUAL_VIEW, OWN_ONLY)
    if write == "own":
        # A member writes their own; the cell's self-assessment is written by the chi ủy.
        if r.member_id is None:
            _need(perms, Perm.ANNUAL_MANAGE, "Chỉ chi ủy viết bản tự kiểm điểm của tập thể chi bộ.")
        elif not own:
            raise PermissionDenied("Chỉ đảng viên tự đánh giá bản kiểm điểm của chính mình.")
    elif write == "cell":
        _need(perms, Perm.ANNUAL_MANAGE, "Chỉ chi ủy (bí thư) đánh giá và đề nghị xếp loại.")
    elif write == "decide":
        _need(perms, Perm.ANNUAL_DECIDE, "Chỉ cấp ủy cấp trên quyết định xếp loại.")
    return r, perms


def shortcoming_for_user(user: Any, pk: Any, *, write: bool = False) -> tuple[Shortcoming, frozenset[Perm]]:
    """Read: the member it concerns, anyone with ANNUAL_VIEW; a cell's own shortcomings every
    member of the cell. Write (remedy plan, follow-up, confirm): ANNUAL_MANAGE only — the chi ủy
    records the follow-up, the member reports to it."""
    try:
        s = Shortcoming.objects.select_related("organisation", "member", "raised_by", "meeting").get(
            pk=int(pk)
        )
    except (Shortcoming.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy hạn chế, khuyết điểm.") from None
    own = is_self(user, s.member_id)
    perms = get_scope(user).perms_at(s.organisation.path)
    if not own:
        perms = _perms(user, s.organisation.path)
        if s.member_id is not None:
            _need(perms, Perm.ANNUAL_VIEW, OWN_ONLY)
    if write:
        _need(perms, Perm.ANNUAL_MANAGE, "Chỉ chi ủy theo dõi và xác nhận khắc phục.")
    return s, perms
