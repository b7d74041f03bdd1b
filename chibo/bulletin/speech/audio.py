"""Clips per item, cached by (spoken text, voice); one joined MP3/OGG with pauses and chapters.

Pure functions over files and numpy arrays: no database, so the benchmark and the tests call them
directly. The bulletin task (chibo.bulletin.tasks) stores the results on model rows.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chibo.bulletin.speech.engines import SpeechEngine, SpeechError, read_wav, write_wav
from chibo.bulletin.speech.normalise import normalise

PAUSE_SECONDS = 1.0
FORMATS = {"mp3": "audio/mpeg", "ogg": "audio/ogg"}


@dataclass(frozen=True)
class Clip:
    path: Path
    digest: str
    duration: float
    spoken: str
    cached: bool


def clip_digest(spoken: str, engine_key: str) -> str:
    return hashlib.sha256(f"{engine_key}\n{spoken}".encode()).hexdigest()


def render_clip(text: str, engine: SpeechEngine, cache_dir: Path) -> Clip:
    """Normalise TEXT and speak it, or reuse the cached clip of the same words and voice."""
    spoken = normalise(text)
    if not spoken:
        raise SpeechError("Mục tin không có nội dung để đọc.")
    digest = clip_digest(spoken, engine.key)
    path = cache_dir / digest[:2] / f"{digest}.wav"
    if path.exists():
        return Clip(path, digest, wav_duration(path), spoken, cached=True)
    samples = engine.synthesize(spoken)
    if samples.size == 0:
        raise SpeechError("Bộ đọc không tạo ra âm thanh.")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".wav")
    os.close(fd)
    write_wav(tmp, samples, engine.sample_rate)
    os.replace(tmp, path)  # atomic: two workers rendering the same clip never see half a file
    return Clip(path, digest, samples.size / engine.sample_rate, spoken, cached=False)


def wav_duration(path: Path) -> float:
    samples, rate = read_wav(Path(path).read_bytes())
    return samples.size / rate


def joined_digest(digests: list[str], fmt: str, pause: float) -> str:
    return hashlib.sha256(f"{fmt}:{pause}:{','.join(digests)}".encode()).hexdigest()


def join(
    clips: list[Path], out: Path, *, fmt: str = "mp3", pause: float = PAUSE_SECONDS
) -> list[tuple[float, float]]:
    """Concatenate clips with PAUSE seconds of silence between them; encode to FMT.

    Returns (start, end) in seconds of every clip in the joined file: the chapters.
    """
    if fmt not in FORMATS:
        raise SpeechError(f"Định dạng âm thanh không hỗ trợ: {fmt}.")
    parts: list[np.ndarray] = []
    chapters: list[tuple[float, float]] = []
    rate = None
    position = 0
    for i, path in enumerate(clips):
        samples, r = read_wav(Path(path).read_bytes())
        if rate is None:
            rate = r
        elif r != rate:
            samples = resample(samples, r, rate)
        if i:
            gap = np.zeros(int(round(pause * rate)), dtype=np.float32)
            parts.append(gap)
            position += gap.size
        chapters.append((position / rate, (position + samples.size) / rate))
        parts.append(samples)
        position += samples.size
    if rate is None:
        raise SpeechError("Bản tin chưa có mục nào để đọc.")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "joined.wav"
        write_wav(wav, np.concatenate(parts), rate)
        encode(wav, out, fmt)
    return chapters


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst or samples.size == 0:
        return samples
    n = int(round(samples.size * dst / src))
    return np.interp(np.linspace(0, samples.size - 1, n), np.arange(samples.size), samples).astype(np.float32)


def encode(wav: Path, out: Path, fmt: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=f".{fmt}")
    os.close(fd)
    if fmt == "mp3":
        # CBR: players seek by byte offset, so chapter times land where they should.
        cmd = [shutil.which("lame") or "lame", "--quiet", "-b", "64", "--cbr", str(wav), tmp]
    else:
        cmd = [shutil.which("sox") or "sox", str(wav), "-C", "3", tmp]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=600, check=False)
    except FileNotFoundError:
        os.unlink(tmp)
        raise SpeechError(f"Thiếu chương trình mã hóa âm thanh ({cmd[0]}).") from None
    if proc.returncode != 0:
        os.unlink(tmp)
        raise SpeechError(f"Không mã hóa được âm thanh: {proc.stderr.decode('utf-8', 'replace')[:200]}")
    os.replace(tmp, out)


def decode(path: Path, rate: int = 16000) -> np.ndarray:
    """Any audio file → mono float32 at RATE (sox), for measuring what was produced."""
    proc = subprocess.run(
        ["sox", str(path), "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-r", str(rate), "-"],
        capture_output=True,
        timeout=300,
        check=True,
    )
    return np.frombuffer(proc.stdout, dtype="<i2").astype(np.float32) / 32768.0


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
