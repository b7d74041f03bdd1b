"""Rulebooks are data files, validated at start-up, every rule with its source."""

from __future__ import annotations

import pytest

from chibo.rules import loader


def test_shipped_rulebooks_load_with_sources():
    books = loader.load_all()
    assert {"hd42-2025", "hd12-2018"} <= set(books)
    for book in books.values():
        assert book.cell_structure.source
        assert book.cell_structure.min_full_members == 3
        assert book.cell_structure.committee_from_full_members == 9


GOOD = """
code: x
version: 1
name: X
rules:
  cell_structure: {min_full_members: 3, committee_from_full_members: 9, min_committee_size: 3, source: "Điều lệ"}
"""


def test_a_valid_rulebook_parses():
    assert loader.parse(GOOD).cell_structure.min_committee_size == 3


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("a: [", "YAML"),
        ("- 1", "mapping"),
        (GOOD.replace('source: "Điều lệ"', 'source: ""'), "phải ghi nguồn"),
        (GOOD.replace("min_full_members: 3", "min_full_members: ba"), "số nguyên"),
        (GOOD.replace("code: x", ""), "Thiếu mã"),
        (GOOD.replace("  cell_structure", "  other"), "cell_structure"),
    ],
)
def test_invalid_rulebooks_are_refused_with_clear_errors(text, phrase):
    with pytest.raises(loader.RulebookError, match=phrase):
        loader.parse(text)
