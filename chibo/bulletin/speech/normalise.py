"""Text → words a newsreader says. The project's layer over vietnormalizer.

vietnormalizer reads plain numbers, percentages, money, times, units and Roman numerals well, but
on news text it says "ngày ngày" for "Ngày 25/12/2023", reads "15/16 đảng viên" as a date or
"mười lăm/mười sáu", "5-7 người" as "năm tháng bảy", spells "12-HD/BTCTW" letter by letter and
"số 1" as "số nhất". This layer runs first and settles those forms; the rest goes to vietnormalizer.

Order: document symbols → acronyms (data/speech.yaml) → numbers with separators → dates →
fractions → ranges → "số N" → single Roman numerals after cue words → vietnormalizer.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "speech.yaml"
# Letters a Vietnamese word can hold (for word boundaries): ASCII letters, Vietnamese letters, đ/Đ.
_L = "A-Za-zÀ-ỹĐđ"
_B = rf"(?<![{_L}0-9])"  # left word boundary
_E = rf"(?![{_L}0-9])"  # right word boundary


@dataclass(frozen=True)
class SpeechData:
    acronyms: dict[str, str]
    party_types: dict[str, str]
    state_types: dict[str, str]
    issuers: dict[str, str]
    fraction_nouns: tuple[str, ...]
    roman_cues: tuple[str, ...]


@functools.cache
def load_data(path: str = str(DATA_FILE)) -> SpeechData:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return SpeechData(
        acronyms={str(k): str(v) for k, v in raw["acronyms"].items()},
        party_types={str(k): str(v) for k, v in raw["party_types"].items()},
        state_types={str(k): str(v) for k, v in raw["state_types"].items()},
        issuers={str(k): str(v) for k, v in raw["issuers"].items()},
        fraction_nouns=tuple(raw["fraction_nouns"]),
        roman_cues=tuple(raw["roman_cues"]),
    )


@functools.cache
def _vn():  # type: ignore[no-untyped-def]
    from vietnormalizer import VietnameseNormalizer

    return VietnameseNormalizer()


def number(digits: str) -> str:
    """'21' → 'hai mươi mốt' (vietnormalizer's reading of an integer)."""
    return _vn().processor.number_to_words(digits)


def decimal(text: str) -> str:
    """'3,5' or '3.5' → 'ba phẩy năm'."""
    whole, _, frac = re.split(r"([.,])", text, maxsplit=1) if re.search(r"[.,]", text) else (text, "", "")
    if not frac:
        return number(whole)
    frac_words = number(frac) if not frac.startswith("0") else " ".join(number(d) for d in frac)
    return f"{number(whole)} phẩy {frac_words}"


MONTHS = {
    1: "một",
    2: "hai",
    3: "ba",
    4: "tư",
    5: "năm",
    6: "sáu",
    7: "bảy",
    8: "tám",
    9: "chín",
    10: "mười",
    11: "mười một",
    12: "mười hai",
}


def _day(d: int) -> str:
    # Announcers say "mùng" for the first ten days ("ngày mùng hai tháng chín").
    return f"mùng {number(str(d))}" if d <= 10 else number(str(d))


def _valid(d: int, m: int) -> bool:
    return 1 <= d <= 31 and 1 <= m <= 12


# --- document symbols ---------------------------------------------------------------------
_UP = "A-ZĐ"
_CODE = rf"[{_UP}][{_UP}a-z]*"
# Party: 12-HD/BTCTW, 366-QĐ/TW, 57-NQ/TW, 05-KL/TU
_PARTY_SYMBOL = re.compile(rf"{_B}(\d+)-({_CODE})/({_CODE}(?:-?{_CODE})*\d*){_E}")
# State: 15/2024/NĐ-CP, 123/QĐ-UBND, 56/2024/QH15
_STATE_SYMBOL = re.compile(rf"{_B}(\d+)/(?:(\d{{4}})/)?({_CODE})-({_CODE}(?:-{_CODE})*\d*){_E}")
_STATE_LAW = re.compile(rf"{_B}(\d+)/(\d{{4}})/(QH\d+){_E}")


def _issuer(code: str, data: SpeechData) -> str:
    if code in data.issuers:
        return data.issuers[code]
    code = code.replace("-", "")
    if code in data.issuers:
        return data.issuers[code]
    parts: list[str] = []
    rest = code
    while rest:
        for size in range(len(rest), 0, -1):
            head = rest[:size]
            if head in data.issuers or head in data.acronyms:
                parts.append(data.issuers.get(head) or data.acronyms[head])
                rest = rest[size:]
                break
        else:
            m = re.match(r"\d+", rest)
            if m:
                parts.append(f"khóa {number(m.group(0))}")
                rest = rest[m.end() :]
            else:  # unknown: leave the letters to vietnormalizer's spelling
                parts.append(rest)
                rest = ""
    return " ".join(parts)


def _named_before(text: str, start: int, names: list[str]) -> tuple[bool, bool]:
    """Is the symbol at START preceded by a document-type word (and by 'số')?"""
    before = text[max(0, start - 40) : start].rstrip()
    has_so = bool(re.search(rf"{_B}số$", before, re.IGNORECASE))
    if has_so:
        before = before[:-3].rstrip()
    low = before.lower()
    return any(low.endswith(n.lower()) for n in names), has_so


def _symbol_reading(
    text: str, m: re.Match[str], kind: str, no: str, issuer: str, year: str | None, names: list[str]
) -> str:
    named, has_so = _named_before(text, m.start(), names)
    parts = []
    if not named:
        parts.append(kind)
    if not has_so:
        parts.append("số")
    parts.append(number(no))
    if year:
        parts.append(f"năm {number(year)}")
    # "Hướng dẫn 12-HD/BTCTW của Ban Tổ chức Trung ương": the issuer is already said.
    if not re.match(r"\s*(của|do)\s", m.string[m.end() : m.end() + 6], re.IGNORECASE):
        parts.append(f"của {issuer}")
    return " ".join(parts)


def document_symbols(text: str, data: SpeechData) -> str:
    names = sorted(
        set(data.party_types.values()) | set(data.state_types.values()) | {"Quyết định"},
        key=len,
        reverse=True,
    )

    def law(m: re.Match[str]) -> str:
        return _symbol_reading(
            m.string, m, "Luật", m.group(1), _issuer(m.group(3), data), m.group(2), names + ["Luật"]
        )

    def party(m: re.Match[str]) -> str:
        kind = data.party_types.get(m.group(2))
        if kind is None:
            return m.group(0)
        return _symbol_reading(m.string, m, kind, m.group(1), _issuer(m.group(3), data), None, names)

    def state(m: re.Match[str]) -> str:
        kind = data.state_types.get(m.group(3))
        if kind is None:
            return m.group(0)
        return _symbol_reading(m.string, m, kind, m.group(1), _issuer(m.group(4), data), m.group(2), names)

    text = _sub_each(_STATE_LAW, law, text)
    text = _sub_each(_PARTY_SYMBOL, party, text)
    return _sub_each(_STATE_SYMBOL, state, text)


def _sub_each(pattern: re.Pattern[str], fn, text: str) -> str:  # type: ignore[no-untyped-def]
    """re.sub where FN sees the text as it stands (so look-behind sees earlier replacements)."""
    out = text
    pos = 0
    while True:
        m = pattern.search(out, pos)
        if not m:
            return out
        repl = fn(m)
        out = out[: m.start()] + repl + out[m.end() :]
        pos = m.start() + len(repl)


# --- acronyms -----------------------------------------------------------------------------
@functools.cache
def _acronym_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"{_B}({alternatives}){_E}")


_PAREN = re.compile(rf"\s*\(([{_UP}][{_UP}A-Za-z]+)\)")


def acronyms(text: str, data: SpeechData) -> str:
    def paren(m: re.Match[str]) -> str:
        # "Đảng ủy (ĐU)": the acronym after its own expansion is not read twice.
        full = data.acronyms.get(m.group(1), "")
        said = m.string[: m.start()].lower()
        return "" if full and said.endswith(full.lower()) else m.group(0)

    text = _PAREN.sub(paren, text)
    pattern = _acronym_pattern(tuple(data.acronyms))
    return pattern.sub(lambda m: data.acronyms[m.group(1)], text)


# --- numbers, dates, fractions, ranges ----------------------------------------------------
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d{3})+)(,\d+)?(?![\d.]*\d)")
_DOT_DECIMAL = re.compile(r"(?<![\d.,/])(\d+)\.(\d{1,2}|\d{4,})(?![\d.,/])")
_FULL_DATE = re.compile(rf"{_B}(?:(ngày|Ngày)\s+)?(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}){_E}")
_MONTH_YEAR = re.compile(rf"{_B}(?:(tháng|Tháng)\s+)?(\d{{1,2}})/(\d{{4}}){_E}")
_DAY_RANGE = re.compile(rf"{_B}(?:(ngày|Ngày|từ|Từ)\s+)?(\d{{1,2}})\s*[-–]\s*(\d{{1,2}})/(\d{{1,2}}){_E}")
_SLASH = re.compile(rf"{_B}(?:([{_L}]+)\s+)?(\d{{1,3}})/(\d{{1,3}})(?!/)(?:\s+([{_L} ]+))?")
_RANGE = re.compile(r"(?<![\d/.,])(\d+(?:,\d+)?)\s*[-–]\s*(\d+(?:,\d+)?)(?![\d/%]|\s*%)")
_SO = re.compile(rf"{_B}(số|Số|lần|Lần|bước|Bước|phần|Phần|chương|Chương|tập|Tập)\s+(\d+){_E}")
DATE_CUES = (
    "ngày",
    "hôm",
    "sáng",
    "trưa",
    "chiều",
    "tối",
    "đêm",
    "từ",
    "đến",
    "tới",
    "trước",
    "sau",
    "đầu",
    "cuối",
)


def numbers_with_separators(text: str) -> str:
    text = _THOUSANDS.sub(lambda m: m.group(1).replace(".", "") + (m.group(2) or ""), text)
    return _DOT_DECIMAL.sub(lambda m: f"{m.group(1)},{m.group(2)}", text)


def dates(text: str) -> str:
    def full(m: re.Match[str]) -> str:
        d, mo, y = int(m.group(2)), int(m.group(3)), m.group(4)
        if not _valid(d, mo):
            return m.group(0)
        word = m.group(1) or "ngày"
        return f"{word} {_day(d)} tháng {MONTHS[mo]} năm {number(y)}"

    def month_year(m: re.Match[str]) -> str:
        mo = int(m.group(2))
        if not 1 <= mo <= 12:
            return m.group(0)
        return f"{m.group(1) or 'tháng'} {MONTHS[mo]} năm {number(m.group(3))}"

    def day_range(m: re.Match[str]) -> str:
        a, b, mo = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if not (_valid(a, mo) and _valid(b, mo) and a < b):
            return m.group(0)
        cue = m.group(1) or ""
        lead = f"{cue} " if cue else "từ "
        if cue.lower() == "ngày":
            lead = f"{cue} "
        return f"{lead}{_day(a)} đến {_day(b)} tháng {MONTHS[mo]}"

    text = _FULL_DATE.sub(full, text)
    text = _DAY_RANGE.sub(day_range, text)
    return _MONTH_YEAR.sub(month_year, text)


def slashes(text: str, data: SpeechData) -> str:
    """'30/11' → date (valid day/month, not before a counted noun), '15/16 đảng viên' → fraction."""

    def repl(m: re.Match[str]) -> str:
        before, a, b, after = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4) or ""
        lead = f"{before} " if before else ""
        tail = f" {after}" if after else ""
        counted = any(after.lower().startswith(n) for n in data.fraction_nouns)
        cue = (before or "").lower() in DATE_CUES
        if _valid(a, b) and (cue or not counted):
            day = "ngày " if not cue or (before or "").lower() in ("từ", "đến", "tới", "trước", "sau") else ""
            if (before or "").lower() == "ngày":
                day = ""
            return f"{lead}{day}{_day(a)} tháng {MONTHS[b]}{tail}"
        return f"{lead}{number(str(a))} trên {number(str(b))}{tail}"

    return _SLASH.sub(repl, text)


_PERCENT_RANGE = re.compile(r"(?<![\d,])(\d+(?:,\d+)?)\s*%?\s*[-–]\s*(\d+(?:,\d+)?)\s*%")
_PERCENT = re.compile(r"(?<![\d,])(\d+(?:,\d+)?)\s*%")
_DECIMAL = re.compile(r"(?<![\d,.])(\d+),(\d+)(?![\d,])")
_PER = re.compile(rf"{_B}([{_L}]+)/(tháng|năm|ngày|tuần|giờ|người|hộ|lượt|kg|ha|km){_E}")


def percents_and_decimals(text: str) -> str:
    """Decimals read their zeros ("7,09" → "bảy phẩy không chín"); "%" → "phần trăm"."""
    text = _PERCENT_RANGE.sub(lambda m: f"{decimal(m.group(1))} đến {decimal(m.group(2))} phần trăm", text)
    text = _PERCENT.sub(lambda m: f"{decimal(m.group(1))} phần trăm", text)
    text = _DECIMAL.sub(lambda m: decimal(f"{m.group(1)},{m.group(2)}"), text)
    return _PER.sub(lambda m: f"{m.group(1)} mỗi {m.group(2)}", text)


def ranges(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        a, b = m.group(1), m.group(2)
        return f"{decimal(a) if ',' in a else number(a)} đến {decimal(b) if ',' in b else number(b)}"

    return _RANGE.sub(repl, text)


def counted_numbers(text: str) -> str:
    # vietnormalizer reads "số 1" as "số nhất"; announcers say "số một".
    return _SO.sub(lambda m: f"{m.group(1)} {number(m.group(2))}", text)


@functools.cache
def _roman_pattern(cues: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True))
    return re.compile(rf"{_B}({words})\s+([IVX]{{1,4}}){_E}", re.IGNORECASE)


_ROMAN = {"I": 1, "V": 5, "X": 10}


def _roman_value(s: str) -> int:
    total, prev = 0, 0
    for ch in reversed(s):
        v = _ROMAN[ch]
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def roman_after_cues(text: str, data: SpeechData) -> str:
    def repl(m: re.Match[str]) -> str:
        if not m.group(2).isupper():
            return m.group(0)
        return f"{m.group(1)} {number(str(_roman_value(m.group(2))))}"

    return _roman_pattern(data.roman_cues).sub(repl, text)


# --- entry point --------------------------------------------------------------------------
def prepare(text: str, data: SpeechData | None = None) -> str:
    """The project's own pass: everything up to (not including) vietnormalizer."""
    data = data or load_data()
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = document_symbols(text, data)
    text = acronyms(text, data)
    text = numbers_with_separators(text)
    text = dates(text)
    text = percents_and_decimals(text)
    text = ranges(text)
    text = slashes(text, data)
    text = counted_numbers(text)
    return roman_after_cues(text, data)


def normalise(text: str, data: SpeechData | None = None) -> str:
    """Words to speak for TEXT: lower-case Vietnamese, numbers and symbols spelled out."""
    if not text or not text.strip():
        return ""
    prepared = prepare(text, data)
    return _vn().normalize(prepared, enable_transliteration=True)
