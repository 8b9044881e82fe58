"""Every write of complaints. Views, API views and tasks call these; nothing else writes.

mover.py: the one function that applies a workflow step (locks, ALLOWED_MOVES, the ticket event);
workflow.py: creation and each step; routing.py: departments, their teams and the editable mapping.
"""

from complaints.services.routing import (
    complaint_change_department,
    complaint_mapping_update,
    department_for,
    department_team,
)
from complaints.services.workflow import (
    complaint_archive,
    complaint_create,
    complaint_follow_up,
    complaint_propose_solution,
    complaint_record_response,
    complaint_start_execution,
    complaint_start_investigation,
)

__all__ = [
    "complaint_archive",
    "complaint_change_department",
    "complaint_create",
    "complaint_follow_up",
    "complaint_mapping_update",
    "complaint_propose_solution",
    "complaint_record_response",
    "complaint_start_execution",
    "complaint_start_investigation",
    "department_for",
    "department_team",
]
