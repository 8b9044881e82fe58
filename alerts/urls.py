from django.urls import path

from alerts import report_views, views

app_name = "alerts"
urlpatterns = [
    path("alerts/", views.dashboard, name="dashboard"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("alerts/acknowledge/", views.acknowledge_rows, name="acknowledge_rows"),
    path("alerts/notifications/", views.notifications, name="notifications"),
    path("alerts/notifications/read/", views.notifications_read, name="notifications_read"),
    path("reports/", report_views.reports, name="reports"),
    path("reports/<slug:table>.csv", report_views.report_csv, name="report_csv"),
    path("desk/audit/", views.audit, name="audit"),
]
