"""The approved record's HTML, rendered once and shared by everyone who opens it.

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

import hashlib
import logging
import time
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path
from typing import Any

from django.core.cache import cache as default_cache

from chibo.meetings.models import Meeting

# How long one rendering is kept. Correctness does not depend on it (the key changes with every
# write to the record); it bounds memory (see the module docstring: why 1 h, with warming) and how
# long a renamed account or tổ đảng shows its old name.
RECORD_SECONDS = 3600
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


def fragments(meeting: Meeting, *, can_manage: bool, build: Callable[[], Fragments]) -> Fragments:
    """The record's HTML fragments of approved MEETING: from the cache, else BUILD() and keep them."""
    key = key_for(meeting, can_manage=can_manage)
    found: Any = default_cache.get(key)
    if isinstance(found, dict):
        return found
    made = build()
    default_cache.set(key, made, RECORD_SECONDS)
    return made


def warm(pk: int, *, build: Callable[[Meeting, bool], Fragments]) -> None:
    """Render meeting PK's record for both kinds of reader (managing the cell or not, each under its
    own key) with BUILD(meeting, can_manage), the page's own builder (which keeps what it loaded on
    the meeting object: the second variant costs no query), and keep them: called once the
    approval or amendment that made the new version has committed, so the first readers are served
    from the cache. Reads the committed row (one query) for the version the readers' keys will name;
    a meeting that is not approved is left alone. Never raises: a failure is logged and the page
    renders on demand as before."""
    try:
        meeting = Meeting.objects.get(pk=pk)
    except Exception:
        logger.exception("Không làm nóng được biên bản buổi sinh hoạt %s.", pk)
        return
    if not meeting.is_locked:
        return
    for can_manage in (False, True):
        started = time.perf_counter()
        try:
            fragments(meeting, can_manage=can_manage, build=partial(build, meeting, can_manage))
        except Exception:
            logger.exception(
                "Không làm nóng được biên bản buổi sinh hoạt %s (quản lý: %s).", pk, can_manage
            )
        else:
            logger.debug(
                "Đã làm nóng biên bản %s v%s (quản lý: %s) trong %.1f ms.",
                pk, meeting.version, can_manage, (time.perf_counter() - started) * 1000,
            )
