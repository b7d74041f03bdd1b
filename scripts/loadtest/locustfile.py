"""Meeting evening: every cell's secretary runs a meeting through the API at the same time.

One locust user = one cell (plan from LOAD_PLAN, made by scripts/loadtest.py): start the meeting,
check in every member (most present, some excused with a reason), record speeches of members
present, open a vote, close it with the count of eligible members present. Think time between
actions stands for the real meeting:
- LOAD_EVENING (seconds, > 0): each cell's actions are spread evenly over the evening — the wait
  after each action is EVENING / (number of actions − 1) × a random factor in [0.5, 1.5], so a
  cell that starts at t finishes at about t + EVENING;
- otherwise a fixed range, LOAD_THINK_MIN..LOAD_THINK_MAX seconds (the saturation test).
FastHttpUser (geventhttpclient) keeps locust's own CPU small with thousands of users.
Successful operations are counted per kind and written to LOAD_SENT when the test stops, so the
runner can compare them with the rows in the database.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections import Counter

from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
SENT: Counter[str] = Counter()
LOCK = threading.Lock()
NEXT = iter(range(len(PLAN["cells"])))
EVENING = float(os.environ.get("LOAD_EVENING", "0"))
THINK = (float(os.environ.get("LOAD_THINK_MIN", "0.5")), float(os.environ.get("LOAD_THINK_MAX", "2")))
SPEECHES = [
    "Đề nghị chi bộ đẩy nhanh tiến độ làm đường bê tông xóm.",
    "Nhất trí với dự thảo nghị quyết; bổ sung chỉ tiêu phát triển đảng viên.",
    "Đề nghị tổ an ninh cơ sở tăng cường tuần tra ban đêm.",
    "Tổ công nghệ số đã hướng dẫn thêm người dân cài đặt VNeID.",
]


def count(kind: str) -> None:
    with LOCK:
        SENT[kind] += 1


@events.test_stop.add_listener
def _dump(environment, **kwargs):  # type: ignore[no-untyped-def]
    with open(os.environ["LOAD_SENT"], "w", encoding="utf-8") as fh:
        json.dump(dict(SENT), fh)


class Secretary(FastHttpUser):
    # One connection per cell, as one secretary's phone; no retries (a failure is reported).
    connection_timeout = 60.0
    network_timeout = 120.0
    max_retries = 0

    def wait_time(self) -> float:
        return self.think * self.rng.uniform(0.5, 1.5) if EVENING > 0 else self.rng.uniform(*THINK)

    def on_start(self) -> None:
        with LOCK:
            index = next(NEXT, None)
        if index is None:
            raise StopUser()
        self.cell = PLAN["cells"][index]
        self.headers = {"Authorization": f"Bearer {self.cell['token']}"}
        self.rng = random.Random(index)
        self.speeches = self.rng.randint(3, 7)
        actions = 1 + len(self.cell["members"]) + self.speeches + 2
        self.think = EVENING / max(1, actions - 1)
        self.steps = self.script()

    def call(self, method: str, path: str, name: str, kind: str, **kw):  # type: ignore[no-untyped-def]
        with self.client.request(method, f"/api/v1{path}", name=name, headers=self.headers,
                                 catch_response=True, **kw) as r:
            if 200 <= r.status_code < 300:
                r.success()
                count(kind)
            else:
                r.failure(f"{r.status_code}: {(r.text or '')[:200]}")
            return r

    def script(self):  # type: ignore[no-untyped-def]
        m = self.cell["meeting"]
        yield self.call("POST", f"/meetings/{m}/start", "bắt đầu họp", "start")
        present = []
        for member in self.cell["members"]:
            excused = self.rng.random() < 0.08
            body = {"status": "absent_excused", "reason": "Đi làm ăn xa"} if excused else {"status": "present"}
            r = self.call("PUT", f"/meetings/{m}/attendance/{member}", "điểm danh", "attendance", json=body)
            if r.ok and not excused:
                present.append(member)
            yield r
        for member in self.rng.sample(present, k=min(len(present), self.speeches)):
            yield self.call("POST", f"/meetings/{m}/speeches", "ghi ý kiến", "speech",
                            json={"member": member, "summary": self.rng.choice(SPEECHES)})
        r = self.call("POST", f"/meetings/{m}/votes", "mở biểu quyết", "vote_open",
                      json={"subject": "Nghị quyết tháng", "method": "count"})
        yield r
        if r.ok:
            vote = r.json()
            voters = len(set(vote["eligible_ids"]) & set(present))
            yield self.call("POST", f"/votes/{vote['id']}/close", "kết thúc biểu quyết", "vote_close",
                            json={"in_favour": voters, "against": 0, "other": 0})

    @task
    def next_step(self) -> None:
        try:
            next(self.steps)
        except StopIteration:
            count("cell_done")
            if SENT["cell_done"] == len(PLAN["cells"]):  # every cell has finished: end the run now
                import gevent

                gevent.spawn_later(0.1, self.environment.runner.quit)
            raise StopUser() from None
