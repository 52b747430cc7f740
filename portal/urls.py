from django.urls import path

from . import auth_views, views

app_name = "portal"

urlpatterns = [
    path("", views.slots, name="slots"),
    path("sign-in/", auth_views.sign_in, name="sign_in"),
    path("link/<str:purpose>/", auth_views.magic_link, name="magic_link"),
    path("sign-out/", auth_views.sign_out, name="sign_out"),
    path("profile/", views.profile, name="profile"),
    path("sessions/<int:pk>/abstract/", views.edit_abstract, name="edit_abstract"),
    path("sessions/<int:pk>/paper/", views.upload_paper, name="upload_paper"),
    path("sessions/<int:pk>/paper/download/", views.download_paper, name="download_paper"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
