from django.urls import path

from chibo.members import transfer_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("them/", views.member_create, name="create"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/sua/", views.member_edit, name="edit"),
    path("<int:pk>/chuyen/", views.member_transfer, name="transfer"),
    path("<int:pk>/xoa/", views.member_delete, name="delete"),
    path("nhap/", transfer_views.import_upload, name="import"),
    path("nhap/<int:pk>/", transfer_views.import_preview, name="import_preview"),
    path("xuat/", transfer_views.export, name="export"),
]
