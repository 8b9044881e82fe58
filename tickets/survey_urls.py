"""The customer's survey page: public (no login), reached through the link in the e-mail or the storefront."""

from django.urls import path

from tickets import survey_views

urlpatterns = [path("s/<str:token>/", survey_views.survey_page, name="survey")]
