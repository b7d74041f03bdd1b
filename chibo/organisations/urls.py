from django.urls import path

from chibo.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.org_list, name="list"),
    path("<int:pk>/", views.org_detail, name="detail"),
    path("<int:pk>/them/", views.org_create, name="create"),
    path("<int:pk>/sua/", views.org_edit, name="edit"),
    path("<int:pk>/chuyen/", views.org_move, name="move"),
    path("<int:pk>/nhiem-ky/", views.term_add, name="term_add"),
]
