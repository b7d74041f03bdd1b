"""The extractive summary: central sentences, original order, within the budget."""

from __future__ import annotations

from chibo.bulletin.summarise import sentences, summarise

ARTICLE = (
    "Sáng 28/11, Ban Thường vụ Tỉnh ủy tổ chức hội nghị sơ kết công tác xây dựng Đảng năm 2025. "
    "Hội nghị đánh giá công tác xây dựng Đảng đạt nhiều kết quả quan trọng. "
    "Thời tiết hôm đó nắng đẹp. "
    "Công tác kết nạp đảng viên mới vượt chỉ tiêu, chất lượng sinh hoạt chi bộ được nâng lên. "
    "Nhiều đại biểu đến sớm. "
    "Hội nghị chỉ ra hạn chế trong công tác kiểm tra, giám sát của một số chi bộ. "
    "Bí thư Tỉnh ủy yêu cầu các cấp ủy tiếp tục nâng cao chất lượng sinh hoạt chi bộ và công tác xây dựng Đảng. "
    "Buổi chiều có mưa nhỏ."
)


def test_it_keeps_the_lead_and_drops_the_asides():
    short = summarise(ARTICLE, max_sentences=3, max_chars=600)
    assert short.startswith("Sáng 28/11, Ban Thường vụ Tỉnh ủy")
    assert "Thời tiết" not in short and "mưa nhỏ" not in short and "đến sớm" not in short
    assert len(sentences(short)) == 3


def test_sentences_stay_in_their_original_order():
    short = summarise(ARTICLE, max_sentences=3)
    picked = sentences(short)
    positions = [ARTICLE.index(s) for s in picked]
    assert positions == sorted(positions)


def test_a_short_text_is_returned_whole():
    text = "Chi bộ thôn 1 họp định kỳ. Đảng viên dự đầy đủ."
    assert summarise(text) == text


def test_it_respects_the_character_budget():
    assert len(summarise(ARTICLE * 3, max_sentences=10, max_chars=300)) <= 300
