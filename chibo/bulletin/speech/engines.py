"""Speech engines behind one interface.

An engine turns normalised Vietnamese words into mono float32 samples in [-1, 1] at its sample
rate. `key` names the engine *and* voice (and every setting that changes the sound), so audio is
cached by (text, key): a new voice renders anew, the same voice is free.

- EspeakEngine: espeak-ng's Vietnamese voice (installed with the system packages; the default).
- PiperOnnxEngine: a piper-format neural voice (`voice.onnx` + `voice.onnx.json`) an operator
  places on the server, run with onnxruntime. Nothing is ever downloaded.
- The browser's own voice (speechSynthesis) is a client-side option on the meeting screen and
  needs nothing here.

Choose with settings.CHIBO_TTS_ENGINE ("espeak" or "onnx"); the ONNX model path is
settings.CHIBO_TTS_ONNX_MODEL. `get_engine()` reads both with getattr(settings, ..., default).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Protocol

import numpy as np


class SpeechError(Exception):
    """A voice could not speak: the message is shown to the user as is (Vietnamese)."""


class SpeechEngine(Protocol):
    key: str
    label: str
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray: ...


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as w:
        rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
        frames = w.readframes(w.getnframes())
    if width != 2:
        raise SpeechError("Tệp âm thanh không phải PCM 16 bit.")
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def write_wav(path: Path | str, samples: np.ndarray, rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


class EspeakEngine:
    label = "espeak-ng (giọng tiếng Việt)"

    def __init__(self, voice: str = "vi", speed: int = 150, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("espeak-ng") or "espeak-ng"
        self.voice = voice
        self.speed = speed
        self.sample_rate = 22050
        self.key = f"espeak-ng:{voice}:{speed}"

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        try:
            proc = subprocess.run(
                [self.binary, "-v", self.voice, "-s", str(self.speed), "-b", "1", "--stdout"],
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=600,
                check=False,
            )
        except FileNotFoundError:
            raise SpeechError("Chưa cài espeak-ng trên máy chủ (apt-get install espeak-ng).") from None
        except subprocess.TimeoutExpired:
            raise SpeechError("espeak-ng không trả lời kịp.") from None
        if proc.returncode != 0 or len(proc.stdout) < 44:
            raise SpeechError(f"espeak-ng báo lỗi: {proc.stderr.decode('utf-8', 'replace')[:200]}")
        # --stdout writes an open-ended header (data size 0xFFFFFFFF): read the PCM after it.
        data = proc.stdout
        rate = int.from_bytes(data[24:28], "little")
        idx = data.find(b"data")
        pcm = data[idx + 8 :] if idx >= 0 else data[44:]
        pcm = pcm[: len(pcm) // 2 * 2]
        self.sample_rate = rate or 22050
        return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


class PiperOnnxEngine:
    """A piper-format voice: phonemes from espeak-ng (IPA), ids from the model's phoneme_id_map.

    Inputs: input int64[1, N], input_lengths int64[1], scales float32[3] (noise, length, noise_w),
    optional sid int64[1]. Output: float32 audio of any shape [..., T].
    """

    label = "Giọng neural ONNX (piper)"

    def __init__(self, model_path: str, config_path: str | None = None, speaker: int = 0) -> None:
        self.model_path = Path(model_path)
        self.config_path = Path(config_path or f"{model_path}.json")
        if not self.model_path.is_file() or not self.config_path.is_file():
            raise SpeechError(
                f"Không tìm thấy giọng ONNX: cần cả {self.model_path.name} và {self.config_path.name} "
                "do quản trị viên đặt trên máy chủ."
            )
        try:
            self.config = json.loads(self.config_path.read_text(encoding="utf-8"))
            self.id_map: dict[str, list[int]] = self.config["phoneme_id_map"]
            self.sample_rate = int(self.config["audio"]["sample_rate"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SpeechError(f"Tệp cấu hình giọng ONNX không hợp lệ: {exc}") from None
        inference = self.config.get("inference", {})
        self.scales = np.array(
            [
                inference.get("noise_scale", 0.667),
                inference.get("length_scale", 1.0),
                inference.get("noise_w", 0.8),
            ],
            dtype=np.float32,
        )
        self.espeak_voice = self.config.get("espeak", {}).get("voice", "vi")
        self.speaker = speaker
        digest = hashlib.sha256(self.model_path.read_bytes()).hexdigest()[:16]
        self.key = f"onnx:{self.model_path.stem}:{digest}:{speaker}"
        self._session = None

    def session(self):  # type: ignore[no-untyped-def]
        if self._session is None:
            import onnxruntime

            opts = onnxruntime.SessionOptions()
            opts.intra_op_num_threads = int(os.environ.get("CHIBO_TTS_THREADS", "1"))
            self._session = onnxruntime.InferenceSession(
                str(self.model_path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        return self._session

    def phonemes(self, text: str) -> str:
        proc = subprocess.run(
            ["espeak-ng", "-q", "--ipa", "-v", self.espeak_voice, "-b", "1"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise SpeechError("espeak-ng không tạo được phiên âm cho giọng ONNX.")
        return " ".join(proc.stdout.decode("utf-8").split())

    def phoneme_ids(self, phonemes: str) -> list[int]:
        pad = self.id_map.get("_", [0])
        ids = list(self.id_map.get("^", [1])) + list(pad)
        for ch in phonemes:
            if ch in self.id_map:
                ids += self.id_map[ch] + pad
        ids += self.id_map.get("$", [2])
        return ids

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, dtype=np.float32)
        ids = self.phoneme_ids(self.phonemes(text))
        sess = self.session()
        feed = {
            "input": np.array([ids], dtype=np.int64),
            "input_lengths": np.array([len(ids)], dtype=np.int64),
            "scales": self.scales,
        }
        if any(i.name == "sid" for i in sess.get_inputs()):
            feed["sid"] = np.array([self.speaker], dtype=np.int64)
        try:
            audio = sess.run(None, feed)[0]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise SpeechError(f"Giọng ONNX lỗi khi đọc: {exc}") from None
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        return audio / peak * 0.9 if peak > 1.0 else audio


ENGINES = ("espeak", "onnx")


def engine_from_settings() -> SpeechEngine:
    from django.conf import settings

    name = getattr(settings, "CHIBO_TTS_ENGINE", "espeak") or "espeak"
    if name == "onnx":
        model = getattr(settings, "CHIBO_TTS_ONNX_MODEL", "")
        if not model:
            raise SpeechError("Đã chọn giọng ONNX nhưng chưa khai báo CHIBO_TTS_ONNX_MODEL.")
        return _onnx(model)
    if name != "espeak":
        raise SpeechError(f"Bộ đọc không hợp lệ: {name!r} (dùng 'espeak' hoặc 'onnx').")
    return EspeakEngine(
        voice=getattr(settings, "CHIBO_TTS_ESPEAK_VOICE", "vi"),
        speed=int(getattr(settings, "CHIBO_TTS_ESPEAK_SPEED", 150)),
    )


@functools.lru_cache(maxsize=4)
def _onnx_cached(model: str, mtime: float) -> PiperOnnxEngine:
    return PiperOnnxEngine(model)


def _onnx(model: str) -> PiperOnnxEngine:
    try:
        mtime = Path(model).stat().st_mtime
    except OSError:
        mtime = 0.0
    return _onnx_cached(model, mtime) if mtime else PiperOnnxEngine(model)


def get_engine() -> SpeechEngine:
    return engine_from_settings()
