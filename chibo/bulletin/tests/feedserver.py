"""A local HTTP server for feed tests: serves canned responses on 127.0.0.1, nothing else."""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """TEXT in windows-1258: vowels precomposed, tones as combining marks (as old Vietnamese sites did)."""
    out = []
    for ch in text:
        d = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in d if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES)) + tones)
    return "".join(out).encode("windows-1258")


@dataclass
class Response:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    delay_per_chunk: float = 0.0
    chunk: int = 65536
    send_length: bool = True
    etag: str = ""
    location: str = ""


@dataclass
class FeedServer:
    routes: dict[str, Response] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    base: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def start() -> tuple[FeedServer, ThreadingHTTPServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # type: ignore[no-untyped-def]
            pass

        def do_GET(self) -> None:  # noqa: N802
            state.hits[self.path] = state.hits.get(self.path, 0) + 1
            resp = state.routes.get(self.path)
            if resp is None:
                self.send_response(404)
                self.end_headers()
                return
            if resp.etag and self.headers.get("If-None-Match") == resp.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            if resp.etag:
                self.send_header("ETag", resp.etag)
            if resp.location:
                self.send_header("Location", resp.location)
            if resp.send_length:
                self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            try:
                for i in range(0, len(resp.body), resp.chunk):
                    self.wfile.write(resp.body[i : i + resp.chunk])
                    self.wfile.flush()
                    if resp.delay_per_chunk:
                        time.sleep(resp.delay_per_chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server


def rss(items: list[tuple[str, str, str]], *, encoding: str = "utf-8") -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><description>{d}</description>"
        f"<pubDate>Fri, 28 Nov 2026 08:00:00 +0700</pubDate></item>"
        for t, link, d in items
    )
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>Báo tỉnh</title>'
        f"<link>http://127.0.0.1/</link><description>Tin</description>{body}</channel></rss>"
    )


def atom(items: list[tuple[str, str, str]]) -> str:
    body = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id><updated>2026-11-28T08:00:00Z</updated>'
        f"<summary>{d}</summary></entry>"
        for t, link, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Cổng TTĐT</title>'
        f"<id>urn:x</id><updated>2026-11-28T08:00:00Z</updated>{body}</feed>"
    )


ARTICLE_HTML = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Hội nghị Ban Chấp hành Đảng bộ tỉnh</title></head>
<body><nav><a href="/">Trang chủ</a> | <a href="/thoi-su">Thời sự</a></nav>
<article><h1>Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12</h1>
<p>Sáng 28/11, Ban Chấp hành Đảng bộ tỉnh tổ chức Hội nghị lần thứ 12 để đánh giá tình hình thực hiện nhiệm vụ chính trị năm 2026 và bàn phương hướng, nhiệm vụ năm 2027.</p>
<p>Hội nghị đánh giá kinh tế của tỉnh tiếp tục tăng trưởng khá, thu ngân sách vượt dự toán, các chương trình mục tiêu quốc gia được triển khai đồng bộ và hiệu quả.</p>
<p>Công tác xây dựng Đảng được chú trọng; chất lượng sinh hoạt chi bộ từng bước được nâng lên; công tác kết nạp đảng viên mới đạt chỉ tiêu đề ra.</p>
<p>Phát biểu kết luận, đồng chí Bí thư Tỉnh ủy yêu cầu các cấp ủy, tổ chức đảng tập trung lãnh đạo hoàn thành các chỉ tiêu còn lại, chuẩn bị tốt các điều kiện cho năm 2027.</p>
<p>Hội nghị cũng chỉ ra những hạn chế cần khắc phục: công tác kiểm tra, giám sát ở một số nơi còn hình thức; việc nắm bắt tư tưởng đảng viên ở cơ sở có lúc chưa kịp thời.</p>
<p>Các đại biểu thống nhất cao với dự thảo nghị quyết về nhiệm vụ năm 2027, trong đó tập trung nâng cao chất lượng sinh hoạt chi bộ, đẩy mạnh chuyển đổi số và cải cách hành chính.</p>
</article><footer>Bản quyền thuộc Báo tỉnh. Liên hệ quảng cáo.</footer></body></html>"""
