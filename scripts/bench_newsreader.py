#!/usr/bin/env python
"""Benchmark the newsreader: real-time factor and time to first audio for a 5-minute bulletin.

Usage (from the project root):

    .venv/bin/python scripts/bench_newsreader.py                       # espeak-ng, 5 minutes
    .venv/bin/python scripts/bench_newsreader.py --minutes 2
    .venv/bin/python scripts/bench_newsreader.py --engine onnx --model /srv/voices/vi.onnx

The bulletin is built from realistic news items (dates, percentages, money, document symbols,
acronyms) until its audio lasts at least --minutes. Rendering runs exactly as the background task
does (normalise → speak each item into a cached clip → join with pauses → encode MP3), with an
empty clip cache in a temporary directory, then once more with the cache warm.

- time to first audio: from start until the first item's clip is on disk (the meeting screen can
  play it while the rest render);
- real-time factor (RTF): speaking time / audio duration (below 1 is faster than real time);
- total: every item + join + encode.
No database is used.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ITEMS = [
    (
        "Tỉnh ủy sơ kết công tác xây dựng Đảng",
        "Sáng 28/11/2026, Ban Thường vụ Tỉnh ủy tổ chức hội nghị sơ kết công tác xây dựng Đảng năm 2026. "
        "Toàn Đảng bộ kết nạp 1.245 đảng viên mới, đạt 103,5% kế hoạch; 15/16 chỉ tiêu chủ yếu đạt và vượt. "
        "Hội nghị quán triệt Hướng dẫn số 12-HD/BTCTW và Quy định 366-QĐ/TW về kiểm điểm, đánh giá, xếp loại.",
    ),
    (
        "Kinh tế của tỉnh tăng trưởng khá",
        "Theo UBND tỉnh, tổng sản phẩm trên địa bàn 11 tháng ước tăng 7,09% so với cùng kỳ; thu ngân sách đạt "
        "12.350 tỷ đồng; kim ngạch xuất khẩu đạt 1,2 tỷ USD. Thu nhập bình quân đạt 5.200.000 đồng/tháng.",
    ),
    (
        "Chương trình mục tiêu quốc gia xây dựng nông thôn mới",
        "Đến nay có 27/30 xã đạt chuẩn nông thôn mới, 8 xã đạt chuẩn nâng cao. Giai đoạn 2026-2030, tỉnh phấn đấu "
        "100% xã đạt chuẩn; mỗi năm giải ngân từ 5-7% tổng vốn đầu tư công cho hạ tầng nông thôn.",
    ),
    (
        "Triển khai Nghị quyết 57-NQ/TW về khoa học, công nghệ",
        "Đảng ủy các xã, phường triển khai Nghị quyết 57-NQ/TW của Bộ Chính trị về đột phá phát triển khoa học, "
        "công nghệ, đổi mới sáng tạo và chuyển đổi số. Đến ngày 15/12, 100% chi bộ sử dụng sổ tay đảng viên điện tử.",
    ),
    (
        "Kỳ họp thứ 10 Quốc hội khóa XV bế mạc",
        "Chiều 28/11, Kỳ họp thứ 10 Quốc hội khóa XV bế mạc sau 40 ngày làm việc. Quốc hội thông qua 15 luật và "
        "18 nghị quyết, trong đó có Luật số 56/2024/QH15 sửa đổi, bổ sung một số điều của các luật về tài chính.",
    ),
    (
        "Hội nghị cấp cao ASEAN lần thứ 47",
        "Hội nghị cấp cao ASEAN lần thứ 47 khai mạc ngày 26/10/2026. Các nhà lãnh đạo thông qua Tầm nhìn Cộng đồng "
        "ASEAN 2045; thương mại nội khối năm qua đạt hơn 800 tỷ USD, tăng 3,5%.",
    ),
    (
        "Tình hình thế giới",
        "Quỹ Tiền tệ Quốc tế dự báo kinh tế thế giới năm 2027 tăng trưởng 3,1%; lạm phát toàn cầu giảm còn 4,2%. "
        "Liên hợp quốc kêu gọi tăng cường hợp tác ứng phó biến đổi khí hậu tại hội nghị COP 31.",
    ),
    (
        "Ngành giáo dục chuẩn bị thi học kỳ I",
        "Sở Giáo dục và Đào tạo hướng dẫn các trường THCS, THPT tổ chức kiểm tra học kỳ I từ ngày 20-22/12. "
        "Tỷ lệ học sinh đi học đúng độ tuổi đạt 99,8%; 12 trường được công nhận đạt chuẩn quốc gia trong quý IV.",
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--engine", choices=["espeak", "onnx"], default="espeak")
    parser.add_argument("--model", default="", help="piper-format .onnx (with .onnx.json beside it)")
    parser.add_argument("--format", choices=["mp3", "ogg"], default="mp3")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from chibo.bulletin.speech import audio as audiolib
    from chibo.bulletin.speech.engines import EspeakEngine, PiperOnnxEngine
    from chibo.bulletin.speech.normalise import normalise

    engine = PiperOnnxEngine(args.model) if args.engine == "onnx" else EspeakEngine()
    normalise("khởi động")  # load vietnormalizer's dictionaries outside the timing

    # Build the bulletin: cycle the items until the audio reaches the target length.
    target = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="chibo-bench-") as tmp:
        cache = Path(tmp) / "clips"
        texts: list[str] = []
        clips = []
        speak_seconds = 0.0
        first_audio = None
        started = time.perf_counter()
        audio_seconds = 0.0
        round_no = 0
        while audio_seconds < target:
            title, body = ITEMS[len(texts) % len(ITEMS)]
            if len(texts) >= len(ITEMS):  # later rounds: different words, so no clip is reused
                round_no = len(texts) // len(ITEMS)
                title = f"{title} (bản tin số {round_no + 1})"
            text = f"{title}. {body}"
            t0 = time.perf_counter()
            clip = audiolib.render_clip(text, engine, cache)
            speak_seconds += time.perf_counter() - t0
            if first_audio is None:
                first_audio = time.perf_counter() - started
            texts.append(text)
            clips.append(clip)
            audio_seconds += clip.duration + (audiolib.PAUSE_SECONDS if len(clips) > 1 else 0)
        t0 = time.perf_counter()
        out = Path(tmp) / f"bulletin.{args.format}"
        chapters = audiolib.join([c.path for c in clips], out, fmt=args.format)
        join_seconds = time.perf_counter() - t0
        total = time.perf_counter() - started
        speech = sum(c.duration for c in clips)

        # Warm cache: the same bulletin again (what "Tạo lại âm thanh" costs when nothing changed).
        t0 = time.perf_counter()
        again = [audiolib.render_clip(t, engine, cache) for t in texts]
        warm = time.perf_counter() - t0
        assert all(c.cached for c in again)

        chars = sum(len(t) for t in texts)
        words = sum(len(normalise(t).split()) for t in texts)
        print(
            f"chibo newsreader benchmark — {platform.node()} ({os.cpu_count()} CPU), Python {platform.python_version()}"
        )
        print(f"engine: {engine.key}   format: {args.format}")
        print(f"bulletin: {len(texts)} items, {chars} characters, {words} spoken syllables")
        print(
            f"audio: {chapters[-1][1]:.1f} s ({chapters[-1][1] / 60:.2f} min) incl. {len(clips) - 1} pauses of {audiolib.PAUSE_SECONDS:g} s; speech {speech:.1f} s"
        )
        print(f"time to first audio: {first_audio:.3f} s (first item, {clips[0].duration:.1f} s of audio)")
        print(f"speaking (normalise + synthesise + write clips): {speak_seconds:.2f} s")
        print(
            f"real-time factor: {speak_seconds / speech:.4f} (speaking time / speech duration; {speech / speak_seconds:.0f}x faster than real time)"
        )
        print(
            f"join + encode {args.format}: {join_seconds:.2f} s; total {total:.2f} s; RTF incl. encoding {total / chapters[-1][1]:.4f}"
        )
        print(f"re-render with warm cache: {warm:.3f} s (0 items spoken)")
        print(f"file: {out.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
