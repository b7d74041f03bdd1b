from django.urls import path

from chibo.bulletin import views

app_name = "bulletin"
org = "to-chuc/<int:org_id>"
hop = "hop/<int:pk>"
urlpatterns = [
    path("", views.index, name="index"),
    # An organisation's news sources and items.
    path(f"{org}/", views.news, name="news"),
    path(f"{org}/nguon/them/", views.feed_add, name="feed_add"),
    path(f"{org}/nguon/<int:feed_id>/lay-tin/", views.feed_fetch, name="feed_fetch"),
    path(f"{org}/nguon/<int:feed_id>/bat-tat/", views.feed_toggle, name="feed_toggle"),
    path(f"{org}/nguon/<int:feed_id>/xoa/", views.feed_remove, name="feed_remove"),
    path(f"{org}/tin/them/", views.item_add, name="item_add"),
    # The bulletin of a meeting.
    path(f"{hop}/", views.builder, name="builder"),
    path(f"{hop}/them/<int:item_id>/", views.entry_add, name="entry_add"),
    path(f"{hop}/nhap-tay/", views.entry_typed, name="entry_typed"),
    path(f"{hop}/muc/<int:entry_id>/", views.entry_update, name="entry_update"),
    path(f"{hop}/muc/<int:entry_id>/tom-tat/", views.entry_text, {"which": "summary"}, name="entry_summary"),
    path(f"{hop}/muc/<int:entry_id>/toan-van/", views.entry_text, {"which": "full"}, name="entry_full"),
    path(f"{hop}/muc/<int:entry_id>/len/", views.entry_move, {"direction": "len"}, name="entry_up"),
    path(f"{hop}/muc/<int:entry_id>/xuong/", views.entry_move, {"direction": "xuong"}, name="entry_down"),
    path(f"{hop}/muc/<int:entry_id>/xoa/", views.entry_remove, name="entry_remove"),
    path(f"{hop}/doc/", views.audio_request, name="audio_request"),
    path(f"{hop}/doc/tien-do/", views.audio_progress, name="audio_progress"),
    path(f"{hop}/am-thanh/", views.audio_file, name="audio"),
    path(f"{hop}/am-thanh/<int:entry_id>/", views.clip_file, name="clip"),
    path(f"{hop}/chuong.vtt", views.chapters_vtt, name="chapters"),
    path(f"{hop}/tai/<str:fmt>/", views.download, name="download"),
]
