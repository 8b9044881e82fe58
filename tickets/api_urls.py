"""`/api/v1/`: the ticket endpoints, then the other apps' (included by aftersales/urls.py)."""

from django.urls import path, register_converter

from aftersales import converters  # noqa: F401 (registers <text:>: no control characters in a path)
from tickets.api import automation, desk, privacy, sales, storefront


class ReferenceConverter:
    """A ticket reference (T-000123). Anything else never reaches the database: a NUL byte in a path would make
    PostgreSQL's driver raise instead of answering 404."""

    regex = r"[A-Za-z0-9-]{1,20}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class IdConverter:
    """A row id that fits a bigint column; a longer number is 404, not a database error."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ReferenceConverter, "reference")
register_converter(IdConverter, "row_id")

urlpatterns = [
    path("desk/automation/triggers/", automation.TriggerListApi.as_view(), name="api-automation-triggers"),
    path("desk/automation/triggers/<row_id:id>/", automation.TriggerDetailApi.as_view(), name="api-automation-trigger"),
    path(
        "desk/automation/triggers/<row_id:id>/test/",
        automation.TriggerTestApi.as_view(),
        name="api-automation-trigger-test",
    ),
    path("desk/automation/time-rules/", automation.TimeRuleListApi.as_view(), name="api-automation-time-rules"),
    path(
        "desk/automation/time-rules/<row_id:id>/",
        automation.TimeRuleDetailApi.as_view(),
        name="api-automation-time-rule",
    ),
    path(
        "desk/automation/time-rules/<row_id:id>/test/",
        automation.TimeRuleTestApi.as_view(),
        name="api-automation-time-rule-test",
    ),
    path(
        "desk/automation/time-rules/<row_id:id>/preview/",
        automation.TimeRulePreviewApi.as_view(),
        name="api-automation-time-rule-preview",
    ),
    path(
        "desk/automation/chat-channels/",
        automation.ChatChannelListApi.as_view(),
        name="api-automation-chat-channels",
    ),
    path("tickets/", storefront.TicketCreateApi.as_view(), name="api-ticket-create"),
    path("tickets/<str:id>/", storefront.TicketDetailApi.as_view(), name="api-ticket-detail"),
    path("tickets/<str:id>/messages/", storefront.TicketMessageCreateApi.as_view(), name="api-ticket-messages"),
    path("sales-stats/<str:date>/", sales.SalesStatApi.as_view(), name="api-sales-stats"),
    path("desk/tickets/", desk.DeskTicketListApi.as_view(), name="api-desk-tickets"),
    path("desk/tickets/bulk/", desk.DeskBulkApi.as_view(), name="api-desk-bulk"),
    path("desk/bulk-jobs/<row_id:job_id>/", desk.DeskBulkJobApi.as_view(), name="api-desk-bulk-job"),
    path(
        "desk/bulk-jobs/<row_id:job_id>/results/",
        desk.DeskBulkJobResultsApi.as_view(),
        name="api-desk-bulk-job-results",
    ),
    path("desk/tickets/<reference:reference>/", desk.DeskTicketDetailApi.as_view(), name="api-desk-ticket"),
    path("desk/tickets/<reference:reference>/reply/", desk.DeskReplyApi.as_view(), name="api-desk-reply"),
    path("desk/tickets/<reference:reference>/notes/", desk.DeskNoteApi.as_view(), name="api-desk-notes"),
    path(
        "desk/tickets/<reference:reference>/acknowledge/",
        desk.DeskAcknowledgeApi.as_view(),
        name="api-desk-acknowledge",
    ),
    path("desk/tickets/<reference:reference>/assign/", desk.DeskAssignApi.as_view(), name="api-desk-assign"),
    path("desk/tickets/<reference:reference>/status/", desk.DeskStatusApi.as_view(), name="api-desk-status"),
    path("desk/tickets/<reference:reference>/severity/", desk.DeskSeverityApi.as_view(), name="api-desk-severity"),
    path("desk/tickets/<reference:reference>/category/", desk.DeskCategoryApi.as_view(), name="api-desk-category"),
    path(
        "desk/tickets/<reference:reference>/customer-messages/",
        desk.DeskCustomerMessageApi.as_view(),
        name="api-desk-customer-messages",
    ),
    path("desk/tickets/<reference:reference>/merge/", desk.DeskMergeApi.as_view(), name="api-desk-merge"),
    path("desk/tickets/<reference:reference>/links/", desk.DeskLinkApi.as_view(), name="api-desk-links"),
    path("desk/tickets/<reference:reference>/split/", desk.DeskSplitApi.as_view(), name="api-desk-split"),
    path("desk/tickets/<reference:reference>/tags/", desk.DeskTagsApi.as_view(), name="api-desk-tags"),
    path("desk/tags/", desk.DeskTagSuggestApi.as_view(), name="api-desk-tag-suggest"),
    path("desk/views/", desk.DeskSavedViewListApi.as_view(), name="api-desk-views"),
    path("desk/macros/", desk.DeskMacroListApi.as_view(), name="api-desk-macros"),
    path("desk/macros/<row_id:macro_id>/", desk.DeskMacroDetailApi.as_view(), name="api-desk-macro"),
    path(
        "desk/tickets/<reference:reference>/macros/<row_id:macro_id>/apply/",
        desk.DeskMacroApplyApi.as_view(),
        name="api-desk-macro-apply",
    ),
    path("desk/views/<row_id:view_id>/", desk.DeskSavedViewDetailApi.as_view(), name="api-desk-view"),
    path("desk/canned-responses/", desk.DeskCannedListApi.as_view(), name="api-desk-canned"),
    path(
        "desk/tickets/<reference:reference>/canned-responses/<row_id:canned_id>/render/",
        desk.DeskCannedRenderApi.as_view(),
        name="api-desk-canned-render",
    ),
    # Privacy: erasure by the storefront, reveal by supervisors.
    path("customers/<text:external_id>/erase/", privacy.CustomerEraseApi.as_view(), name="api-customer-erase"),
    path("desk/tickets/<reference:reference>/reveal/", privacy.DeskRevealApi.as_view(), name="api-desk-reveal"),
]
