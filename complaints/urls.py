from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from complaints import views

app_name = "complaints"
urlpatterns = [
    path("desk/complaints/", views.complaint_list, name="list"),
    # Before the complaint's own address, which would otherwise take "routing" for a reference.
    path("desk/complaints/routing/", views.complaint_mapping, name="mapping"),
    path("desk/complaints/<text:reference>/", views.complaint_detail, name="detail"),
    path("desk/complaints/<text:reference>/department/", views.complaint_department, name="department"),
    path("desk/complaints/<text:reference>/<slug:step>/", views.complaint_step, name="step"),
    path("reports/complaints/", views.complaint_report, name="report"),
]
