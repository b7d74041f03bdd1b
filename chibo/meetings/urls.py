from django.urls import path

from chibo.core import views as core_views

app_name = "meetings"
urlpatterns = [
    path("", core_views.coming("meetings"), name="list"),
]
