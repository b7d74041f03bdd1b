"""An extractive summary for Vietnamese news: the sentences that carry the article, in order.

Sentences come from underthesea's sentence splitter and words from its word segmenter (so
"hội nghị" counts as one word, not two syllables). Each sentence scores the average weight of
its content words (weight = frequency in the article), with a bonus for the lead sentence,
which in news carries who/what/when. The top sentences are returned in their original order,
within a character budget. The editor accepts this text or rewrites it.
"""

from __future__ import annotations

import math
import re
from collections import Counter

STOPWORDS = frozenset(
    "và của là có được cho các những một này đã với trong đến khi từ để thì như theo về đó cũng "
    "nhưng tại do vì nên sẽ đang rằng lại ra vào còn mà nếu hay hoặc trên dưới sau trước nhiều "
    "rất ông bà anh chị em họ chúng tôi ta người việc năm ngày tháng".split()
)
_WORD = re.compile(r"\w", re.UNICODE)


def sentences(text: str) -> list[str]:
    from underthesea import sent_tokenize

    out: list[str] = []
    for para in (p.strip() for p in text.splitlines()):
        if para:
            out.extend(s.strip() for s in sent_tokenize(para) if s.strip())
    return out


def _words(sentence: str) -> list[str]:
    from underthesea import word_tokenize

    return [
        w.lower()
        for w in word_tokenize(sentence)
        if _WORD.search(w) and w.lower() not in STOPWORDS and not w.isdigit()
    ]


def summarise(text: str, *, max_sentences: int = 4, max_chars: int = 700) -> str:
    """The MAX_SENTENCES most central sentences of TEXT (at most MAX_CHARS), in order."""
    sents = sentences(text)
    if len(sents) <= max_sentences and len(text) <= max_chars:
        return " ".join(sents)
    words = [_words(s) for s in sents]
    freq = Counter(w for ws in words for w in ws)
    if not freq:
        return " ".join(sents[:max_sentences])[:max_chars]
    top = max(freq.values())
    scores = []
    for i, ws in enumerate(words):
        if not ws:
            scores.append(0.0)
            continue
        score = sum(freq[w] / top for w in ws) / math.sqrt(len(ws))
        if i == 0:
            score *= 1.5
        scores.append(score)
    ranked = sorted(range(len(sents)), key=lambda i: (-scores[i], i))
    chosen: list[int] = []
    total = 0
    for i in ranked:
        if len(chosen) >= max_sentences:
            break
        if total + len(sents[i]) > max_chars and chosen:
            continue
        chosen.append(i)
        total += len(sents[i]) + 1
    return " ".join(sents[i] for i in sorted(chosen))
