from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from config.health import healthz
from config.language import set_language

admin.site.site_header = _("Academic events: organizers")
admin.site.site_title = _("Academic events")
admin.site.index_title = _("Programme and registrations")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("language/", set_language, name="set_language"),
    path("portal/", include("portal.urls")),
    path("", include("workshop.urls")),
    path("", include("registration.urls")),
    path("", include("search.urls")),
]
