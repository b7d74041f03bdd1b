"""Fetching feeds and article pages: bounded in time and size, never trusted.

download() refuses non-HTTP schemes, stops at a byte limit and at a wall-clock deadline (a
server that trickles one byte a second cannot hold a worker), refuses to connect to the
server's own networks (loopback, private, link-local, reserved addresses: checked on the address
actually connected to, so a redirect or a DNS answer that changes cannot reach them) unless the
host is listed in CHIBO_BULLETIN_PRIVATE_HOSTS, and reports every failure as
FetchError with a Vietnamese message that is stored on the feed's status. parse() turns bytes
into plain entries (feedparser); extract() gets an article's text from its page (trafilatura).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import http.client
import ipaddress
import re
import socket
import time
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils.html import strip_tags

USER_AGENT = "chibo-bulletin/1 (+https://chibo.local)"


class FetchError(Exception):
    pass


@dataclass(frozen=True)
class Limits:
    timeout: float
    max_bytes: int
    max_items: int
    extract_per_fetch: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            timeout=float(getattr(settings, "CHIBO_BULLETIN_FEED_TIMEOUT", 10)),
            max_bytes=int(getattr(settings, "CHIBO_BULLETIN_FEED_MAX_BYTES", 2 * 1024 * 1024)),
            max_items=int(getattr(settings, "CHIBO_BULLETIN_FEED_MAX_ITEMS", 50)),
            extract_per_fetch=int(getattr(settings, "CHIBO_BULLETIN_EXTRACT_PER_FETCH", 10)),
        )


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    url: str
    etag: str
    modified: str
    not_modified: bool = False


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError("Địa chỉ phải bắt đầu bằng http:// hoặc https://.")
    host = parts.hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if (literal is not None or host.lower() == "localhost") and not _may_reach(host, literal):
        raise FetchError(_INTERNAL)
    return url


_INTERNAL = (
    "Không được lấy tin từ địa chỉ trong mạng nội bộ của máy chủ. Nếu đây là nguồn tin nội bộ "
    "hợp lệ, quản trị viên thêm máy chủ đó vào CHIBO_BULLETIN_PRIVATE_HOSTS."
)


def _allowed_private() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    """Hosts and networks an administrator allowed although they are internal (an intranet feed)."""
    names: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in getattr(settings, "CHIBO_BULLETIN_PRIVATE_HOSTS", ()) or ():
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _may_reach(host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
    if address is not None and _public(address):
        return True
    names, networks = _allowed_private()
    if host.lower() in names:
        return True
    return address is not None and any(address in net for net in networks)


def _check_peer(sock: socket.socket | None, host: str) -> None:
    """After connecting: the address really connected to must be public or allowed."""
    if sock is None:
        return
    peer = sock.getpeername()[0]
    address = ipaddress.ip_address(peer.split("%", 1)[0])
    if not _may_reach(host, address):
        sock.close()
        raise FetchError(_INTERNAL)


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _check_peer(self.sock, self.host)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)  # type: ignore[attr-defined]


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_GuardedHTTPHandler, _GuardedHTTPSHandler, _CheckedRedirects)


def download(
    url: str, limits: Limits, *, etag: str = "", modified: str = "", accept: str = "*/*"
) -> Download:
    url = check_url(url)
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    request = urllib.request.Request(url, headers=headers)
    deadline = time.monotonic() + limits.timeout
    try:
        with _OPENER.open(request, timeout=limits.timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise FetchError(_too_big(limits))
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchError(_too_slow(limits))
                chunk = resp.read(16384)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_bytes:
                    raise FetchError(_too_big(limits))
                chunks.append(chunk)
            return Download(
                content=b"".join(chunks),
                content_type=resp.headers.get("Content-Type", ""),
                url=resp.geturl(),
                etag=resp.headers.get("ETag", "") or "",
                modified=resp.headers.get("Last-Modified", "") or "",
            )
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Download(b"", "", url, etag, modified, not_modified=True)
        raise FetchError(f"Máy chủ nguồn tin trả lỗi HTTP {exc.code}.") from None
    except TimeoutError:
        raise FetchError(_too_slow(limits)) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise FetchError(_too_slow(limits)) from None
        raise FetchError(f"Không kết nối được nguồn tin: {reason}.") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"Không tải được nguồn tin: {exc}.") from None


def _too_big(limits: Limits) -> str:
    return f"Nguồn tin quá lớn (giới hạn {limits.max_bytes // 1024} KB)."


def _too_slow(limits: Limits) -> str:
    return f"Nguồn tin phản hồi quá chậm (giới hạn {limits.timeout:g} giây)."


@dataclass
class Entry:
    key: str
    title: str
    link: str
    summary: str
    published_at: dt.datetime | None


def plain(text: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>", "\n", text or "")
    text = html.unescape(strip_tags(text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def normalise_link(link: str) -> str:
    parts = urlsplit(link.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


def entry_key(link: str, guid: str, title: str) -> str:
    basis = normalise_link(link) if link else (guid or title.strip().lower())
    return hashlib.sha256(basis.encode()).hexdigest()[:40]


def parse(data: bytes, content_type: str = "") -> tuple[list[Entry], str]:
    """Entries and a warning ("" when clean). Raises FetchError when nothing usable is there."""
    import feedparser

    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(data, response_headers=headers)
    warning = ""
    legacy = _vietnamese_legacy(parsed, data)
    if legacy is not None:
        parsed = feedparser.parse(legacy, response_headers={"content-type": "application/xml; charset=utf-8"})
        if parsed.entries:
            return _entries(
                parsed
            ), "Nguồn tin khai báo sai bảng mã; đã đọc theo bảng mã tiếng Việt windows-1258."
    if parsed.bozo:
        exc = parsed.get("bozo_exception")
        name = type(exc).__name__ if exc else ""
        if "Encoding" in name:
            warning = "Nguồn tin khai báo sai bảng mã; đã tự nhận dạng lại."
        else:
            warning = "Nguồn tin có lỗi định dạng; đã đọc được phần hợp lệ."
    if not parsed.entries:
        if parsed.bozo or not parsed.get("version"):
            raise FetchError("Nội dung tải về không phải RSS/Atom hợp lệ.")
        return [], warning
    return _entries(parsed), warning


def _vietnamese_legacy(parsed: Any, data: bytes) -> bytes | None:
    """Bytes in windows-1258 (the old Vietnamese code page) declared as something else.

    feedparser then falls back to windows-1252 and the titles come out as mojibake. Decode as
    windows-1258 instead (its tones are combining marks: compose them) and re-declare as UTF-8.
    """
    exc = parsed.get("bozo_exception")
    if not parsed.bozo or "Encoding" not in type(exc).__name__:
        return None
    if (parsed.get("encoding") or "").lower() not in ("windows-1252", "iso-8859-1", "cp1252", "latin-1"):
        return None
    try:
        text = unicodedata.normalize("NFC", data.decode("windows-1258"))
    except UnicodeDecodeError:
        return None
    if not re.search("[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđĐơưƠƯ]", text):
        return None
    text = re.sub(r"^<\?xml[^>]*\?>", '<?xml version="1.0" encoding="utf-8"?>', text.lstrip("\ufeff"))
    return text.encode("utf-8")


def _entries(parsed: Any) -> list[Entry]:
    entries: list[Entry] = []
    seen: set[str] = set()
    for item in parsed.entries:
        title = plain(item.get("title", ""))[:500]
        link = (item.get("link") or "").strip()[:1000]
        if not title and not link:
            continue
        key = entry_key(link, item.get("id", ""), title)
        if key in seen:
            continue
        seen.add(key)
        summary = ""
        if item.get("content"):
            summary = plain(item["content"][0].get("value", ""))
        if not summary:
            summary = plain(item.get("summary", ""))
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        published = dt.datetime(*stamp[:6], tzinfo=dt.UTC) if stamp else None
        entries.append(
            Entry(key=key, title=title or link, link=link, summary=summary, published_at=published)
        )
    return entries


def extract(url: str, limits: Limits) -> str:
    """The article text of the page at URL (trafilatura); "" when none can be found."""
    import trafilatura

    page = download(url, limits, accept="text/html,application/xhtml+xml")
    charset = "utf-8"
    m = re.search(r"charset=([\w-]+)", page.content_type or "")
    if m:
        charset = m.group(1)
    try:
        text = page.content.decode(charset, errors="replace")
    except LookupError:
        text = page.content.decode("utf-8", errors="replace")
    body = trafilatura.extract(text, include_comments=False, include_tables=False, favor_precision=True)
    return (body or "").strip()
