from django.contrib.auth import views as auth_views
from django.urls import path

from chibo.accounts import views

app_name = "accounts"
urlpatterns = [
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.profile, name="profile"),
    path("xac-thuc-hai-buoc/", views.two_factor, name="two_factor"),
    path("doi-mat-khau/", views.password_change, name="password_change"),
    path("quen-mat-khau/", views.password_reset, name="password_reset"),
    path("quen-mat-khau/da-gui/", views.password_reset_done, name="password_reset_done"),
    path("dat-mat-khau/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("dat-mat-khau/xong/", views.password_reset_complete, name="password_reset_complete"),
    path("vai-tro/<int:pk>/", views.roles, name="roles"),
    path("vai-tro/thu-hoi/<int:pk>/", views.revoke, name="revoke"),
]
