from django.urls import path

from chibo.api.api import api

urlpatterns = [path("", api.urls)]
