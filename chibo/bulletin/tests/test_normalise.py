"""The newsreader's normaliser: golden readings of tricky news text, and its rules one by one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chibo.bulletin.speech import normalise as n

GOLDEN = yaml.safe_load((Path(__file__).parent / "golden" / "normalise.yaml").read_text(encoding="utf-8"))


def test_the_golden_file_holds_at_least_sixty_cases():
    assert len(GOLDEN) >= 60
    assert len({row["in"] for row in GOLDEN}) == len(GOLDEN)


@pytest.mark.parametrize("row", GOLDEN, ids=[row["in"][:40] for row in GOLDEN])
def test_it_reads_news_text_as_an_announcer_would(row):
    assert n.normalise(row["in"]) == row["out"]


def test_a_full_date_says_ngay_once():
    assert n.normalise("Ngày 25/12/2023").count("ngày") == 1
    assert n.normalise("ngày 30/8/2025") == "ngày ba mươi tháng tám năm hai nghìn không trăm hai mươi lăm"


def test_the_brief_example_of_a_document_symbol():
    assert n.normalise("Hướng dẫn số 12-HD/BTCTW") == "hướng dẫn số mười hai của ban tổ chức trung ương"


def test_an_invalid_date_is_read_as_a_fraction():
    assert n.normalise("32/13") == "ba mươi hai trên mười ba"


def test_a_party_qd_is_a_regulation_and_a_state_qd_a_decision():
    assert n.normalise("366-QĐ/TW").startswith("quy định số")
    assert n.normalise("123/QĐ-UBND").startswith("quyết định số")


def test_an_unknown_document_type_is_left_to_vietnormalizer():
    out = n.normalise("12-ZZ/TW")
    assert "của" not in out


def test_the_acronym_dictionary_is_data(tmp_path):
    data = yaml.safe_load(n.DATA_FILE.read_text(encoding="utf-8"))
    data["acronyms"]["CBX"] = "cán bộ xã"
    path = tmp_path / "speech.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert n.normalise("CBX họp", n.load_data(str(path))) == "cán bộ xã họp"
    for key in (
        "TW",
        "BCH",
        "BTV",
        "UVBTV",
        "BCT",
        "ĐU",
        "HĐND",
        "UBND",
        "MTTQ",
        "QĐ",
        "NQ",
        "CT",
        "KL",
        "HD",
        "đ/c",
    ):
        assert key in data["acronyms"], key


def test_empty_text_speaks_nothing():
    assert n.normalise("   ") == ""
