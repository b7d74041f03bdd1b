"""Feeds fetched over HTTP from local files on 127.0.0.1: valid, malformed, huge, slow, duplicate
items, wrong encoding. A broken feed is recorded on its row and never breaks the page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from chibo.audit.models import AuditEntry
from chibo.bulletin import feeds as feedlib
from chibo.bulletin import services
from chibo.bulletin.models import Category, ExtractStatus, FeedSource, NewsItem, Origin
from chibo.bulletin.tasks import fetch_all_feeds, fetch_feed, fetch_one
from chibo.bulletin.tests import feedserver as fs

pytestmark = pytest.mark.django_db

SUMMARY = "Tóm tắt đầy đủ của bài báo, đủ dài để không cần lấy toàn văn. " * 8


@pytest.fixture
def server(settings):
    settings.CHIBO_BULLETIN_FEED_TIMEOUT = 1.5
    settings.CHIBO_BULLETIN_FEED_MAX_BYTES = 64 * 1024
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = ["127.0.0.1"]  # the test feed server is on loopback
    state, srv = fs.start()
    yield state
    srv.shutdown()
    srv.server_close()


def add(world, server, path, body, **kw):  # type: ignore[no-untyped-def]
    server.routes[path] = fs.Response(body if isinstance(body, bytes) else body.encode("utf-8"), **kw)
    return services.add_feed(
        actor=world.secretary,
        organisation=world.cell1,
        name=f"Nguồn {path}",
        url=server.url(path),
        category=Category.PROVINCE,
    )


def test_a_valid_rss_feed_stores_its_items_and_marks_the_feed_healthy(world, server):
    feed = add(
        world,
        server,
        "/rss.xml",
        fs.rss(
            [
                ("Tỉnh ủy họp phiên thường kỳ", server.url("/a1"), SUMMARY),
                ("Khánh thành cầu Bến Mới", server.url("/a2"), SUMMARY),
            ]
        ),
    )
    result = fetch_feed.enqueue(feed.pk)
    assert result.return_value["new"] == 2
    feed.refresh_from_db()
    assert feed.healthy is True and feed.last_error == "" and feed.last_new_items == 2
    items = NewsItem.objects.filter(source=feed).order_by("title")
    assert [i.title for i in items] == ["Khánh thành cầu Bến Mới", "Tỉnh ủy họp phiên thường kỳ"]
    assert all(i.origin == Origin.FEED and i.category == Category.PROVINCE for i in items)
    assert items[0].published_at is not None
    assert AuditEntry.objects.filter(object_type="bulletin.feedsource", action="import").exists()


def test_an_atom_feed_is_read_too(world, server):
    feed = add(
        world,
        server,
        "/atom.xml",
        fs.atom([("Tin đối ngoại", server.url("/b1"), SUMMARY)]),
        content_type="application/atom+xml",
    )
    fetch_one(feed.pk)
    assert NewsItem.objects.get(source=feed).title == "Tin đối ngoại"


def test_a_short_summary_gets_the_article_text_from_its_page(world, server):
    server.routes["/bai-viet"] = fs.Response(
        fs.ARTICLE_HTML.encode("utf-8"), content_type="text/html; charset=utf-8"
    )
    feed = add(
        world,
        server,
        "/short.xml",
        fs.rss(
            [("Hội nghị Ban Chấp hành Đảng bộ tỉnh lần thứ 12", server.url("/bai-viet"), "Sáng 28/11...")]
        ),
    )
    fetch_one(feed.pk)
    item = NewsItem.objects.get(source=feed)
    assert item.extract_status == ExtractStatus.OK
    assert "tăng trưởng khá" in item.body and "Bản quyền" not in item.body and "Trang chủ" not in item.body
    assert item.body.startswith("Sáng 28/11, Ban Chấp hành")  # the headline is not read twice
    # A long article gets a suggested summary the editor can accept.
    assert item.suggested and len(item.suggested) < len(item.body)


def test_an_article_page_that_fails_leaves_the_feed_summary(world, server):
    feed = add(world, server, "/dead.xml", fs.rss([("Tin ngắn", server.url("/khong-co"), "Tóm tắt ngắn.")]))
    fetch_one(feed.pk)
    item = NewsItem.objects.get(source=feed)
    assert item.extract_status == ExtractStatus.FAILED and item.full_text == "Tóm tắt ngắn."
    feed.refresh_from_db()
    assert feed.healthy is True


def test_duplicate_items_are_stored_once_even_across_fetches_and_feeds(world, server):
    items = [
        ("Tin A", server.url("/x1"), SUMMARY),
        ("Tin A (bản lặp)", server.url("/x1"), SUMMARY),
        ("Tin B", server.url("/x2"), SUMMARY),
    ]
    feed = add(world, server, "/dup.xml", fs.rss(items))
    assert fetch_one(feed.pk)["new"] == 2
    assert fetch_one(feed.pk)["new"] == 0
    other = add(world, server, "/dup2.xml", fs.rss([("Tin B", server.url("/x2#top"), SUMMARY)]))
    assert fetch_one(other.pk)["new"] == 0
    assert NewsItem.objects.filter(organisation=world.cell1).count() == 2


def test_a_malformed_feed_is_an_error_on_the_feed_and_the_page_still_renders(world, server, client):
    feed = add(
        world, server, "/broken.xml", "<html><body>Trang bảo trì</body></html>", content_type="text/html"
    )
    result = fetch_one(feed.pk)
    assert result["error"] == "Nội dung tải về không phải RSS/Atom hợp lệ."
    feed.refresh_from_db()
    assert feed.healthy is False and feed.last_error_at is not None
    client.force_login(world.secretary)
    page = client.get(f"/thoi-su/to-chuc/{world.cell1.pk}/")
    assert page.status_code == 200
    assert "Nội dung tải về không phải RSS/Atom hợp lệ." in page.content.decode()


def test_a_truncated_feed_keeps_what_can_be_read_with_a_warning(world, server):
    body = fs.rss([("Tin còn đọc được", server.url("/ok"), SUMMARY)]).replace(
        "</channel></rss>", "<item><title>Hỏng &"
    )
    feed = add(world, server, "/truncated.xml", body)
    fetch_one(feed.pk)
    feed.refresh_from_db()
    assert feed.healthy is True and "lỗi định dạng" in feed.last_warning
    assert NewsItem.objects.filter(source=feed, title="Tin còn đọc được").exists()


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "chunked"])
def test_a_huge_feed_is_refused_at_the_size_limit(world, server, send_length):
    huge = fs.rss([(f"Tin {i}", server.url(f"/h{i}"), SUMMARY) for i in range(400)])
    assert len(huge.encode()) > 64 * 1024
    feed = add(world, server, "/huge.xml", huge, send_length=send_length, chunk=8192)
    assert fetch_one(feed.pk)["error"] == "Nguồn tin quá lớn (giới hạn 64 KB)."
    assert not NewsItem.objects.filter(source=feed).exists()


def test_a_slow_feed_is_cut_off_at_the_time_limit(world, server):
    body = fs.rss([("Tin chậm", server.url("/s1"), SUMMARY)])
    feed = add(world, server, "/slow.xml", body, chunk=64, delay_per_chunk=0.2)
    import time

    started = time.monotonic()
    assert fetch_one(feed.pk)["error"] == "Nguồn tin phản hồi quá chậm (giới hạn 1.5 giây)."
    assert time.monotonic() - started < 4


def test_a_feed_in_the_old_vietnamese_code_page_is_read_correctly(world, server):
    body = fs.cp1258(fs.rss([("Hội nghị Tỉnh ủy tổng kết năm", server.url("/e1"), SUMMARY)]))
    feed = add(world, server, "/cp1258.xml", body, content_type="application/rss+xml")
    fetch_one(feed.pk)
    feed.refresh_from_db()
    assert NewsItem.objects.get(source=feed).title == "Hội nghị Tỉnh ủy tổng kết năm"
    assert "windows-1258" in feed.last_warning


def test_a_feed_declaring_the_wrong_encoding_still_reads_its_utf8(world, server):
    body = fs.rss([("Đảng ủy xã sơ kết", server.url("/e2"), SUMMARY)], encoding="iso-8859-1").encode("utf-8")
    feed = add(world, server, "/wrong.xml", body, content_type="application/rss+xml; charset=utf-8")
    fetch_one(feed.pk)
    assert NewsItem.objects.get(source=feed).title == "Đảng ủy xã sơ kết"


def test_a_server_error_is_recorded(world, server):
    feed = add(world, server, "/err.xml", b"oops", status=500)
    assert fetch_one(feed.pk)["error"] == "Máy chủ nguồn tin trả lỗi HTTP 500."


def test_an_unchanged_feed_is_not_downloaded_again(world, server):
    feed = add(world, server, "/etag.xml", fs.rss([("Tin có ETag", server.url("/t1"), SUMMARY)]), etag='"v1"')
    fetch_one(feed.pk)
    assert fetch_one(feed.pk)["new"] == 0
    feed.refresh_from_db()
    assert feed.healthy is True and feed.etag == '"v1"'


def test_only_http_addresses_are_accepted():
    limits = feedlib.Limits(timeout=1, max_bytes=1000, max_items=5, extract_per_fetch=1)
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", ""):
        with pytest.raises(feedlib.FetchError):
            feedlib.download(url, limits)


def test_the_command_fetches_every_active_feed_and_a_broken_one_does_not_stop_the_rest(world, server, capsys):
    good = add(world, server, "/good.xml", fs.rss([("Tin tốt", server.url("/g1"), SUMMARY)]))
    add(world, server, "/bad.xml", b"not xml at all", content_type="text/plain")
    off = add(world, server, "/off.xml", fs.rss([("Tin tắt", server.url("/o1"), SUMMARY)]))
    services.set_feed_active(actor=world.secretary, feed=off, active=False)
    call_command("fetch_feeds")
    out = capsys.readouterr().out
    assert "Đã lấy 1 nguồn tin (1 tin mới), 1 nguồn lỗi." in out
    assert NewsItem.objects.filter(source=good).count() == 1
    assert server.hits.get("/off.xml", 0) == 0


def test_the_scheduled_task_fetches_one_organisation(world, server):
    add(world, server, "/org.xml", fs.rss([("Tin chi bộ", server.url("/c1"), SUMMARY)]))
    results = fetch_all_feeds.enqueue(world.cell1.pk).return_value
    assert [r["new"] for r in results] == [1]


def test_a_feed_being_fetched_is_not_fetched_twice(world, server):
    feed = add(world, server, "/claim.xml", fs.rss([("Tin", server.url("/k1"), SUMMARY)]))
    assert services.claim_feed(feed.pk) is not None
    assert fetch_one(feed.pk) == {"feed": feed.pk, "skipped": True}
    assert FeedSource.objects.get(pk=feed.pk).fetching is True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/rss",
        "http://localhost/rss",
        "http://10.0.0.5/rss",
        "http://192.168.1.1/rss",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/rss",
        "http://[::ffff:127.0.0.1]/rss",
    ],
)
def test_a_feed_on_the_servers_own_network_is_refused_when_added(world, url):
    with pytest.raises(ValidationError, match="mạng nội bộ"):
        services.add_feed(actor=world.secretary, organisation=world.cell1, name="Nội bộ", url=url,
                          category=Category.PROVINCE)
    assert not FeedSource.objects.exists()


def test_a_name_that_resolves_to_loopback_is_refused_at_connection(world, settings):
    """A public-looking name that resolves inside (DNS rebinding) is caught on the connected socket."""
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = []
    state, srv = fs.start()
    try:
        state.routes["/rss"] = fs.Response(fs.rss([("Tin", state.url("/a"), SUMMARY)]).encode())
        url = state.url("/rss").replace("127.0.0.1", "localtest.invalid")
        import socket

        real = socket.getaddrinfo

        def fake(host, *a, **kw):  # type: ignore[no-untyped-def]
            return real("127.0.0.1" if host == "localtest.invalid" else host, *a, **kw)

        import unittest.mock

        with unittest.mock.patch("socket.getaddrinfo", fake):
            with pytest.raises(feedlib.FetchError, match="mạng nội bộ"):
                feedlib.download(url, feedlib.Limits.from_settings())
        assert state.hits.get("/rss", 0) == 0
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_redirect_to_the_servers_own_network_is_refused(world, server, settings):
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = ["127.0.0.1"]
    server.routes["/di"] = fs.Response(b"", status=302, location="http://169.254.169.254/x")
    with pytest.raises(feedlib.FetchError, match="mạng nội bộ"):
        feedlib.download(server.url("/di"), feedlib.Limits.from_settings())


def test_an_allowed_intranet_network_may_be_used(world, settings):
    settings.CHIBO_BULLETIN_PRIVATE_HOSTS = ["10.20.0.0/16", "tin.tinhuy.local"]
    assert feedlib.check_url("http://10.20.3.4/rss") == "http://10.20.3.4/rss"
    with pytest.raises(feedlib.FetchError):
        feedlib.check_url("http://10.21.3.4/rss")
