"""Desk pages for complaints. desk.py: the panel on the complaint's ticket page, the step actions, the list and the
routing page; report.py: the supervisors' complaints report."""

from complaints.views.desk import (
    build_complaint_panel,
    complaint_department,
    complaint_detail,
    complaint_list,
    complaint_mapping,
    complaint_step,
)
from complaints.views.report import complaint_report

__all__ = [
    "build_complaint_panel",
    "complaint_department",
    "complaint_detail",
    "complaint_list",
    "complaint_mapping",
    "complaint_report",
    "complaint_step",
]
