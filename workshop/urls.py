from django.urls import path

from . import feeds, views

app_name = "workshop"

urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("events/<slug:slug>/", views.event_detail, name="event_detail"),
    path("events/<slug:slug>/programme.ics", feeds.programme_ics, name="programme_ics"),
    path("events/<slug:slug>/schedule.json", feeds.schedule_json, name="schedule_json"),
    path("events/<slug:slug>/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("events/<slug:slug>/sessions/<int:pk>.ics", feeds.session_ics, name="session_ics"),
    path("people/<slug:key>/", views.person_detail, name="person_detail"),
]
