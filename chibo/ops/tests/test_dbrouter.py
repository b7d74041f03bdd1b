"""Read replica routing: reads on the replica, a user's reads right after a write on the primary."""

from __future__ import annotations

import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from chibo.members.models import Member
from chibo.ops.dbrouter import COOKIE, PRIMARY, REPLICA, PrimaryReplicaRouter, ReplicaPinMiddleware

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
router = PrimaryReplicaRouter()


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}
    settings.CHIBO_REPLICA_PIN_SECONDS = 15


def run(request, view):  # type: ignore[no-untyped-def]
    seen = {}

    def inner(req):  # type: ignore[no-untyped-def]
        seen["before"] = router.db_for_read(Member)
        view()
        seen["after"] = router.db_for_read(Member)
        return HttpResponse("ok")

    response = ReplicaPinMiddleware(inner)(request)
    return seen, response


def test_without_replica_everything_reads_the_primary():
    assert router.db_for_read(Member) == PRIMARY
    assert router.db_for_write(Member) == PRIMARY
    assert router.allow_migrate(PRIMARY, "members") and not router.allow_migrate(REPLICA, "members")


def test_a_plain_read_goes_to_the_replica_and_sets_no_pin(with_replica):
    seen, response = run(RequestFactory().get("/dang-vien/"), lambda: None)
    assert seen == {"before": REPLICA, "after": REPLICA}
    assert COOKIE not in response.cookies


def test_a_write_pins_the_rest_of_the_request_and_the_next_requests(with_replica):
    seen, response = run(RequestFactory().get("/"), lambda: router.db_for_write(Member))
    assert seen == {"before": REPLICA, "after": PRIMARY}
    pin = response.cookies[COOKIE]
    assert pin["max-age"] == 15 and float(pin.value) > time.time()
    # The same user's next page reads the primary while the pin lasts ...
    request = RequestFactory().get("/dang-vien/")
    request.COOKIES[COOKIE] = pin.value
    assert run(request, lambda: None)[0]["before"] == PRIMARY
    # ... and the replica once it has expired (or if the cookie is garbage).
    for value in (f"{time.time() - 1:.0f}", "không-phải-số"):
        request = RequestFactory().get("/dang-vien/")
        request.COOKIES[COOKIE] = value
        assert run(request, lambda: None)[0]["before"] == REPLICA


def test_unsafe_methods_read_the_primary(with_replica):
    seen, response = run(RequestFactory().post("/sinh-hoat/1/"), lambda: None)
    assert seen["before"] == PRIMARY and COOKIE in response.cookies


def test_state_does_not_leak_between_requests(with_replica):
    run(RequestFactory().get("/"), lambda: router.db_for_write(Member))
    assert run(RequestFactory().get("/"), lambda: None)[0]["before"] == REPLICA
