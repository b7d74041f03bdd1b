from django.urls import path

from chibo.documents import views

app_name = "documents"
urlpatterns = [
    path("sinh-hoat/<int:pk>/<slug:kind>.<str:fmt>", views.download, name="download"),
    path("tai-ca-nam/", views.export_new, name="export_new"),
    path("tai-ca-nam/<int:pk>/", views.export_detail, name="export"),
    path("tai-ca-nam/<int:pk>/tai-ve/", views.export_download, name="export_download"),
    path("chuyen-de/<int:topic_id>/de-cuong/", views.outline_edit, name="outline"),
]
