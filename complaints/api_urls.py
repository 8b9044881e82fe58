"""`/api/v1/`: the complaint endpoints (included by aftersales/urls.py)."""

from django.urls import path

from complaints import api

urlpatterns = [
    path("complaints/", api.ComplaintCreateApi.as_view(), name="api-complaint-create"),
    path("complaints/<str:id>/", api.ComplaintDetailApi.as_view(), name="api-complaint-detail"),
    path("complaints/<str:id>/response/", api.ComplaintResponseApi.as_view(), name="api-complaint-response"),
    path("desk/complaints/", api.DeskComplaintListApi.as_view(), name="api-desk-complaints"),
    path("desk/complaints/<str:id>/", api.DeskComplaintDetailApi.as_view(), name="api-desk-complaint"),
    path(
        "desk/complaints/<str:id>/investigate/", api.DeskInvestigateApi.as_view(), name="api-desk-complaint-investigate"
    ),
    path("desk/complaints/<str:id>/propose/", api.DeskProposeApi.as_view(), name="api-desk-complaint-propose"),
    path(
        "desk/complaints/<str:id>/customer-response/",
        api.DeskResponseApi.as_view(),
        name="api-desk-complaint-response",
    ),
    path("desk/complaints/<str:id>/execute/", api.DeskExecuteApi.as_view(), name="api-desk-complaint-execute"),
    path("desk/complaints/<str:id>/follow-up/", api.DeskFollowUpApi.as_view(), name="api-desk-complaint-follow-up"),
    path("desk/complaints/<str:id>/archive/", api.DeskArchiveApi.as_view(), name="api-desk-complaint-archive"),
    path(
        "desk/complaints/<str:id>/department/",
        api.DeskDepartmentApi.as_view(),
        name="api-desk-complaint-department",
    ),
]
