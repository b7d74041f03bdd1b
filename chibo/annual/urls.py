from django.urls import path

from chibo.annual import views

app_name = "annual"
urlpatterns = [
    path("", views.index, name="index"),
    path("cua-toi/", views.my_year, name="my_year"),
    path("dang-vien/<int:pk>/<int:year>/", views.member_year, name="member_year"),
    path("dang-vien/<int:pk>/<int:year>/cam-ket/", views.commitment_start, name="commitment_start"),
    path("dang-vien/<int:pk>/dang-phi/", views.dues_profile, name="dues_profile"),
    path("dang-vien/<int:pk>/dang-phi/tu-nguyen/", views.dues_voluntary, name="dues_voluntary"),
    path("cam-ket/<int:pk>/", views.commitment, name="commitment"),
    path("cam-ket/<int:pk>/duyet/", views.commitment_approve, name="commitment_approve"),
    path("cam-ket/<int:pk>/tra-lai/", views.commitment_return, name="commitment_return"),
    path("chi-bo/<int:pk>/<int:year>/", views.cell_year, name="cell_year"),
    path("chi-bo/<int:pk>/<int:year>/mo-dot/", views.round_open, name="round_open"),
    path("chi-bo/<int:pk>/han-che/", views.shortcoming_raise, name="shortcoming_raise"),
    path("chi-bo/<int:pk>/<int:year>/dang-phi/", views.dues, name="dues"),
    path("chi-bo/<int:pk>/<int:year>/dang-phi/bien-lai.xlsx", views.dues_xlsx, name="dues_xlsx"),
    path("chi-bo/<int:pk>/<int:year>/dang-phi/nop/", views.dues_payment, name="dues_payment"),
    path("chi-bo/<int:pk>/<int:year>/dang-phi/nop-cap-tren/", views.dues_remit, name="dues_remit"),
    path("nop-cap-tren/<int:pk>/xac-nhan/", views.dues_confirm, name="dues_confirm"),
    path("dot/<int:pk>/cap-nhat/", views.round_refresh, name="round_refresh"),
    path("dot/<int:pk>/de-nghi/", views.round_propose, name="round_propose"),
    path("dot/<int:pk>/quyet-dinh/", views.round_decide, name="round_decide"),
    path("dot/<int:pk>/tra-lai/", views.round_return, name="round_return"),
    path("dot/<int:pk>/<str:kind>.<str:fmt>", views.round_document, name="round_document"),
    path("kiem-diem/<int:pk>/", views.review, name="review"),
    path("kiem-diem/<int:pk>/tu-danh-gia/", views.review_self, name="review_self"),
    path("kiem-diem/<int:pk>/danh-gia/", views.review_assess, name="review_assess"),
    path("kiem-diem/<int:pk>/bieu-quyet/", views.review_vote, name="review_vote"),
    path("kiem-diem/<int:pk>/quyet-dinh/", views.review_decide, name="review_decide"),
    path("kiem-diem/<int:pk>/ban-kiem-diem.<str:fmt>", views.review_document, name="review_document"),
    path("han-che/<int:pk>/", views.shortcoming, name="shortcoming"),
    path("han-che/<int:pk>/ke-hoach/", views.shortcoming_plan, name="shortcoming_plan"),
    path("han-che/<int:pk>/theo-doi/", views.shortcoming_follow_up, name="shortcoming_follow_up"),
    path("han-che/<int:pk>/xac-nhan/", views.shortcoming_confirm, name="shortcoming_confirm"),
]
