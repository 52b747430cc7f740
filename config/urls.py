from django.contrib import admin
from django.urls import include, path

from config.health import healthz

admin.site.site_header = "Academic events: organizers"
admin.site.site_title = "Academic events"
admin.site.index_title = "Programme and registrations"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    path("", include("workshop.urls")),
    path("", include("registration.urls")),
    path("", include("search.urls")),
]
