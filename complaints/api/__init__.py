"""The complaint API: storefront endpoints (storefront.py) and staff endpoints (desk.py).

Each view parses with an input serializer, calls one selector or service and renders with an output serializer
(common.py). Every POST is @idempotent. A storefront sees the state and the public outcome only (the proposal, the
compensation, the customer's answer), never the findings or internal notes.
"""

from complaints.api.desk import (
    DeskArchiveApi,
    DeskComplaintDetailApi,
    DeskComplaintListApi,
    DeskDepartmentApi,
    DeskExecuteApi,
    DeskFollowUpApi,
    DeskInvestigateApi,
    DeskProposeApi,
    DeskResponseApi,
)
from complaints.api.storefront import ComplaintCreateApi, ComplaintDetailApi, ComplaintResponseApi

__all__ = [
    "ComplaintCreateApi",
    "ComplaintDetailApi",
    "ComplaintResponseApi",
    "DeskArchiveApi",
    "DeskComplaintDetailApi",
    "DeskComplaintListApi",
    "DeskDepartmentApi",
    "DeskExecuteApi",
    "DeskFollowUpApi",
    "DeskInvestigateApi",
    "DeskProposeApi",
    "DeskResponseApi",
]
