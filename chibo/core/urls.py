from django.urls import path

from chibo.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("nhiem-vu/", views.coming("tasks"), name="tasks"),
    path("bao-cao/", views.coming("reports"), name="reports"),
]
