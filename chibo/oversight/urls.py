from django.urls import path

from chibo.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.index, name="index"),
    path("tong-quan/<int:org_id>/", views.dashboard_view, name="dashboard"),
    path("tong-quan/<int:org_id>/excel/", views.dashboard_excel, name="excel"),
    path("dinh-huong/<int:org_id>/", views.guidance_list, name="guidance_list"),
    path("dinh-huong/chi-tiet/<int:pk>/", views.guidance_detail, name="guidance"),
    path("dinh-huong/chi-tiet/<int:pk>/ban-hanh/", views.guidance_publish, name="guidance_publish"),
    path("dinh-huong/da-nhan/", views.guidance_received, name="guidance_received"),
    path("dinh-huong/noi-dung/<int:item_id>/dua-vao/<int:meeting_id>/", views.adopt, name="adopt"),
    path("du-sinh-hoat/<int:org_id>/", views.visits, name="visits"),
    path("du-sinh-hoat/ghi-nhan/<int:pk>/", views.visit_record, name="visit"),
    path("kiem-tra/<int:org_id>/<int:year>/", views.inspection, name="inspection"),
    path("kiem-tra/noi-dung/<int:pk>/", views.inspection_item, name="inspection_item"),
    path("kiem-tra/kien-nghi/<int:pk>/theo-doi/", views.follow_up, name="follow_up"),
    path("kien-nghi/", views.recommendations, name="recommendations"),
    path("cham-cheo/<int:org_id>/", views.peers, name="peers"),
    path("cham-cheo/cua-toi/", views.peer_tasks, name="peer_tasks"),
    path("cham-cheo/phan-cong/<int:pairing_id>/<int:meeting_id>/", views.peer_score, name="peer_score"),
    path("sinh-hoat-mau/", views.model_list, name="models"),
    path("sinh-hoat-mau/<int:pk>/", views.model_detail, name="model"),
    path("sinh-hoat-mau/<int:pk>/tai-lieu/<int:doc_id>/", views.model_document, name="model_document"),
    path("sinh-hoat-mau/<int:pk>/bo-chon/", views.model_unmark, name="model_unmark"),
    path("sinh-hoat-mau/chon/<int:meeting_id>/", views.model_mark, name="model_mark"),
]
