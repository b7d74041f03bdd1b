"""Tests for chibo.core.vntext (pure Python, no Django needed)."""

from __future__ import annotations

import unicodedata

import pytest

from chibo.core.vntext import (
    canonical_tones,
    clean,
    fold,
    name_sort_key,
    query_is_ascii,
    search_ascii,
    search_folded,
    split_name,
    strip_diacritics,
    vn_sorted,
    word_key,
)

# Real-looking names, in the exact expected order (written out by hand):
# by given name (An < Anh < Ánh < Ân < Ấn < Bích ...), then middle, then family.
EXPECTED_ORDER = [
    "Nguyễn Văn An",
    "Lê Văn Anh",
    "Trần Thị Ánh",
    "Nguyễn Văn Ân",
    "Nguyễn Văn Ấn",
    "Phạm Thị Bích",
    "Đỗ Văn Bình",
    "Hoàng Văn Cường",
    "Vũ Thị Dung",
    "Đặng Văn Đức",
    "Bùi Thị Hà",
    "Ngô Văn Hải",
    "Dương Thị Hoa",
    "Lý Văn Hòa",
    "Trịnh Thị Hương",
    "Mai Văn Khánh",
    "Nguyễn Thị Thu",
    "Lê Văn Thư",
    "Nguyễn Thị Yến",
]

SHUFFLED = [
    "Nguyễn Thị Yến",
    "Lý Văn Hòa",
    "Nguyễn Văn Ấn",
    "Đặng Văn Đức",
    "Trần Thị Ánh",
    "Lê Văn Thư",
    "Bùi Thị Hà",
    "Mai Văn Khánh",
    "Nguyễn Văn Ân",
    "Hoàng Văn Cường",
    "Lê Văn Anh",
    "Dương Thị Hoa",
    "Phạm Thị Bích",
    "Nguyễn Thị Thu",
    "Vũ Thị Dung",
    "Trịnh Thị Hương",
    "Ngô Văn Hải",
    "Đỗ Văn Bình",
    "Nguyễn Văn An",
]


def assert_strictly_increasing(words: list[str]) -> None:
    keys = [word_key(w) for w in words]
    for (left, lk), (right, rk) in zip(
        zip(words, keys), zip(words[1:], keys[1:]), strict=False
    ):
        assert lk < rk, f"{left!r} should sort before {right!r}"


# --------------------------------------------------------------------------
# clean
# --------------------------------------------------------------------------


def test_clean_removes_control_characters() -> None:
    assert clean("Ng\x00uy\x07ễn\x1b") == "Nguyễn"


def test_clean_removes_zero_width_and_bom_characters() -> None:
    assert clean("\ufeffAn\u200b") == "An"


def test_clean_collapses_spaces_and_strips() -> None:
    assert clean("   Nguyễn    Văn   An  ") == "Nguyễn Văn An"


def test_clean_turns_newlines_tabs_and_nbsp_into_single_spaces() -> None:
    assert clean("Nguyễn\nVăn\t\u00a0An\r\n") == "Nguyễn Văn An"


def test_clean_converts_nfd_to_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Trường Hưng")
    assert nfd != "Trường Hưng"
    assert clean(nfd) == "Trường Hưng"
    assert unicodedata.is_normalized("NFC", clean(nfd))


def test_clean_multiline_keeps_newlines_and_tabs() -> None:
    assert clean("  dòng 1  \r\n\tdòng   2\x00\r", multiline=True) == "dòng 1\n\tdòng 2"


def test_clean_of_empty_or_blank_text_is_empty() -> None:
    assert clean("") == ""
    assert clean(" \t\n ") == ""


# --------------------------------------------------------------------------
# canonical_tones
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_style", "new_style"),
    [
        ("Hòa", "Hoà"),
        ("ủy", "uỷ"),
        ("Thúy", "Thuý"),
        ("khỏe", "khoẻ"),
        ("HÒA", "HOÀ"),
        ("hÒa", "hOà"),
        ("Thủy", "Thuỷ"),
        ("tóan", "toán"),
        ("ngòai", "ngoài"),
        ("khủyu", "khuỷu"),
        ("qúy", "quý"),
        ("gìa", "già"),
        ("miá", "mía"),
    ],
)
def test_canonical_tones_moves_tone_to_canonical_vowel(
    old_style: str, new_style: str
) -> None:
    assert canonical_tones(old_style) == new_style
    assert canonical_tones(new_style) == new_style


def test_canonical_tones_makes_both_placements_equal() -> None:
    assert canonical_tones("Hòa") == canonical_tones("Hoà")
    assert canonical_tones("ủy") == canonical_tones("uỷ")
    assert canonical_tones("Thúy") == canonical_tones("Thuý")
    assert canonical_tones("khỏe") == canonical_tones("khoẻ")


@pytest.mark.parametrize(
    "word",
    [
        "Nguyễn",
        "Trường",
        "Quốc",
        "giữa",
        "Hoàng",
        "Khuyến",
        "Người",
        "quả",
        "già",
        "quý",
        "toán",
        "thuận",
        "hài",
        "cáo",
        "mùa",
        "múi",
        "tuổi",
        "ngoài",
        "khuỷu",
        "Quỳnh",
        "nghiêng",
        "gì",
        "yến",
        "ở",
        "Văn",
        "Đức",
        "NGUYỄN",
    ],
)
def test_canonical_tones_leaves_canonical_words_unchanged(word: str) -> None:
    assert canonical_tones(word) == word


def test_canonical_tones_leaves_words_without_tone_and_foreign_words_unchanged() -> (
    None
):
    text = "Nguyen Van An, café José résumé naïve Müller 2024!"
    assert canonical_tones(text) == text


def test_canonical_tones_accepts_nfd_input_and_returns_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Lý Văn Hòa")
    result = canonical_tones(nfd)
    assert result == "Lý Văn Hoà"
    assert unicodedata.is_normalized("NFC", result)


def test_canonical_tones_works_inside_a_sentence() -> None:
    assert canonical_tones("Nguyễn Thị Thúy Hòa, 25 tuổi (khỏe).") == (
        "Nguyễn Thị Thuý Hoà, 25 tuổi (khoẻ)."
    )


def test_canonical_tones_is_idempotent() -> None:
    samples = [*EXPECTED_ORDER, "Hòa", "ủy", "Thúy", "khỏe", "ngòai", "HÒA", "qúy"]
    for sample in samples:
        once = canonical_tones(sample)
        assert canonical_tones(once) == once


# --------------------------------------------------------------------------
# fold / strip_diacritics / search helpers
# --------------------------------------------------------------------------


def test_fold_is_lowercase_and_placement_insensitive() -> None:
    assert fold("  HÒA  ") == "hoà"
    assert fold("Hòa") == fold("Hoà") == fold("HOÀ")
    assert fold("Nguyễn Thị Thúy") == fold("nguyễn thị thuý")


def test_fold_keeps_diacritics_and_lowercases_stroked_d() -> None:
    assert fold("ĐẶNG Đức") == "đặng đức"
    assert fold("Hà") != fold("Ha")
    assert fold("Hà") != fold("Hạ")


def test_strip_diacritics_removes_all_marks_and_maps_d() -> None:
    assert strip_diacritics("Nguyễn Văn Ánh") == "nguyen van anh"
    assert strip_diacritics("ĐẶNG THỊ HƯƠNG") == "dang thi huong"
    assert strip_diacritics(unicodedata.normalize("NFD", "Đỗ  Trường ")) == "do truong"
    assert strip_diacritics("Ưng Ơn Ăn Ân") == "ung on an an"


def test_search_helpers_are_aliases() -> None:
    for name in EXPECTED_ORDER:
        assert search_folded(name) == fold(name)
        assert search_ascii(name) == strip_diacritics(name)


def test_query_is_ascii_detects_vietnamese_queries() -> None:
    assert query_is_ascii("nguyen van an") is True
    assert query_is_ascii("  HOA ") is True
    assert query_is_ascii("") is True
    assert query_is_ascii("Nguyễn") is False
    assert query_is_ascii("Đo") is False
    assert query_is_ascii(unicodedata.normalize("NFD", "hà")) is False


# --------------------------------------------------------------------------
# split_name
# --------------------------------------------------------------------------


def test_split_name_three_words() -> None:
    assert split_name("Nguyễn Văn An") == ("Nguyễn", "Văn", "An")


def test_split_name_long_middle_name() -> None:
    assert split_name("Nguyễn Thị Minh Khai") == ("Nguyễn", "Thị Minh", "Khai")


def test_split_name_two_words_has_empty_middle() -> None:
    assert split_name("Trần An") == ("Trần", "", "An")


def test_split_name_single_word_is_given_name() -> None:
    assert split_name("Madonna") == ("", "", "Madonna")


def test_split_name_empty_name() -> None:
    assert split_name("") == ("", "", "")
    assert split_name("   ") == ("", "", "")


def test_split_name_cleans_whitespace_first() -> None:
    assert split_name("  Lê   Văn\tTám \n") == ("Lê", "Văn", "Tám")


# --------------------------------------------------------------------------
# word_key: letter and tone order
# --------------------------------------------------------------------------


def test_letter_order_a_breve_circumflex() -> None:
    assert_strictly_increasing(["a", "ă", "â", "b"])


def test_letter_order_d_and_stroked_d() -> None:
    assert_strictly_increasing(["d", "dz", "đ", "đa", "e"])


def test_letter_order_e_and_e_circumflex_then_foreign_f() -> None:
    assert_strictly_increasing(["e", "ê", "f", "g"])


def test_letter_order_o_circumflex_horn() -> None:
    assert_strictly_increasing(["o", "ô", "ơ", "p"])


def test_letter_order_u_horn_then_v_w_x_y_z() -> None:
    assert_strictly_increasing(["u", "ư", "v", "w", "x", "y", "z"])


def test_digits_sort_before_letters() -> None:
    assert_strictly_increasing(["0", "9", "a"])


def test_tone_order_is_none_grave_hook_tilde_acute_dot() -> None:
    assert_strictly_increasing(["ma", "mà", "mả", "mã", "má", "mạ"])


def test_primary_difference_beats_tone_difference() -> None:
    assert_strictly_increasing(["an", "án", "anh"])
    assert_strictly_increasing(["Hòa", "Hóa", "Hoan"])


def test_word_key_ignores_case() -> None:
    assert word_key("AN") == word_key("an") == word_key("An")
    assert word_key("ĐỨC") == word_key("đức")


def test_word_key_ignores_tone_placement_and_normalization() -> None:
    assert word_key("Hòa") == word_key("Hoà")
    assert word_key(unicodedata.normalize("NFD", "Hương")) == word_key("Hương")


def test_word_key_of_empty_word_is_empty() -> None:
    assert word_key("") == ""
    assert word_key("-") == ""


def test_word_key_has_fixed_width_codes() -> None:
    assert word_key("a") == "20" + "00" + "01"
    assert word_key("án") == "2037" + "00" + "0501"


# --------------------------------------------------------------------------
# name_sort_key / vn_sorted
# --------------------------------------------------------------------------


def test_keys_contain_only_ascii_digits() -> None:
    for name in [*EXPECTED_ORDER, "Nguyễn Văn 2", "O'Brien Jean-Paul", "Zoë"]:
        key = name_sort_key(name)
        assert key.isascii()
        assert key.isdigit()


def test_vn_sorted_gives_the_hand_written_order() -> None:
    assert vn_sorted(SHUFFLED) == EXPECTED_ORDER
    assert vn_sorted(reversed(EXPECTED_ORDER)) == EXPECTED_ORDER


def test_sorting_by_key_string_equals_expected_order() -> None:
    keys = {name_sort_key(name): name for name in SHUFFLED}
    assert [keys[k] for k in sorted(keys)] == EXPECTED_ORDER


def test_given_name_sorts_before_family_name() -> None:
    assert name_sort_key("Trần Văn An") < name_sort_key("An Văn Bình")
    assert name_sort_key("Vũ Văn Anh") < name_sort_key("Anh Văn Bình")


def test_shorter_given_name_sorts_first_whatever_the_family_name() -> None:
    assert name_sort_key("Vũ Văn An") < name_sort_key("An Văn Anh")
    assert name_sort_key("Ỷ Ỷ Hà") < name_sort_key("A A Hải")


def test_same_given_name_sorts_by_middle_then_family() -> None:
    names = ["Nguyễn Văn An", "Trần Thị An", "Lê Văn An", "Bùi Thị An"]
    assert vn_sorted(names) == [
        "Bùi Thị An",
        "Trần Thị An",
        "Lê Văn An",
        "Nguyễn Văn An",
    ]


def test_shorter_middle_name_sorts_before_longer_one() -> None:
    assert name_sort_key("Nguyễn An") < name_sort_key("Bùi Văn An")
    assert name_sort_key("Trần Văn An") < name_sort_key("Bùi Văn Minh An")


def test_single_word_name_sorts_before_same_given_name_with_family() -> None:
    assert (
        name_sort_key("An")
        < name_sort_key("Nguyễn An")
        < name_sort_key("Nguyễn Văn An")
    )


def test_name_sort_key_is_case_insensitive() -> None:
    assert name_sort_key("NGUYỄN VĂN AN") == name_sort_key("nguyễn văn an")


def test_name_sort_key_ignores_extra_whitespace_and_tone_placement() -> None:
    assert name_sort_key("  Lý   Văn Hòa ") == name_sort_key("Lý Văn Hoà")


def test_name_sort_key_of_empty_name_is_empty() -> None:
    assert name_sort_key("") == ""


def test_name_sort_key_is_truncated_to_255_characters() -> None:
    assert len(name_sort_key("Nguyễn Thị Minh Khai")) < 255
    long_name = " ".join(["Nghiêng"] * 30)
    assert len(name_sort_key(long_name)) == 255


@pytest.mark.parametrize("name", EXPECTED_ORDER)
def test_name_sort_key_is_the_same_for_nfd_input(name: str) -> None:
    assert name_sort_key(unicodedata.normalize("NFD", name)) == name_sort_key(name)
