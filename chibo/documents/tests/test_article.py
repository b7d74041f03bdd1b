"""The news-article draft states only facts of the record: every named person, number and date in it
is found in the meeting's own data (checked on every approved meeting of the demo history)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from chibo.documents import article
from chibo.documents.record import build
from chibo.meetings.models import Meeting, MeetingStatus

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"\w+|[^\w\s]")
DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


def capitalised_runs(text: str) -> set[str]:
    """Runs of two or more capitalised words (names of people and places), broken by punctuation."""
    runs, current = set(), []
    for token in TOKEN.findall(text) + ["."]:
        if token[0].isalpha() and token[0].isupper():
            current.append(token)
            continue
        if len(current) >= 2:
            runs.add(" ".join(current))
        current = []
    return runs


def record_sources(m: Meeting) -> tuple[str, set[str], set[str]]:
    """What the record holds, read straight from the database: its texts, numbers and dates."""
    texts = [m.organisation.name, m.organisation.parent.name, m.title, m.place]
    if m.topic:
        texts += [m.topic.title, m.topic.presenter.full_name if m.topic.presenter else ""]
    texts += [a.member.full_name for a in m.attendance.select_related("member")]
    texts += [f"{g.name} {g.position}" for g in m.guests.all()]
    texts += [s.summary for s in m.speeches.all()] + [i.title + " " + i.conclusion for i in m.items.all()]
    texts += [t.title + " " + (t.assignee.full_name if t.assignee else t.assignee_group.name)
              for t in m.tasks_assigned.select_related("assignee", "assignee_group")]
    texts += [v.subject for v in m.votes.all()]
    texts += [m.chair.full_name if m.chair else ""]
    corpus = "\n".join(texts)
    day = timezone.localtime(m.scheduled_at).date()
    dates = {day.strftime("%d/%m/%Y")} | {t.due_date.strftime("%d/%m/%Y") for t in m.tasks_assigned.all() if t.due_date}
    dates |= set(DATE.findall(corpus))
    figures = m.snapshot["figures"]
    vote = m.snapshot["votes"][-1] if m.snapshot["votes"] else {}
    numbers = set(re.findall(r"\d+", corpus)) | set(re.findall(r"\d+", " ".join(dates)))
    numbers |= {str(x) for x in (
        m.attendance.count(), m.attendance.filter(status="present").count(), figures["speakers"], m.fig_score,
        m.tasks_assigned.count(), vote.get("for"), vote.get("eligible"), day.month, day.year,
    )}
    numbers |= set(re.findall(r"\d+", f"{figures['rate_percent']:.1f}")) | {f"{day.month:02d}"}
    return corpus, numbers, dates


def unsupported(text: str, m: Meeting) -> list[str]:
    corpus, numbers, dates = record_sources(m)
    problems = [f"tên: {run}" for run in capitalised_runs(text) if run not in corpus]
    problems += [f"số: {n}" for n in re.findall(r"\d+", text) if n not in numbers]
    problems += [f"ngày: {d}" for d in DATE.findall(text) if d not in dates]
    return problems


def article_text(m: Meeting) -> str:
    return article.article(build(m)).text()


@pytest.fixture
def demo(settings: Any) -> list[Meeting]:
    settings.DEBUG = True
    call_command("seed_demo")
    return list(Meeting.objects.filter(status=MeetingStatus.APPROVED).select_related(
        "organisation__parent", "topic__presenter", "chair"))


def test_every_demo_article_states_only_facts_of_its_record(demo):  # one seed_demo (~30 s) for both checks
    assert len(demo) > 20
    with_guests = 0
    for m in demo:
        text = article_text(m)
        assert unsupported(text, m) == [], (m, text)
        # and it does state the key facts
        assert timezone.localtime(m.scheduled_at).strftime("%d/%m/%Y") in text and m.organisation.name in text
        if m.chair:
            assert m.chair.full_name in text
        upper = [g for g in m.guests.all() if g.is_upper_officer]
        for g in upper:
            assert g.name in text
        with_guests += bool(upper)
    assert with_guests > 0  # the demo has upper-level guests, so the guest sentences were checked too
    # The check itself can fail: an invented person, number or date is caught.
    m = demo[0]
    text = article_text(m)
    assert unsupported(text, m) == []
    assert unsupported(text + " Đồng chí Lò Văn Pả phát biểu.", m) == ["tên: Lò Văn Pả"]
    assert "số: 987" in unsupported(text + " Có 987 hộ.", m)
    assert "ngày: 31/12/1999" in unsupported(text + " Hạn 31/12/1999.", m)
