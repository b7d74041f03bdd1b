"""Rulebooks are data files, validated at start-up, every rule with its source."""

from __future__ import annotations

import pytest

from chibo.rules import loader

GOOD = (loader.RULEBOOK_DIR / "hd42-2025.yaml").read_text(encoding="utf-8")


def test_shipped_rulebooks_load_with_sources():
    books = loader.load_files()
    assert {"hd42-2025", "hd12-2018"} <= set(books)
    for book in books.values():
        for rule in (book.cell_structure, book.frequency, book.duration, book.documents, book.attendance, book.vote, book.scorecard):
            assert rule.source
        assert book.cell_structure.min_full_members == 3
        assert book.cell_structure.committee_from_full_members == 9
        assert set(book.agenda) == set(loader.MEETING_KINDS)
        for variant in book.scorecard.variants.values():
            assert sum(c.points for c in variant) == 100


def test_the_current_rulebook_carries_hd42_thresholds():
    book = loader.load_files()["hd42-2025"]
    assert (book.duration.min_minutes, book.duration.min_minutes_combined) == (90, 120)
    assert book.documents.publish_days_before == 1 and book.documents.notify_upper_committee
    assert [b.label for b in book.scorecard.bands] == ["Tốt", "Khá", "Trung bình", "Kém"]


def test_a_valid_rulebook_parses():
    assert loader.parse(GOOD).code == "hd42-2025"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("a: [", "YAML"),
        ("- 1", "mapping"),
        (GOOD.replace('source: "HD 42-HD/BTCTW (2025)"', 'source: ""', 1), "phải ghi nguồn"),
        (GOOD.replace("min_full_members: 3", "min_full_members: ba"), "số nguyên"),
        (GOOD.replace("code: hd42-2025", ""), "Thiếu mã"),
        (GOOD.replace("  cell_structure:", "  other:"), "cell_structure"),
        (GOOD.replace("{code: duration, group: chairing, points: 10", "{code: duration, group: chairing, points: 11"), "tổng điểm"),
        (GOOD.replace("min_rate_percent: 85", "min_rate_percent: 185"), "từ 0 đến 100"),
        (GOOD.replace("auto: speakers,", "auto: guesswork,"), "phép đo tự động"),
        (GOOD.replace("{grade: kha, label: \"Khá\", min: 70}", "{grade: kha, label: \"Khá\", min: 95}"), "giảm dần"),
        (GOOD.replace("excluded_from_base: [exempt, special_duty, away]", "excluded_from_base: [tired]"), "chỉ được dùng"),
        (GOOD.replace("    thematic:\n      - {code: roll_call", "    thematic_x:\n      - {code: roll_call"), "agenda.thematic"),
    ],
)
def test_invalid_rulebooks_are_refused_with_clear_errors(text, phrase):
    with pytest.raises(loader.RulebookError, match=phrase):
        loader.parse(text)
