"""Background work (django.tasks): fetching feeds and rendering the newsreader's audio.

Each task keeps its progress on model rows, so pages poll the rows, not the task backend.
Tasks are idempotent: a feed is claimed with a conditional UPDATE; audio clips are cached by
(spoken words, voice) so a retry or a re-render of an unchanged bulletin costs nothing.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from chibo.audit.models import AuditAction
from chibo.audit.services import record
from chibo.bulletin import feeds as feedlib
from chibo.bulletin import services
from chibo.bulletin.models import AudioStatus, Bulletin, Entry, ExtractStatus, FeedSource, NewsItem
from chibo.bulletin.speech import audio as audiolib
from chibo.bulletin.speech.engines import SpeechError, get_engine

log = logging.getLogger(__name__)
SHORT_SUMMARY = 400  # characters: a feed item this short gets its article fetched


def fetch_one(feed_id: int) -> dict[str, object]:
    """Fetch one feed now. Never raises for feed problems: they are stored on the feed."""
    feed = services.claim_feed(feed_id)
    if feed is None:
        return {"feed": feed_id, "skipped": True}
    limits = feedlib.Limits.from_settings()
    try:
        got = feedlib.download(
            feed.url,
            limits,
            etag=feed.etag,
            modified=feed.modified,
            accept="application/rss+xml, application/atom+xml, application/xml, text/xml",
        )
        if got.not_modified:
            stored: list[NewsItem] = services.record_fetch(
                feed=feed, entries=[], etag=got.etag, modified=got.modified
            )
        else:
            entries, warning = feedlib.parse(got.content, got.content_type)
            stored = services.record_fetch(
                feed=feed,
                entries=entries[: limits.max_items],
                warning=warning,
                etag=got.etag,
                modified=got.modified,
            )
    except feedlib.FetchError as exc:
        services.record_fetch_failure(feed=feed, error=str(exc))
        return {"feed": feed_id, "error": str(exc)}
    except Exception as exc:  # a broken feed must never break the caller
        log.exception("feed %s failed", feed_id)
        services.record_fetch_failure(
            feed=feed, error=f"Lỗi không xác định khi đọc nguồn tin ({type(exc).__name__})."
        )
        return {"feed": feed_id, "error": type(exc).__name__}
    extracted = 0
    for item in stored:
        if extracted >= limits.extract_per_fetch:
            break
        if item.link and len(item.summary) < SHORT_SUMMARY:
            extracted += 1
            try:
                body = feedlib.extract(item.link, limits)
            except feedlib.FetchError:
                body = ""
            except Exception:  # trafilatura on hostile HTML
                log.exception("extract %s failed", item.link)
                body = ""
            services.record_extraction(item=item, body=body)
    return {"feed": feed_id, "new": len(stored), "extracted": extracted}


@task()
def fetch_feed(feed_id: int) -> dict[str, object]:
    return fetch_one(feed_id)


@task()
def fetch_all_feeds(organisation_id: int | None = None) -> list[dict[str, object]]:
    qs = FeedSource.objects.filter(active=True)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    return [fetch_one(pk) for pk in qs.values_list("pk", flat=True)]


def clip_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "bulletin" / "clips"


def render(bulletin_id: int) -> dict[str, object]:
    """Speak every entry (cached clips are reused), then join them into one file with chapters."""
    from chibo.bulletin.selectors import ordered_entries

    started = time.monotonic()
    bulletin = Bulletin.objects.select_related("meeting", "organisation").get(pk=bulletin_id)
    entries = ordered_entries(bulletin)
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_status=AudioStatus.RENDERING, audio_done=0, audio_total=len(entries), audio_error=""
    )
    try:
        engine = get_engine()
    except SpeechError as exc:
        return _fail(bulletin, str(exc))
    fmt = getattr(settings, "CHIBO_TTS_FORMAT", "mp3")
    media = Path(settings.MEDIA_ROOT)
    clips: list[Path] = []
    failed: list[str] = []
    for entry in entries:
        Entry.objects.filter(pk=entry.pk).update(audio_status=AudioStatus.RENDERING)
        try:
            clip = audiolib.render_clip(f"{entry.title}. {entry.text}", engine, clip_dir())
        except SpeechError as exc:
            Entry.objects.filter(pk=entry.pk).update(
                audio_status=AudioStatus.FAILED, audio_error=str(exc)[:500]
            )
            failed.append(entry.title)
            continue
        Entry.objects.filter(pk=entry.pk).update(
            audio_status=AudioStatus.READY,
            audio_digest=clip.digest,
            audio_error="",
            audio_path=str(clip.path.relative_to(media)),
            audio_duration=round(clip.duration, 3),
        )
        Bulletin.objects.filter(pk=bulletin.pk).update(audio_done=F("audio_done") + 1)
        clips.append(clip.path)
        entry.audio_digest, entry.audio_duration = clip.digest, clip.duration
    if failed:
        return _fail(bulletin, "Không đọc được: " + "; ".join(failed))
    if not clips:
        return _fail(bulletin, "Bản tin chưa có mục nào để đọc.")
    digest = audiolib.joined_digest([e.audio_digest for e in entries], fmt, audiolib.PAUSE_SECONDS)
    bulletin.refresh_from_db()
    if (
        bulletin.audio_digest == digest
        and bulletin.audio_file
        and bulletin.audio_file.storage.exists(bulletin.audio_file.name)
    ):
        chapters = bulletin.chapters  # unchanged bulletin: nothing to join
    else:
        tmp = clip_dir() / "joined" / f"{digest}.{fmt}"
        try:
            spans = audiolib.join(clips, tmp, fmt=fmt)
        except SpeechError as exc:
            return _fail(bulletin, str(exc))
        chapters = [
            {"entry": e.pk, "title": e.title, "start": round(s, 3), "end": round(t, 3)}
            for e, (s, t) in zip(entries, spans, strict=True)
        ]
        if bulletin.audio_file:
            bulletin.audio_file.delete(save=False)
        with tmp.open("rb") as fh:
            bulletin.audio_file.save(
                f"ban-tin-{bulletin.meeting_id}-{digest[:10]}.{fmt}", File(fh), save=False
            )
        tmp.unlink(missing_ok=True)
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_status=AudioStatus.READY,
        audio_file=bulletin.audio_file.name,
        audio_digest=digest,
        audio_format=fmt,
        audio_voice=engine.key,
        chapters=chapters,
        audio_duration=chapters[-1]["end"] if chapters else 0,
        audio_finished_at=timezone.now(),
        audio_seconds=round(time.monotonic() - started, 3),
    )
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=bulletin,
        org_path=bulletin.organisation.path,
        changes={"audio": ["", "ready"], "voice": ["", engine.key]},
    )
    return {"bulletin": bulletin_id, "chapters": len(chapters)}


def _fail(bulletin: Bulletin, message: str) -> dict[str, object]:
    Bulletin.objects.filter(pk=bulletin.pk).update(
        audio_status=AudioStatus.FAILED, audio_error=message[:500], audio_finished_at=timezone.now()
    )
    record(
        actor=None,
        action=AuditAction.UPDATE,
        obj=bulletin,
        org_path=bulletin.organisation.path,
        changes={"audio": ["", "failed"], "error": ["", message[:200]]},
    )
    return {"bulletin": bulletin.pk, "error": message}


@task()
def render_bulletin_audio(bulletin_id: int) -> dict[str, object]:
    try:
        return render(bulletin_id)
    except Exception as exc:
        log.exception("bulletin %s audio failed", bulletin_id)
        bulletin = Bulletin.objects.select_related("organisation").get(pk=bulletin_id)
        return _fail(bulletin, f"Lỗi khi tạo âm thanh ({type(exc).__name__}).")


__all__ = ["ExtractStatus", "fetch_all_feeds", "fetch_feed", "fetch_one", "render", "render_bulletin_audio"]
