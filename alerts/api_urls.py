"""`/api/v1/desk/alerts/` and `/api/v1/desk/reports/` (included by aftersales/urls.py)."""

from django.urls import path

from alerts import api

urlpatterns = [
    path("desk/alerts/", api.DeskAlertListApi.as_view(), name="api-desk-alerts"),
    path("desk/alerts/acknowledge/", api.DeskAlertAcknowledgeRowsApi.as_view(), name="api-desk-alerts-acknowledge"),
    path("desk/alerts/<int:id>/acknowledge/", api.DeskAlertAcknowledgeApi.as_view(), name="api-desk-alert-acknowledge"),
    path("desk/reports/", api.DeskReportApi.as_view(), name="api-desk-reports"),
]
