"""The rulebook's optional `oversight` section (dashboard bands) is validated like every rule."""

from __future__ import annotations

import pytest

from chibo.rules import loader

SHIPPED = (loader.RULEBOOK_DIR / "hd42-2025.yaml").read_text(encoding="utf-8")


def test_the_shipped_rulebooks_carry_the_section_with_its_source():
    for book in loader.load_files().values():
        assert book.oversight.attendance_buckets == (50, 70, 85, 95)
        assert "HD 12-HD/BTCTW" in book.oversight.source


def test_a_rulebook_without_the_section_gets_the_defaults():
    start = SHIPPED.index("  oversight:")
    end = SHIPPED.index("  scorecard:")
    book = loader.parse(SHIPPED[:start] + SHIPPED[end:])
    assert book.oversight == loader.OversightRule()


@pytest.mark.parametrize(
    ("buckets", "message"),
    [
        ("[85, 50]", "tăng dần"),
        ("[0, 50]", "tăng dần"),
        ("[]", "tăng dần"),
        ("[50, 50]", "tăng dần"),
        ('["a"]', "tăng dần"),
    ],
)
def test_bad_buckets_are_refused_in_vietnamese(buckets, message):
    text = SHIPPED.replace("attendance_buckets: [50, 70, 85, 95]", f"attendance_buckets: {buckets}")
    with pytest.raises(loader.RulebookError, match=message):
        loader.parse(text)


def test_the_section_needs_a_source():
    text = SHIPPED.replace(
        '    source: "Cách trình bày của bảng theo dõi chibo; mốc 85% theo HD 12-HD/BTCTW (2018)"\n', ""
    )
    with pytest.raises(loader.RulebookError, match="oversight.source"):
        loader.parse(text)
