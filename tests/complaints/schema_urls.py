"""The ticket and complaint API alone, so the complaint schema is checked whatever other apps add meanwhile."""

from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tickets.api_urls")),
    path("api/v1/", include("complaints.api_urls")),
]
