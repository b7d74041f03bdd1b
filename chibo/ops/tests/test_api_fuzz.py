"""Schemathesis over /api/v1/openapi.json: generated requests (valid and invalid) never get a 5xx.

Runs in-process on the WSGI app and the test database, with a secretary's bearer token and a
meeting in progress, so the generated ids sometimes hit real rows.

Not under pytest-xdist: there schemathesis's generated items came back as one test that passed even
with an endpoint raising on every call (checked with GET /meetings/{id} made to raise: -n 2 "1 passed",
-n 0 "1 failed, 84 passed"). So in an xdist worker this module is skipped, saying so, and `make test`
(CI) runs it again on its own with `-n 0`.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from chibo.accounts.models import ApiToken
from chibo.meetings import services
from config.wsgi import application

if os.environ.get("PYTEST_XDIST_WORKER"):
    pytest.skip(
        "schemathesis does not report its cases under xdist: run with -n 0 (make test does)",
        allow_module_level=True,
    )

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(world):
    # Schemathesis calls the WSGI app directly: keep Django from closing the test transaction's
    # connection at the end of each request (Django's own test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    m = services.create_meeting(actor=world.secretary, cell=world.cell1, kind="regular",
                                scheduled_at=dt.datetime(2026, 12, 5, 12, 30, tzinfo=dt.UTC))
    services.publish(actor=world.secretary, meeting=m)
    services.start(actor=world.secretary, meeting=m)
    yield ApiToken.issue(world.secretary)[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_never_answers_with_a_server_error(case, bearer):
    response = case.call(headers={"Authorization": f"Bearer {bearer}"})
    case.validate_response(response, checks=[not_a_server_error])
