"""Fixtures shared by the member's-year tests."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from chibo.annual import services
from chibo.annual.tests.helpers import PRESENT, assessed_round, held_meeting
from chibo.meetings.models import MeetingStatus

JAN_2025 = dt.date(2025, 1, 1)  # dues profiles in force for the whole of 2025


@pytest.fixture
def y(world):  # type: ignore[no-untyped-def]
    """Lan (member_same) with a dues profile, a meeting in progress, a shortcoming, a submitted
    commitment; last year's review round opened with every review assessed."""
    lan = world.m_same
    services.set_dues_profile(
        actor=world.secretary, member=lan, category="khac", fixed_amount=10_000, valid_from=JAN_2025
    )
    meeting = held_meeting(
        world.cell1, 2025, 3, attendance={lan: PRESENT}, dues={lan: 10_000}, status=MeetingStatus.CLOSED
    )
    shortcoming = services.raise_shortcoming(
        actor=world.secretary,
        cell=world.cell1,
        member=lan,
        raised_by=world.sec_member,
        meeting=meeting,
        text="Chậm báo cáo",
    )
    c = services.start_commitment(actor=world.member_same, member=lan, year=2025)
    services.save_commitment(
        actor=world.member_same,
        commitment=c,
        submit=True,
        political="A",
        ethical="B",
        professional="C",
        assigned_tasks="D",
    )
    other = services.start_commitment(actor=world.secretary, member=world.sec_member, year=2025)
    services.save_commitment(
        actor=world.secretary,
        commitment=other,
        submit=True,
        political="A",
        ethical="B",
        professional="C",
        assigned_tasks="D",
    )
    rnd = assessed_round(world)
    return SimpleNamespace(
        lan=lan,
        meeting=meeting,
        shortcoming=shortcoming,
        commitment=c,
        other_commitment=other,
        rnd=rnd,
        review=rnd.reviews.get(member=lan),
        sec_review=rnd.reviews.get(member=world.sec_member),
        cell_review=rnd.reviews.get(member=None),
    )
