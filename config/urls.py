from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("chibo.core.urls")),
    path("to-chuc/", include("chibo.organisations.urls")),
    path("sinh-hoat/", include("chibo.meetings.urls")),
    path("quy-tac/", include("chibo.rules.urls")),
    path("van-ban/", include("chibo.documents.urls")),
    path("cap-tren/", include("chibo.oversight.urls")),
    path("thoi-su/", include("chibo.bulletin.urls")),
    path("hang-nam/", include("chibo.annual.urls")),
    path("dang-vien/", include("chibo.members.urls")),
    path("tai-khoan/", include("chibo.accounts.urls")),
    path("nhat-ky/", include("chibo.audit.urls")),
    path("api/v1/", include("chibo.api.urls")),
    path("admin/", admin.site.urls),
]
