"""Two app servers (gunicorn), a worker, PostgreSQL and Redis on 127.0.0.1: one user's flow
crosses both servers (log in on one, act on the other), and a job queued by one machine is run
by the worker. Needs PostgreSQL on 127.0.0.1:5432 (CI has it) and redis-server."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid

import psycopg
import pytest
import requests

from chibo.ops import stack as st

pytestmark = [
    pytest.mark.skipif(not st.stack_tests_enabled()[0], reason=st.stack_tests_enabled()[1]),
    pytest.mark.postgres,
]
PASSWORD = "chibo-mp-pass1"


def csrf(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def post(session: requests.Session, url: str, **data: str) -> requests.Response:
    return session.post(url, data={"csrfmiddlewaretoken": csrf(session), **data}, allow_redirects=False,
                        headers={"Referer": url}, timeout=30)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    root = tmp_path_factory.mktemp("stack")
    name = f"chibo_mp_{os.getpid()}"
    with st.running(root, name, servers=2, gen=["--cells", "2", "--years", "1", "--seed", "41", "--until", "2026-10",
                                                "--accounts", "--password", PASSWORD]) as s:
        yield s


def query(s: st.Stack, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(s.database_url) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_users_flow_crosses_both_servers(deployment):
    s = deployment
    a, b = s.urls
    user = "gp41-x0000-c00"
    cell_id, = query(s, "select id from organisations_organisation where code = %s", user)[0]
    web = requests.Session()
    # Log in on server A.
    web.get(f"{a}/tai-khoan/dang-nhap/", timeout=30)
    r = post(web, f"{a}/tai-khoan/dang-nhap/", username=user, password=PASSWORD)
    assert r.status_code == 302, r.text[:500]
    # Server B knows the session (it lives in Redis, not in either server).
    r = web.get(f"{b}/sinh-hoat/them/", timeout=30, allow_redirects=False)
    assert r.status_code == 200 and 'name="organisation"' in r.text
    assert query(s, "select count(*) from django_session")[0][0] == 0
    # Create on B, publish on A, start on B, roll call on A.
    day = (dt.date.today() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    r = post(web, f"{b}/sinh-hoat/them/", organisation=str(cell_id), kind="regular", date=day, time="19:30")
    assert r.status_code == 302, r.text[:1000]
    meeting_id = int(re.search(r"/sinh-hoat/(\d+)/", r.headers["Location"]).group(1))
    assert post(web, f"{a}/sinh-hoat/{meeting_id}/cong-bo/").status_code == 302
    assert post(web, f"{b}/sinh-hoat/{meeting_id}/bat-dau/").status_code == 302
    member_id, = query(s, "select member_id from meetings_attendance where meeting_id = %s order by member_id limit 1",
                       meeting_id)[0]
    r = post(web, f"{a}/sinh-hoat/{meeting_id}/dieu-hanh/diem-danh/{member_id}/", status="present")
    assert r.status_code in (200, 302), r.text[:1000]
    # Both servers show the same state, read from the one database.
    for url in (a, b):
        page = web.get(f"{url}/sinh-hoat/{meeting_id}/dieu-hanh/", timeout=30)
        assert page.status_code == 200 and "Có mặt" in page.text
    assert query(s, "select status from meetings_meeting where id = %s", meeting_id)[0][0] == "in_progress"
    assert query(s, "select status from meetings_attendance where meeting_id = %s and member_id = %s",
                 meeting_id, member_id)[0][0] == "present"
    actions = query(s, "select count(*) from audit_auditentry where actor_name = %s", user)[0][0]
    assert actions >= 4  # create, publish, start, roll call: each audited
    # Each server really served part of the flow.
    assert f"/sinh-hoat/{meeting_id}/cong-bo/" in s.log("web0") and "/sinh-hoat/them/" in s.log("web1")
    # Log out on B: the session is gone on A too.
    assert post(web, f"{b}/tai-khoan/dang-xuat/").status_code == 302
    r = web.get(f"{a}/sinh-hoat/them/", timeout=30, allow_redirects=False)
    assert r.status_code == 302 and "/tai-khoan/dang-nhap/" in r.headers["Location"]


def test_a_job_queued_on_one_machine_is_run_by_the_worker(deployment):
    s = deployment
    out = s.root / "probe.txt"
    token = uuid.uuid4().hex
    code = ("from chibo.ops.tasks import probe; "
            f"r = probe.enqueue({str(out)!r}, {token!r}); print(r.id, r.status)")
    printed = s.manage("shell", "-c", code).stdout
    job_id, status = printed.split()[-2:]
    assert status == "READY"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not out.exists():
        time.sleep(0.2)
    assert out.read_text().split() == [token]
    check = f"from chibo.ops.tasks import probe; r = probe.get_result({job_id!r}); print(r.status, r.return_value)"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, value = s.manage("shell", "-c", check).stdout.split()[-2:]
        if status == "SUCCESSFUL":
            break
        time.sleep(0.5)
    assert status == "SUCCESSFUL" and value.startswith(token + "@")


def test_two_editors_on_two_servers_get_a_conflict_not_a_silent_overwrite(deployment):
    """The cell's secretary (server A) and the province administrator (server B) edit the same
    meeting from the same version: the second write is refused with 409 and nothing of it is kept."""
    s = deployment
    a, b = s.urls
    cell = "gp41-x0000-c01"
    tokens = {}
    for url, user in ((a, cell), (b, "gp41-admin")):
        r = requests.post(f"{url}/api/v1/auth/token", json={"username": user, "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        tokens[user] = {"Authorization": f"Bearer {r.json()['token']}"}
    cell_id, = query(s, "select id from organisations_organisation where code = %s", cell)[0]
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(microsecond=0).isoformat()
    r = requests.post(f"{a}/api/v1/meetings", json={"organisation": cell_id, "kind": "regular", "scheduled_at": when},
                      headers=tokens[cell], timeout=30)
    assert r.status_code == 201, r.text
    meeting = r.json()
    seen = requests.get(f"{b}/api/v1/meetings/{meeting['id']}", headers=tokens["gp41-admin"], timeout=30).json()
    assert seen["version"] == meeting["version"]
    first = requests.patch(f"{a}/api/v1/meetings/{meeting['id']}", headers=tokens[cell], timeout=30,
                           json={"title": "Bản của bí thư", "expected_version": meeting["version"]})
    second = requests.patch(f"{b}/api/v1/meetings/{meeting['id']}", headers=tokens["gp41-admin"], timeout=30,
                            json={"title": "Bản của quản trị", "expected_version": seen["version"]})
    assert first.status_code == 200 and second.status_code == 409, second.text
    assert "detail" in second.json()
    assert query(s, "select title from meetings_meeting where id = %s", meeting["id"])[0][0] == "Bản của bí thư"
