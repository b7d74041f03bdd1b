"""The approved record's HTML, rendered once and shared by everyone who opens it.

Two levels: the configured cache (below), then the stored rendering (meetings.RecordRender: both
variants, compressed, per meeting, with the version and the code digest it was rendered for; served
while both match and it is younger than STORE_DAYS). A record is stored when it is warmed (approval,
amendment) and when a reader renders it; `manage.py render_records` fills in the rest (after a
release that changed the code, after gen_province or an import). docs/architecture.md, "The stored
rendering".

An approved meeting is locked: its record (figures, roll call, agenda, speeches, tasks reviewed,
votes, scores, documents, amendments) only changes through `services.add_amendment`, which bumps
`Meeting.version` like every other meeting write. So the user-independent part of the record page
is rendered once per (meeting, version) and kept in the configured cache (Redis shared by every app
server, or each process's local memory in the embedded setup). The key is built from the meeting
row the access check already loaded, so a cached page costs no query to validate and a write made
through any process or machine is seen at once: the next request asks for a new key.

What the fragments hold and why each is safe (docs/architecture.md, "The approved record's cache"):
- the meeting row, its attendance, items, speeches, guests, votes, score sheets, task reports,
  documents and amendments: every write goes through `_writable` (refused once approved) or
  `add_amendment` (bumps the version);
- names of people on the roll: as approved (the snapshot), like the official minutes;
- names read from elsewhere (a user account, a tổ đảng, an assignee who is not on the roll) are
  refreshed when the entry expires (RECORD_SECONDS);
- the current-affairs bulletin (its audio may finish after approval) is not cached: the fragment
  carries BULLETIN_SLOT and the page puts the live bulletin there.

Users differ only in whether they manage the cell (documents shown before publication, the slides
outline link): that flag is part of the key. Forms (CSRF tokens) are rendered per request, outside
the fragments; the panels of other apps (dues, shortcomings, upper committee) read their data through
panel_cache.py, keyed by the cell's activity_rev as well.

Warmed when it changes: its readers come right after an approval or an amendment, so the views and the
API call views.warm_record, which once the write has committed runs warm() below — both variants
rendered by the page's own builder (views.record_fragments) and kept under their own keys — in the
writing request (the task worker is another process: with LocMemCache its cache is not the web
server's). Both variants are rendered from one meeting object, loaded once (views._record_loaded):
the writer pays one load and two renders, 12–13 queries, median 26 ms on the 2-core machine of
02/12/2026 (45 ms and 23–25 queries when each variant loaded the meeting: scripts/prof_page.py warm 40).

RECORD_SECONDS stays 1 h although warming makes the first reader's render rarer: warming writes
~42 KiB per approval or amendment (two variants, pickled; 21 KiB median, 28 KiB max on the generated
province) whether or not anyone reads them, so the live set is about the approvals, amendments and
readings of the last RECORD_SECONDS. In production that is the shared Redis (2 GB, also sessions and
the task queue, which must not be evicted); where cells meet on the same day a province of ~30,000
cells approving in one evening would keep ~1.2 GB with a day-long lifetime, ~0.4 GB at 10,000
approvals an hour with 1 h. The readers warming serves come within that hour; a later one renders the
record once (~35 ms) for the next hour's readers. Embedded (LocMemCache, CACHES sets no OPTIONS:
MAX_ENTRIES 300, a least-recently-used third culled when full) the cap bounds memory (~9 MB of
records at most) whatever the lifetime, and a commune does not read 150 records an hour.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as default_cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from chibo.meetings.models import Meeting, MeetingStatus, RecordRender

# How long one rendering is kept. Correctness does not depend on it (the key changes with every
# write to the record); it bounds memory (see the module docstring: why 1 h, with warming) and how
# long a renamed account or tổ đảng shows its old name.
RECORD_SECONDS = 3600
# How long a stored rendering (RecordRender) is served: what it holds is locked with the record but
# for names read from elsewhere (an approving account, a tổ đảng, an assignee not on the roll), which
# a reader past this age sees refreshed (their request renders the record again, once).
STORE_DAYS = 30
BULLETIN_SLOT = "<!--chibo:bulletin-step-->"
logger = logging.getLogger(__name__)
_HERE = Path(__file__).resolve().parent


@cache
def code_version() -> str:
    """A digest of the code and templates that render the record: a deployment that changes them
    uses new keys instead of serving pages rendered by the old code (Redis outlives a restart)."""
    digest = hashlib.sha256()
    sources = [
        _HERE / "record_cache.py",
        _HERE / "views.py",
        _HERE / "selectors.py",
        *sorted((_HERE / "templatetags").glob("*.py")),
        *sorted((_HERE / "templates" / "meetings").rglob("*.html")),
        *sorted((_HERE.parent / "documents" / "templates" / "documents").glob("_meeting_documents.html")),
    ]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def key_for(meeting: Meeting, *, can_manage: bool) -> str:
    return f"chibo:record:{meeting.pk}:{meeting.version}:{int(can_manage)}:{code_version()}"


Fragments = dict[str, str | None]  # name → HTML (None: read on every request, e.g. `official`)


def fragments(meeting: Meeting, *, can_manage: bool, build: Callable[[bool], Fragments]) -> Fragments:
    """The record's HTML fragments of approved MEETING for a reader who does (or does not) manage the
    cell: from the cache, else from the stored rendering (one query: the reader's variant is kept in
    the cache), else BUILD(flag) for both kinds of reader (the second variant costs no query: the
    builder keeps what it loaded), stored, and both kept, as warm() does."""
    key = key_for(meeting, can_manage=can_manage)
    found: Any = default_cache.get(key)
    if isinstance(found, dict):
        return found
    both = stored(meeting)
    if both is not None:
        default_cache.set(key, both[int(can_manage)], RECORD_SECONDS)
        return both[int(can_manage)]
    both = (build(False), build(True))
    store(meeting, both)
    keep(meeting, both)
    return both[int(can_manage)]


def keep(meeting: Meeting, both: tuple[Fragments, Fragments]) -> None:
    """Put BOTH variants (the reader's, the manager's) of MEETING's record into the cache."""
    default_cache.set_many(
        {key_for(meeting, can_manage=False): both[0], key_for(meeting, can_manage=True): both[1]}, RECORD_SECONDS
    )


def _encode(both: tuple[Fragments, Fragments]) -> bytes:
    return zlib.compress(json.dumps(list(both), ensure_ascii=False, separators=(",", ":")).encode(), 6)


def _decode(data: bytes) -> tuple[Fragments, Fragments] | None:
    """Both variants from a stored rendering; None (and logged) if it is not what _encode wrote."""
    try:
        value = json.loads(zlib.decompress(data))
    except (zlib.error, ValueError):
        logger.warning("Bản dựng biên bản lưu sẵn hỏng: dựng lại.")
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, dict) and all(isinstance(x, str | None) for x in v.values()) for v in value)
    ):
        return value[0], value[1]
    logger.warning("Bản dựng biên bản lưu sẵn không đúng dạng: dựng lại.")
    return None


def _fresh() -> Q:
    """The stored renderings that may be served: made by this code, within STORE_DAYS."""
    return Q(code=code_version(), rendered_at__gte=timezone.now() - dt.timedelta(days=STORE_DAYS))


def stored(meeting: Meeting) -> tuple[Fragments, Fragments] | None:
    """MEETING's stored rendering of its current version, if fresh (one query), else None."""
    data = list(
        RecordRender.objects.filter(_fresh(), meeting_id=meeting.pk, version=meeting.version).values_list(
            "data", flat=True
        )[:1]
    )
    return _decode(bytes(data[0])) if data else None


def store(meeting: Meeting, both: tuple[Fragments, Fragments]) -> None:
    """Store BOTH variants of MEETING's record (its version, this code), replacing what was stored.

    One statement (an upsert), written on the primary by name, not through the router: a reader
    whose page stored the rendering made no change of their own and is not pinned to the primary for
    it (ops/dbrouter.py). Inside a transaction (never the case for the page or warm(), which runs
    after the commit) in a savepoint, so a failure cannot spoil it; a failure is logged, never
    raised: the page was rendered, it is served."""
    row = RecordRender(
        meeting_id=meeting.pk, version=meeting.version, code=code_version(), rendered_at=timezone.now(),
        data=_encode(both),
    )

    def upsert() -> None:
        RecordRender.objects.using(DEFAULT_DB_ALIAS).bulk_create(
            [row], update_conflicts=True, unique_fields=["meeting"],
            update_fields=["version", "code", "rendered_at", "data"],
        )

    try:
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            with transaction.atomic(using=DEFAULT_DB_ALIAS):
                upsert()
        else:
            upsert()
    except DatabaseError:
        logger.exception("Không lưu được bản dựng biên bản buổi sinh hoạt %s.", meeting.pk)


def render_missing(
    *, build: Callable[[Meeting, bool], Fragments], pks: Iterable[int] | None = None, limit: int | None = None,
    since: dt.date | None = None,
) -> Iterator[tuple[int, float]]:
    """Render and store the record of every approved meeting (of PKS; held on or after SINCE) that
    has no fresh stored rendering of its current version: after an upgrade that changed the
    record's code, after gen_province or an import (the services do not render), or for records
    older than STORE_DAYS. Most recent first, at most LIMIT; yields (pk, milliseconds) of each.
    The cache is left alone (it is per process in the embedded setup; readers fill it)."""
    queryset = Meeting.objects.filter(status=MeetingStatus.APPROVED).exclude(
        Exists(RecordRender.objects.filter(_fresh(), meeting=OuterRef("pk"), version=OuterRef("version")))
    )
    if pks is not None:
        queryset = queryset.filter(pk__in=list(pks))
    if since is not None:
        queryset = queryset.filter(scheduled_at__date__gte=since)
    ids = list(queryset.order_by("-scheduled_at", "-pk").values_list("pk", flat=True)[:limit])
    for pk in ids:
        began = time.perf_counter()
        meeting = Meeting.objects.get(pk=pk)
        store(meeting, (build(meeting, False), build(meeting, True)))
        yield pk, (time.perf_counter() - began) * 1000


def warm(pk: int, *, build: Callable[[Meeting, bool], Fragments]) -> None:
    """Render meeting PK's record for both kinds of reader (managing the cell or not, each under its
    own key) with BUILD(meeting, can_manage), the page's own builder (which keeps what it loaded on
    the meeting object: the second variant costs no query), store it and keep it: called once the
    approval or amendment that made the new version has committed, so the first readers are served
    from the cache (and, once it has expired, from the stored rendering). Reads the committed row
    (one query) for the version the readers' keys will name; a meeting that is not approved is left
    alone. Never raises: a failure is logged and the page renders on demand as before."""
    try:
        meeting = Meeting.objects.get(pk=pk)
    except Exception:
        logger.exception("Không làm nóng được biên bản buổi sinh hoạt %s.", pk)
        return
    if not meeting.is_locked:
        return
    started = time.perf_counter()
    try:
        both = (build(meeting, False), build(meeting, True))
        store(meeting, both)
        keep(meeting, both)
    except Exception:
        logger.exception("Không làm nóng được biên bản buổi sinh hoạt %s.", pk)
    else:
        logger.debug(
            "Đã làm nóng biên bản %s v%s trong %.1f ms.", pk, meeting.version, (time.perf_counter() - started) * 1000
        )
