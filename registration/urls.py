from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("events/<slug:slug>/register/", views.register, name="register"),
    path("events/<slug:slug>/register/check-inbox/", views.check_inbox, name="check_inbox"),
    path("registrations/<str:secret>/", views.status, name="status"),
    path("registrations/<str:secret>/confirm/", views.confirm, name="confirm"),
    path("registrations/<str:secret>/edit/", views.edit, name="edit"),
    path("registrations/<str:secret>/cancel/", views.cancel, name="cancel"),
    path("registrations/<str:secret>/invite.ics", views.invite_ics, name="invite_ics"),
    path("privacy/", views.privacy, name="privacy"),
]
