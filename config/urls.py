from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("chibo.core.urls")),
    path("to-chuc/", include("chibo.organisations.urls")),
    path("sinh-hoat/", include("chibo.meetings.urls")),
    path("quy-tac/", include("chibo.rules.urls")),
    path("dang-vien/", include("chibo.members.urls")),
    path("tai-khoan/", include("chibo.accounts.urls")),
    path("nhat-ky/", include("chibo.audit.urls")),
    path("api/v1/", include("chibo.api.urls")),
    path("admin/", admin.site.urls),
]
