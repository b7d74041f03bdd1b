from django.urls import path

from chibo.meetings import views

app_name = "meetings"
live = "<int:pk>/dieu-hanh"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("them/", views.meeting_create, name="create"),
    path("nhiem-vu/", views.task_list, name="tasks"),
    path("thong-bao/", views.notifications, name="notifications"),
    path("thong-bao/da-doc/", views.notifications_read_all, name="notifications_read_all"),
    path("thong-bao/<int:note_id>/da-doc/", views.notification_read, name="notification_read"),
    path("lich/<int:user_id>/<str:token>.ics", views.ical_feed, name="ical"),
    path("ke-hoach/<int:cell_id>/<int:year>/", views.plan_view, name="plan"),
    path("ke-hoach/<int:cell_id>/<int:year>/lap/", views.plan_create, name="plan_create"),
    path("ke-hoach/<int:cell_id>/<int:year>/chuyen-de/", views.topic_add, name="topic_add"),
    # Prepare, publish, start; the approved record and its amendments.
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/chuan-bi/", views.meeting_update, name="update"),
    path("<int:pk>/doi-lich/", views.reschedule, name="reschedule"),
    path("<int:pk>/tai-lieu/", views.document_upload, name="document_upload"),
    path("<int:pk>/tai-lieu/<int:doc_id>/", views.document_download, name="document"),
    path("<int:pk>/tai-lieu/<int:doc_id>/xoa/", views.document_remove, name="document_remove"),
    path("<int:pk>/cong-bo/", views.publish, name="publish"),
    path("<int:pk>/bat-dau/", views.start, name="start"),
    path("<int:pk>/dinh-chinh/", views.amendment_add, name="amendment"),
    # The live screen and its actions.
    path(f"{live}/", views.live, name="live"),
    path(f"{live}/chu-tri/", views.set_people, name="people"),
    path(f"{live}/diem-danh/<int:member_id>/", views.set_attendance, name="attendance"),
    path(f"{live}/dang-phi/<int:member_id>/", views.set_dues, name="dues"),
    path(f"{live}/dai-bieu/", views.guest_add, name="guest"),
    path(f"{live}/buoc/them/", views.item_add, name="item_add"),
    path(f"{live}/buoc/<int:item_id>/bat-dau/", views.item_start, name="item_start"),
    path(f"{live}/buoc/<int:item_id>/ket-thuc/", views.item_end, name="item_end"),
    path(f"{live}/buoc/<int:item_id>/len/", views.item_move, {"direction": "len"}, name="item_up"),
    path(f"{live}/buoc/<int:item_id>/xuong/", views.item_move, {"direction": "xuong"}, name="item_down"),
    path(f"{live}/buoc/<int:item_id>/ket-luan/", views.conclusion, name="conclusion"),
    path(f"{live}/phat-bieu/", views.speech_add, name="speech"),
    path(f"{live}/phat-bieu/<int:speech_id>/xoa/", views.speech_delete, name="speech_delete"),
    path(f"{live}/nhiem-vu/", views.task_add, name="task"),
    path(f"{live}/nhiem-vu/<int:task_id>/bao-cao/", views.task_report, name="task_report"),
    path(f"{live}/bieu-quyet/", views.vote_open, name="vote_open"),
    path(f"{live}/bieu-quyet/<int:vote_id>/phieu/", views.ballot, name="ballot"),
    path(f"{live}/bieu-quyet/<int:vote_id>/ket-thuc/", views.vote_close, name="vote_close"),
    path(f"{live}/cham-diem/", views.score_cell, name="score_cell"),
    path(f"{live}/cham-diem-cap-tren/", views.score_upper, name="score_upper"),
    path(f"{live}/doc-lai-bien-ban/", views.read_back, name="read_back"),
    path(f"{live}/duyet/", views.approve, name="approve"),
]
