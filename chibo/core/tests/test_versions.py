"""Version tokens: equal values give equal tokens, any change to an edited field gives another."""

from __future__ import annotations

import datetime as dt

import pytest

from chibo.core import versions


def test_a_token_follows_the_values_and_only_them():
    a = versions.token("Thống nhất làm đường.", dt.date(2026, 11, 30), {"b": 1, "a": 2})
    assert a == versions.token("Thống nhất làm đường.", dt.date(2026, 11, 30), {"a": 2, "b": 1})
    assert len(a) == 16
    assert a != versions.token("Thống nhất làm đường", dt.date(2026, 11, 30), {"a": 2, "b": 1})
    assert a != versions.token("Thống nhất làm đường.", dt.date(2026, 12, 1), {"a": 2, "b": 1})
    assert versions.token("") != versions.token(None)  # an empty text is not "no record"


def test_check_refuses_only_a_sent_stale_token():
    now = versions.token("B")
    versions.check(None, now, "x")  # no token: no check (older clients)
    versions.check("", now, "x")
    versions.check(now, now, "x")
    with pytest.raises(versions.Stale) as exc:
        versions.check(versions.token("A"), now, "Đã có người sửa: “B”.")
    assert exc.value.current == now and exc.value.messages == ["Đã có người sửa: “B”."]


def test_quoted_shows_the_current_value_in_a_message():
    assert versions.quoted("") == "(để trống)"
    assert versions.quoted("  Đình làng ") == "“Đình làng”"
    assert versions.quoted("x" * 400, limit=10) == "“" + "x" * 10 + "…”"
