"""Vietnamese text helpers: cleaning, tone-mark normalisation, search keys, collation.

Pure standard-library module (no Django) so it can be used from models, forms,
migrations and scripts alike.

Overview
--------
* :func:`clean` - NFC, control characters removed, whitespace collapsed.
* :func:`canonical_tones` - put every tone mark on one canonical vowel
  ("new style": ``hoà``, ``khoẻ``, ``thuỷ``), so "Hòa" and "Hoà" compare equal.
* :func:`fold` / :func:`search_folded` - diacritic-sensitive, placement-insensitive
  lower-case form for matching.
* :func:`strip_diacritics` / :func:`search_ascii` - plain ASCII-ish lower-case form.
* :func:`query_is_ascii` - which of the two search columns a query should use.
* :func:`split_name` - (family, middle, given).
* :func:`word_key`, :func:`name_sort_key`, :func:`vn_sorted` - Vietnamese collation
  expressed as digit-only strings that sort identically under any database collation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "canonical_tones",
    "clean",
    "fold",
    "name_sort_key",
    "query_is_ascii",
    "search_ascii",
    "search_folded",
    "split_name",
    "strip_diacritics",
    "vn_sorted",
    "word_key",
]

# --------------------------------------------------------------------------
# Combining marks used by Vietnamese (as they appear after NFD decomposition)
# --------------------------------------------------------------------------

GRAVE = "\u0300"  # huyền
HOOK = "\u0309"  # hỏi
TILDE = "\u0303"  # ngã
ACUTE = "\u0301"  # sắc
DOT_BELOW = "\u0323"  # nặng
TONE_MARKS: frozenset[str] = frozenset({GRAVE, HOOK, TILDE, ACUTE, DOT_BELOW})

BREVE = "\u0306"  # ă
CIRCUMFLEX = "\u0302"  # â ê ô
HORN = "\u031b"  # ơ ư
SHAPE_MARKS: frozenset[str] = frozenset({BREVE, CIRCUMFLEX, HORN})

# (lower-case base letter, shape mark) -> Vietnamese letter
_SHAPED_LETTERS: dict[tuple[str, str], str] = {
    ("a", BREVE): "ă",
    ("a", CIRCUMFLEX): "â",
    ("e", CIRCUMFLEX): "ê",
    ("o", CIRCUMFLEX): "ô",
    ("o", HORN): "ơ",
    ("u", HORN): "ư",
}

_VOWELS = frozenset("aeiouy")
# Base letters (lower case, after NFD) that may appear in a Vietnamese syllable.
_VN_BASE_LETTERS = frozenset("abcdeghiklmnopqrstuvxyđ")

# initial consonant (optional) + vowel cluster + final consonant (optional),
# matched against the lower-case *base* letters of a word. Alternation order
# matters: longer initials first; "gi"/"qu" take the i/u into the consonant
# only when another vowel follows (the regex backtracks otherwise).
_SYLLABLE_RE = re.compile(
    r"(ngh|ng|gh|gi|kh|nh|ph|th|tr|ch|qu|[bcdđghklmnprstvx])?"
    r"([aeiouy]+)"
    r"(ch|ng|nh|[cmnpt])?"
)

_STROKED_D = frozenset("đĐ")
# Icelandic eth is often typed by mistake for Vietnamese Đ (they look identical).
_ETH_TO_D = {"ð": "đ", "Ð": "Đ"}


# --------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------


def _clean_line(line: str, *, keep_tabs: bool) -> str:
    """Clean one line: drop control/format characters, map whitespace to spaces."""
    chars: list[str] = []
    for ch in line:
        if keep_tabs and ch == "\t":
            chars.append(ch)
        elif ch.isspace():
            chars.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs"):
            continue
        else:
            chars.append(ch)
    result = unicodedata.normalize("NFC", "".join(chars))
    return re.sub(" {2,}", " ", result)


def clean(text: str, *, multiline: bool = False) -> str:
    """Return ``text`` normalised for storage and comparison.

    * Unicode NFC normalisation.
    * Control (``Cc``), format (``Cf``, e.g. zero-width space, BOM, soft hyphen)
      and lone surrogate characters are removed.
    * Single-line mode (default): every whitespace character (tab, newline,
      no-break space, ...) becomes a plain space.
    * ``multiline=True``: line breaks of any kind (``\\r\\n``, ``\\r``,
      ``\\u2028``, ...) become ``\\n`` and tabs are kept; trailing spaces on each
      line are removed.
    * Runs of spaces are collapsed into one and the result is stripped.
    """
    if not multiline:
        if (
            text.isprintable()  # no Cc/Cf/Cs character and no whitespace but " "
            and "  " not in text
            and text == text.strip()
            and unicodedata.is_normalized("NFC", text)
        ):
            return text  # already clean (most stored values): skip the per-character pass
        return _clean_line(text, keep_tabs=False).strip()
    lines = [
        _clean_line(line, keep_tabs=True).rstrip(" ") for line in text.splitlines()
    ]
    return "\n".join(lines).strip()


# --------------------------------------------------------------------------
# Tone-mark placement
# --------------------------------------------------------------------------


def _is_word_char(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch).startswith("M")


def _tone_target(cluster: list[tuple[str, bool]], has_final: bool) -> int | None:
    """Index (inside the vowel cluster) of the vowel that carries the tone.

    ``cluster`` is a list of ``(lower-case base vowel, has shape diacritic)``.
    """
    shaped = [i for i, (_, is_shaped) in enumerate(cluster) if is_shaped]
    if shaped:
        # ươ -> ơ, uyê / iê / yê -> ê, ưu / ưa -> ư, âu / ây -> â ...
        return shaped[-1]
    if len(cluster) == 1:
        return 0
    if len(cluster) == 2:
        pair = cluster[0][0] + cluster[1][0]
        if has_final or pair in ("oa", "oe", "uy"):
            return 1
        return 0
    if len(cluster) == 3:
        return 1  # oai, oay, uya, uyu, oeo
    return None


@lru_cache(maxsize=65536)  # names and places reuse a few thousand syllables
def _canonical_word(word: str) -> str:
    """Move the tone mark of one NFD word; return the word unchanged if not Vietnamese."""
    letters: list[tuple[str, list[str]]] = []
    for ch in word:
        if unicodedata.category(ch).startswith("M"):
            if not letters:
                return word
            letters[-1][1].append(ch)
        else:
            letters.append((ch, []))

    bases: list[str] = []
    for base, _ in letters:
        lowered = base.lower()
        if len(lowered) != 1 or lowered not in _VN_BASE_LETTERS:
            return word
        bases.append(lowered)

    tone: str | None = None
    tone_index = -1
    shaped_flags: list[bool] = []
    for index, (_, marks) in enumerate(letters):
        shape_count = 0
        for mark in marks:
            if mark in TONE_MARKS:
                if tone is not None:
                    return word  # two tone marks: not a Vietnamese syllable
                tone, tone_index = mark, index
            elif (bases[index], mark) in _SHAPED_LETTERS:
                shape_count += 1
            else:
                return word  # foreign diacritic (diaeresis, cedilla, ...)
        if shape_count > 1:
            return word
        shaped_flags.append(shape_count == 1)

    if tone is None or bases[tone_index] not in _VOWELS:
        return word

    match = _SYLLABLE_RE.fullmatch("".join(bases))
    if match is None:
        return word
    start, end = match.span(2)
    cluster = [(bases[i], shaped_flags[i]) for i in range(start, end)]
    offset = _tone_target(cluster, has_final=match.group(3) is not None)
    if offset is None:
        return word
    target = start + offset

    parts: list[str] = []
    for index, (base, marks) in enumerate(letters):
        parts.append(base)
        parts.extend(mark for mark in marks if mark not in TONE_MARKS)
        if index == target:
            parts.append(tone)
    return "".join(parts)


def canonical_tones(text: str) -> str:
    """Return NFC ``text`` with every Vietnamese tone mark on its canonical vowel.

    The canonical ("new style") rule, applied per syllable:

    * a vowel with a shape diacritic (ă â ê ô ơ ư) takes the tone
      (the ơ of ươ, the ê of uyê/iê/yê);
    * the u of "qu" and the i of "gi" (before another vowel) belong to the
      consonant: ``quả``, ``già``, ``giữ``, ``quý``;
    * one vowel: that vowel;
    * two vowels: the second if a final consonant follows (``toán``, ``hoàng``)
      or for ``oa``, ``oe``, ``uy`` (``hoà``, ``khoẻ``, ``thuỷ``), else the first
      (``hài``, ``mùa``, ``múi``);
    * three vowels: the middle one (``ngoài``, ``khuỷu``).

    Letter case is preserved. Words that are not a single well-formed Vietnamese
    syllable with exactly one tone mark (foreign words such as "café" or
    "résumé", words without a tone) are left as they are. Input may be NFC or NFD.
    The function is idempotent.
    """
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    i = 0
    length = len(decomposed)
    while i < length:
        if _is_word_char(decomposed[i]):
            j = i
            while j < length and _is_word_char(decomposed[j]):
                j += 1
            out.append(_canonical_word(decomposed[i:j]))
            i = j
        else:
            out.append(decomposed[i])
            i += 1
    return unicodedata.normalize("NFC", "".join(out))


# --------------------------------------------------------------------------
# Search forms
# --------------------------------------------------------------------------


def fold(text: str) -> str:
    """Diacritic-sensitive, tone-placement-insensitive, lower-case form for matching.

    ``fold("Hòa") == fold("HOÀ") == "hoà"`` but ``fold("Hà") != fold("Ha")``.
    """
    return unicodedata.normalize("NFC", canonical_tones(clean(text)).lower())


def strip_diacritics(text: str) -> str:
    """Lower-case ``text`` with every diacritic removed and đ/Đ mapped to d.

    ``strip_diacritics("Nguyễn Văn Ánh") == "nguyen van anh"``. The text is
    cleaned first (see :func:`clean`).
    """
    decomposed = unicodedata.normalize("NFD", clean(text))
    chars: list[str] = []
    for ch in decomposed:
        if unicodedata.category(ch) == "Mn":
            continue
        if ch in _STROKED_D or ch in _ETH_TO_D:
            ch = "d"
        chars.append(ch)
    return unicodedata.normalize("NFC", "".join(chars).lower())


def search_folded(text: str) -> str:
    """Value of the diacritic-sensitive search column (alias of :func:`fold`)."""
    return fold(text)


def search_ascii(text: str) -> str:
    """Value of the diacritic-free search column (alias of :func:`strip_diacritics`)."""
    return strip_diacritics(text)


def query_is_ascii(q: str) -> bool:
    """Whether a search query carries no Vietnamese diacritics and no đ/Đ.

    True means: match ``search_ascii(q)`` against the ASCII column (the user
    typed without accents, e.g. "nguyen van an"). False means: match
    ``search_folded(q)`` against the folded column, so that accents the user
    did type are respected ("Hà" does not match "Hạ").
    """
    decomposed = unicodedata.normalize("NFD", clean(q))
    return not any(
        unicodedata.category(ch) == "Mn" or ch in _STROKED_D for ch in decomposed
    )


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def split_name(full_name: str) -> tuple[str, str, str]:
    """Split a Vietnamese full name into ``(family, middle, given)``.

    The family name is the first word, the given name the last word and the
    middle name the words in between joined by a space (possibly ``""``).
    A single word is a given name: ``("", "", word)``. An empty name gives
    ``("", "", "")``. The name is cleaned first.
    """
    words = clean(full_name).split()
    if not words:
        return ("", "", "")
    if len(words) == 1:
        return ("", "", words[0])
    return (words[0], " ".join(words[1:-1]), words[-1])


# --------------------------------------------------------------------------
# Collation
# --------------------------------------------------------------------------

# Primary order: digits, then the Vietnamese alphabet with f j w z inserted at
# their Latin positions.
PRIMARY_ORDER = "0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_PRIMARY_CODES: dict[str, str] = {
    ch: f"{i + 10:02d}" for i, ch in enumerate(PRIMARY_ORDER)
}
_NO_TONE = "01"
_TONE_CODES: dict[str, str] = {
    GRAVE: "02",
    HOOK: "03",
    TILDE: "04",
    ACUTE: "05",
    DOT_BELOW: "06",
}
# Separator between the primary and the secondary part of a word key, and
# between the given / middle / family components of a name key.
_LEVEL_SEPARATOR = "00"
# Separator between two middle-name words: greater than _LEVEL_SEPARATOR so that
# a shorter middle name sorts before a longer one that extends it.
_MIDDLE_WORD_SEPARATOR = "01"
NAME_SORT_KEY_MAX_LENGTH = 255


@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """Digit-only collation key of one word in Vietnamese alphabetical order.

    The key is ``primary + "00" + secondary`` where *primary* encodes each letter
    or digit as a 2-digit code (``"10"`` for ``0`` ... ``"20"`` for ``a``,
    ``"21"`` for ``ă`` ...) and *secondary* gives each of them a tone code:
    ``"01"`` none, ``"02"`` huyền, ``"03"`` hỏi, ``"04"`` ngã, ``"05"`` sắc,
    ``"06"`` nặng. Case is ignored; characters outside :data:`PRIMARY_ORDER`
    (punctuation, foreign diacritics) are ignored. Tone placement is
    canonicalised first, so "Hòa" and "Hoà" get the same key.

    Because the key holds only ASCII digits and the "00" terminator is lower than
    any letter code, plain string comparison (C, en_US.UTF-8, SQLite BINARY)
    gives: "an" < "án" < "anh", "a" < "ă" < "â" < "b", "d" < "đ" < "e".
    An empty word (or one with no sortable character) gives ``""``.
    """
    text = unicodedata.normalize("NFD", canonical_tones(clean(word)))
    letters: list[list[str]] = []  # [letter, tone code]
    current: list[str] | None = None
    for ch in text:
        if unicodedata.category(ch).startswith("M"):
            if current is None:
                continue
            if ch in _TONE_CODES:
                if current[1] == _NO_TONE:
                    current[1] = _TONE_CODES[ch]
            else:
                shaped = _SHAPED_LETTERS.get((current[0], ch))
                if shaped is not None:
                    current[0] = shaped
            continue
        lowered = _ETH_TO_D.get(ch, ch).lower()
        if lowered in _PRIMARY_CODES:
            current = [lowered, _NO_TONE]
            letters.append(current)
        else:
            current = None
    if not letters:
        return ""
    primary = "".join(_PRIMARY_CODES[letter] for letter, _ in letters)
    secondary = "".join(tone for _, tone in letters)
    return primary + _LEVEL_SEPARATOR + secondary


def name_sort_key(full_name: str) -> str:
    """Digit-only key sorting full names by given name, then middle, then family.

    Layout: ``word_key(given) + "00" + middle + "00" + word_key(family)`` where
    *middle* is the word keys of the middle words joined by ``"01"``. Every
    component ends where the other name's component continues with a letter
    code (>= "10") or with a higher separator, so a shorter name part always
    sorts first: given "An" precedes given "Anh" whatever the other parts are,
    a name without a middle name precedes one with a middle name, and middle
    "Văn" precedes middle "Văn Minh". Words without any sortable character are
    skipped. The key is truncated to 255 characters (which keeps the order
    monotonic); an empty name gives ``""``.
    """
    words = [w for w in clean(full_name).split() if word_key(w)]
    if not words:
        return ""
    family, middle, given = split_name(" ".join(words))
    middle_key = _MIDDLE_WORD_SEPARATOR.join(word_key(w) for w in middle.split())
    key = _LEVEL_SEPARATOR.join([word_key(given), middle_key, word_key(family)])
    return key[:NAME_SORT_KEY_MAX_LENGTH]


def vn_sorted(names: Iterable[str]) -> list[str]:
    """Return ``names`` sorted in Vietnamese order by :func:`name_sort_key` (stable)."""
    return sorted(names, key=name_sort_key)
