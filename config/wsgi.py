import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import the URL configuration (every view module, the API and its schemas) while the worker boots,
# not during its first request: that request would otherwise wait about 3 s, and at the start of
# a meeting evening every worker's first requests are "bắt đầu họp" presses.
get_resolver().url_patterns  # noqa: B018
