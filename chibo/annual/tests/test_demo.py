"""The demo holds a year the year-end review can be run on, from commitments to the decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from chibo.accounts.models import User
from chibo.annual import demo, selectors, services
from chibo.annual.models import (
    Commitment,
    CommitmentStatus,
    DuesProfile,
    Remittance,
    ReviewRound,
    ReviewStatus,
    RoundStatus,
    Shortcoming,
    ShortcomingStatus,
)
from chibo.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def test_the_demo_year_can_be_reviewed_to_the_end(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    year = demo.demo_year(timezone.localdate())
    thon1 = Organisation.objects.get(code="DEMO-AB-T1")
    # Dues: every member has a category, some months are flagged, remittances confirmed but the last two.
    assert DuesProfile.objects.values("member").distinct().count() == 31
    if timezone.localdate() >= dt.date(year, 7, 1):  # someone retired in July: a second version
        changed = [r for r in selectors.dues_ledger(thon1, year).rows if r.changes]
        assert changed and all(p.valid_from == dt.date(year, 7, 1) for r in changed for p in r.changes)
    ledger = selectors.dues_ledger(thon1, year)
    assert ledger.year_paid > 0 and ledger.flagged_count > 0
    assert any(r.halved for r in ledger.rows)
    assert Remittance.objects.filter(organisation=thon1, confirmed_at__isnull=False).exists()
    # Commitments and shortcomings.
    assert (
        Commitment.objects.filter(organisation=thon1, year=year, status=CommitmentStatus.APPROVED).count()
        >= 10
    )
    assert Shortcoming.objects.filter(
        organisation=thon1, year=year - 1, status=ShortcomingStatus.OPEN
    ).exists()
    assert Shortcoming.objects.filter(organisation=thon1, meeting__isnull=False).exists()
    # The round is open; the demo member writes her own self-assessment, the cell finishes the year.
    rnd = ReviewRound.objects.get(organisation=thon1, year=year)
    lan = rnd.reviews.get(member__full_name="Trần Thị Lan")
    assert lan.status == ReviewStatus.DRAFT and lan.inputs["meetings_held"] >= 10
    cell_review = rnd.reviews.get(member=None)
    assert (
        cell_review.inputs["shortcomings_previous"] == 1 and len(cell_review.inputs["monthly_grades"]) == 12
    )
    member_user = User.objects.get(username="dangvien.thon1")
    secretary = User.objects.get(username="bithu.thon1")
    officer = User.objects.get(username="danguy.anbinh")
    frames = selectors.rules_for_round(rnd).rating.frames
    for r in rnd.reviews.select_related("member"):
        scores = {c.code: c.points * 4 // 5 for c in frames[r.subject]}
        if r.status == ReviewStatus.DRAFT:
            services.save_self_assessment(
                actor=member_user if r.member_id == lan.member_id else secretary,
                review=r,
                scores=scores,
                strengths="Ưu điểm",
                weaknesses="Hạn chế",
                submit=True,
            )
        r = services.assess(actor=secretary, review=r, scores=scores)
        if r.member_id and r.proposed_level == "tot":
            base = selectors.full_members_count(thon1, timezone.localdate())
            services.record_vote(actor=secretary, review=r, in_favour=base, against=0, base=base)
    services.propose_round(
        actor=secretary,
        round=rnd,
        held_on=dt.date(year, 12, 20)
        if timezone.localdate() >= dt.date(year, 12, 20)
        else timezone.localdate(),
    )
    services.decide_round(actor=officer, round=rnd, note="Đồng ý với đề nghị của chi bộ.")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.DECIDED
    assert not rnd.reviews.filter(final_level="").exists()
