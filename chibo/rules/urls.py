from django.urls import path

from chibo.rules import views

app_name = "rules"
urlpatterns = [
    path("", views.rulebook_list, name="list"),
    path("them/", views.variant_upload, name="upload"),
    path("<slug:code>/", views.rulebook_detail, name="detail"),
    path("<slug:code>/yaml/", views.rulebook_yaml, name="yaml"),
]
