"""Access helpers for the upper committee's records (built on chibo.accounts.access).

Same contract as the shared helpers: an object outside the user's subtree raises Http404,
a user who may read but not do what is asked gets PermissionDenied (403).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from chibo.accounts.access import get_scope, org_for_user
from chibo.accounts.permissions import Perm
from chibo.organisations.models import Organisation
from chibo.oversight.models import (
    Guidance,
    InspectionItem,
    ModelMeeting,
    OfficerVisit,
    PeerPairing,
    Recommendation,
)


def _perms(user: Any, path: str, need: Perm, read: Perm = Perm.ORG_VIEW) -> bool:
    perms = get_scope(user).perms_at(path)
    if read not in perms:
        raise Http404("Không tìm thấy.")
    if need not in perms:
        raise PermissionDenied("Bạn chỉ có quyền xem, không có quyền thay đổi.")
    return Perm.OVERSIGHT_MANAGE in perms


def committee_for_user(user: Any, pk: Any, *, need: Perm = Perm.ORG_VIEW) -> tuple[Organisation, bool]:
    """An upper committee (not a cell) the user may see; and whether they may manage oversight."""
    org, _ = org_for_user(user, pk, need=need)
    if org.is_cell or org.is_group:
        raise Http404("Đây không phải cấp ủy cấp trên.")
    return org, Perm.OVERSIGHT_MANAGE in get_scope(user).perms_at(org.path)


def guidance_for_user(user: Any, pk: Any, *, need: Perm = Perm.ORG_VIEW) -> tuple[Guidance, bool]:
    try:
        g = Guidance.objects.select_related("committee").get(pk=int(pk))
    except (Guidance.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy định hướng.") from None
    return g, _perms(user, g.committee.path, need)


def visit_for_user(user: Any, pk: Any, *, need: Perm = Perm.ORG_VIEW) -> tuple[OfficerVisit, bool]:
    try:
        v = OfficerVisit.objects.select_related("cell", "committee", "officer", "meeting").get(pk=int(pk))
    except (OfficerVisit.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy lịch dự sinh hoạt.") from None
    return v, _perms(user, v.committee.path, need)


def inspection_item_for_user(
    user: Any, pk: Any, *, need: Perm = Perm.ORG_VIEW
) -> tuple[InspectionItem, bool]:
    try:
        item = InspectionItem.objects.select_related(
            "programme__committee", "subject_cell", "subject_member__organisation", "officer"
        ).get(pk=int(pk))
    except (InspectionItem.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy nội dung kiểm tra.") from None
    return item, _perms(user, item.programme.committee.path, need)


def recommendation_for_follow_up(user: Any, pk: Any) -> tuple[Recommendation, bool]:
    """The committee (OVERSIGHT_MANAGE) or the inspected cell's managers (ORG_MANAGE) report follow-up.

    Returns the recommendation and whether the user may close it (the committee only).
    """
    try:
        rec = Recommendation.objects.select_related(
            "item__programme__committee", "item__subject_cell", "item__subject_member__organisation"
        ).get(pk=int(pk))
    except (Recommendation.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy kiến nghị.") from None
    scope = get_scope(user)
    committee_perms = scope.perms_at(rec.item.programme.committee.path)
    subject_perms = scope.perms_at(rec.item.subject_path)
    if Perm.OVERSIGHT_MANAGE in committee_perms:
        return rec, True
    if Perm.ORG_MANAGE in subject_perms:
        return rec, False
    if Perm.ORG_VIEW in committee_perms or Perm.ORG_VIEW in subject_perms:
        raise PermissionDenied("Bạn chỉ có quyền xem, không có quyền thay đổi.")
    raise Http404("Không tìm thấy kiến nghị.")


def pairing_for_scorer(user: Any, pk: Any) -> PeerPairing:
    """A pairing whose scoring cell the user manages (MEETING_MANAGE there)."""
    try:
        p = PeerPairing.objects.select_related("scorer_cell", "scored_cell", "committee").get(pk=int(pk))
    except (PeerPairing.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy phân công chấm chéo.") from None
    scope = get_scope(user)
    perms = scope.perms_at(p.scorer_cell.path)
    if Perm.MEETING_MANAGE in perms:
        return p
    if Perm.ORG_VIEW in perms or Perm.ORG_VIEW in scope.perms_at(p.scored_cell.path):
        raise PermissionDenied("Chỉ chi ủy của chi bộ được phân công mới chấm chéo.")
    raise Http404("Không tìm thấy phân công chấm chéo.")


def shares_subtree(user: Any, path: str) -> bool:
    """USER holds any grant inside PATH's subtree or above it."""
    scope = get_scope(user)
    if scope.superuser:
        return True
    return any(
        p.startswith(path) or path.startswith(p) for p, perms in scope.grants if Perm.ORG_VIEW in perms
    )


def model_meeting_for_user(user: Any, pk: Any) -> ModelMeeting:
    """A model meeting is shared read-only with everyone in the marking committee's subtree."""
    try:
        mm = ModelMeeting.objects.select_related("meeting__organisation", "committee", "marked_by").get(
            pk=int(pk)
        )
    except (ModelMeeting.DoesNotExist, ValueError, TypeError):
        raise Http404("Không tìm thấy buổi sinh hoạt mẫu.") from None
    if not shares_subtree(user, mm.committee.path):
        raise Http404("Không tìm thấy buổi sinh hoạt mẫu.")
    return mm
