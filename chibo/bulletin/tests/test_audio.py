"""The newsreader's audio is real: plausible duration for the text, not silent, chapters where the
items are; clips are cached by (words, voice); the ONNX engine runs end to end; failures are plain."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chibo.bulletin import services
from chibo.bulletin.models import AudioStatus, Bulletin
from chibo.bulletin.selectors import ordered_entries
from chibo.bulletin.speech import audio as audiolib
from chibo.bulletin.speech import engines
from chibo.bulletin.speech.normalise import normalise
from chibo.bulletin.tests import onnxvoice

pytestmark = pytest.mark.django_db
RATE = 16000
SILENCE_RMS = 0.003
SPEECH_RMS = 0.02


def render(world, meeting, django_capture_on_commit_callbacks) -> Bulletin:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        services.request_audio(actor=world.secretary, meeting=meeting)
    return Bulletin.objects.get(meeting=meeting)


def syllables(text: str) -> int:
    return len(normalise(text).split())


def window_rms(samples: np.ndarray, start: float, end: float) -> float:
    return audiolib.rms(samples[int(start * RATE) : int(end * RATE)])


def test_espeak_reads_the_bulletin_into_one_mp3_with_chapters(
    world, filled, django_capture_on_commit_callbacks
):
    b = render(world, filled, django_capture_on_commit_callbacks)
    assert b.audio_status == AudioStatus.READY, b.audio_error
    assert b.audio_done == b.audio_total == 3 and b.audio_format == "mp3"
    assert b.audio_voice.startswith("espeak-ng:vi")
    path = Path(b.audio_file.path)
    assert path.read_bytes()[:3] == b"ID3" or path.read_bytes()[:2] in (b"\xff\xfb", b"\xff\xf3")
    samples = audiolib.decode(path, RATE)
    duration = samples.size / RATE
    entries = ordered_entries(b)
    words = sum(syllables(f"{e.title}. {e.text}") for e in entries)
    # Vietnamese news is read at roughly 3–6 syllables a second; espeak-ng at speed 150 sits inside.
    assert words / 7 < duration < words / 1.5 + 2 * audiolib.PAUSE_SECONDS + 1
    assert audiolib.rms(samples) > SPEECH_RMS
    # Chapters: one per item, in reading order, separated by the pause, matching each clip.
    chapters = b.chapters
    assert [c["entry"] for c in chapters] == [e.pk for e in entries]
    assert [c["title"] for c in chapters] == [e.title for e in entries]
    assert chapters[0]["start"] == 0
    for prev, nxt in zip(chapters, chapters[1:], strict=False):
        assert nxt["start"] - prev["end"] == pytest.approx(audiolib.PAUSE_SECONDS, abs=0.01)
    for c, e in zip(chapters, entries, strict=True):
        assert c["end"] - c["start"] == pytest.approx(e.audio_duration, abs=0.01)
    assert abs(duration - chapters[-1]["end"]) < 0.15  # the encoder adds a few frames at most
    # In the file itself: speech inside each chapter, silence in each pause between chapters.
    for c in chapters:
        assert window_rms(samples, c["start"] + 0.1, c["end"] - 0.1) > SPEECH_RMS
    for prev, nxt in zip(chapters, chapters[1:], strict=False):
        assert window_rms(samples, prev["end"] + 0.15, nxt["start"] - 0.15) < SILENCE_RMS


def test_each_item_is_playable_as_soon_as_its_clip_is_ready(
    world, filled, django_capture_on_commit_callbacks
):
    b = render(world, filled, django_capture_on_commit_callbacks)
    for e in ordered_entries(b):
        assert e.audio_status == AudioStatus.READY and e.audio_path.endswith(".wav")
        samples, rate = engines.read_wav((Path(b.audio_file.storage.location) / e.audio_path).read_bytes())
        assert samples.size / rate == pytest.approx(e.audio_duration, abs=0.01)
        assert audiolib.rms(samples) > SPEECH_RMS


def test_rerendering_an_unchanged_bulletin_is_free(
    world, filled, django_capture_on_commit_callbacks, monkeypatch
):
    first = render(world, filled, django_capture_on_commit_callbacks)
    calls = []
    real = engines.EspeakEngine.synthesize
    monkeypatch.setattr(
        engines.EspeakEngine, "synthesize", lambda self, text: calls.append(text) or real(self, text)
    )
    second = render(world, filled, django_capture_on_commit_callbacks)
    assert calls == []
    assert second.audio_file.name == first.audio_file.name and second.audio_digest == first.audio_digest
    # Editing one item re-speaks that item only.
    entry = ordered_entries(second)[1]
    services.update_entry(
        actor=world.secretary, entry=entry, title=entry.title, text=entry.text + " Thêm một câu."
    )
    third = render(world, filled, django_capture_on_commit_callbacks)
    assert len(calls) == 1 and "thêm một câu" in calls[0]
    assert third.audio_digest != first.audio_digest


def test_ogg_is_available_by_setting(world, filled, settings, django_capture_on_commit_callbacks):
    settings.CHIBO_TTS_FORMAT = "ogg"
    b = render(world, filled, django_capture_on_commit_callbacks)
    assert b.audio_format == "ogg" and Path(b.audio_file.path).read_bytes()[:4] == b"OggS"
    samples = audiolib.decode(Path(b.audio_file.path), RATE)
    assert audiolib.rms(samples) > SPEECH_RMS
    assert samples.size / RATE == pytest.approx(b.chapters[-1]["end"], abs=0.15)


def test_the_onnx_voice_runs_end_to_end(
    world, filled, settings, tmp_path, django_capture_on_commit_callbacks
):
    model = onnxvoice.build(tmp_path / "voices")
    settings.CHIBO_TTS_ENGINE = "onnx"
    settings.CHIBO_TTS_ONNX_MODEL = str(model)
    b = render(world, filled, django_capture_on_commit_callbacks)
    assert b.audio_status == AudioStatus.READY, b.audio_error
    assert b.audio_voice.startswith("onnx:vi_VN-test-tiny:")
    engine = engines.PiperOnnxEngine(str(model))
    for e in ordered_entries(b):
        ids = engine.phoneme_ids(engine.phonemes(normalise(f"{e.title}. {e.text}")))
        assert e.audio_duration == pytest.approx(
            len(ids) * onnxvoice.SAMPLES_PER_ID / onnxvoice.SAMPLE_RATE, abs=0.01
        )
    samples = audiolib.decode(Path(b.audio_file.path), RATE)
    assert audiolib.rms(samples) > SPEECH_RMS
    for prev, nxt in zip(b.chapters, b.chapters[1:], strict=False):
        assert window_rms(samples, prev["end"] + 0.15, nxt["start"] - 0.15) < SILENCE_RMS


def test_a_missing_onnx_voice_fails_plainly_and_the_text_stays(
    world, filled, settings, client, django_capture_on_commit_callbacks
):
    settings.CHIBO_TTS_ENGINE = "onnx"
    settings.CHIBO_TTS_ONNX_MODEL = "/khong/co/giong.onnx"
    b = render(world, filled, django_capture_on_commit_callbacks)
    assert b.audio_status == AudioStatus.FAILED
    assert "Không tìm thấy giọng ONNX" in b.audio_error
    client.force_login(world.member_same)
    page = client.get(f"/thoi-su/hop/{filled.pk}/").content.decode()
    assert "Không tạo được âm thanh." in page and "Không tìm thấy giọng ONNX" in page
    assert "15/16 chỉ tiêu đạt và vượt kế hoạch" in page


def test_an_item_that_cannot_be_spoken_is_named(
    world, filled, monkeypatch, django_capture_on_commit_callbacks
):
    real = engines.EspeakEngine.synthesize

    def flaky(self, text):  # type: ignore[no-untyped-def]
        if "a xê an" in text:
            raise engines.SpeechError("espeak-ng báo lỗi: thử nghiệm")
        return real(self, text)

    monkeypatch.setattr(engines.EspeakEngine, "synthesize", flaky)
    b = render(world, filled, django_capture_on_commit_callbacks)
    assert b.audio_status == AudioStatus.FAILED
    assert b.audio_error == "Không đọc được: Hội nghị thượng đỉnh ASEAN"
    statuses = {e.title: e.audio_status for e in ordered_entries(b)}
    assert statuses["Hội nghị thượng đỉnh ASEAN"] == AudioStatus.FAILED
    assert statuses["Tỉnh ủy sơ kết công tác xây dựng Đảng"] == AudioStatus.READY


def test_an_unknown_engine_setting_is_refused_with_its_name(settings):
    settings.CHIBO_TTS_ENGINE = "cloud"
    with pytest.raises(engines.SpeechError, match="'cloud'"):
        engines.get_engine()


def test_audio_is_refused_for_an_empty_bulletin(world, meeting):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="chưa có mục nào"):
        services.request_audio(actor=world.secretary, meeting=meeting)
