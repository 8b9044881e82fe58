"""`/api/v1/`: the complaint endpoints (included by aftersales/urls.py)."""

from django.urls import path

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from complaints import api

urlpatterns = [
    path("complaints/", api.ComplaintCreateApi.as_view(), name="api-complaint-create"),
    path("complaints/<text:id>/", api.ComplaintDetailApi.as_view(), name="api-complaint-detail"),
    path("complaints/<text:id>/response/", api.ComplaintResponseApi.as_view(), name="api-complaint-response"),
    path("desk/complaints/", api.DeskComplaintListApi.as_view(), name="api-desk-complaints"),
    path("desk/complaints/<text:id>/", api.DeskComplaintDetailApi.as_view(), name="api-desk-complaint"),
    path(
        "desk/complaints/<text:id>/investigate/",
        api.DeskInvestigateApi.as_view(),
        name="api-desk-complaint-investigate",
    ),
    path("desk/complaints/<text:id>/propose/", api.DeskProposeApi.as_view(), name="api-desk-complaint-propose"),
    path(
        "desk/complaints/<text:id>/customer-response/",
        api.DeskResponseApi.as_view(),
        name="api-desk-complaint-response",
    ),
    path("desk/complaints/<text:id>/execute/", api.DeskExecuteApi.as_view(), name="api-desk-complaint-execute"),
    path("desk/complaints/<text:id>/follow-up/", api.DeskFollowUpApi.as_view(), name="api-desk-complaint-follow-up"),
    path("desk/complaints/<text:id>/archive/", api.DeskArchiveApi.as_view(), name="api-desk-complaint-archive"),
    path(
        "desk/complaints/<text:id>/department/",
        api.DeskDepartmentApi.as_view(),
        name="api-desk-complaint-department",
    ),
]
