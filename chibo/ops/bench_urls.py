"""URLs for `make bench`: the app's URLs plus a minimal view, the framework floor.

Enabled only with CHIBO_BENCH_FLOOR=1 (scripts/bench.py sets it on the server it starts).
The floor view goes through the same middleware (sessions, auth, 2FA, CSP…) and returns a
few bytes: what any page costs before chibo's own code runs.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("_bench/floor/", floor),
    path("", include("config.urls")),
]
