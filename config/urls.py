from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Academic events: organizers"
admin.site.site_title = "Academic events"
admin.site.index_title = "Programme and registrations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("portal/", include("workshop.portal.urls")),
    path("", include("workshop.urls")),
    path("", include("registration.urls")),
]
