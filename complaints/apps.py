from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ENUM_NAMES = {
    "ComplaintStatusEnum": "complaints.models.ComplaintStatus",
    "ComplaintCategoryEnum": "complaints.models.ComplaintCategory",
    "ComplaintDepartmentEnum": "complaints.models.Department",
    "ComplaintCustomerResponseEnum": "complaints.models.CustomerResponse",
    "ComplaintRootCauseEnum": "complaints.models.RootCause",
}


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from django.conf import settings

        from complaints import views
        from tickets import roles
        from tickets.panels import register_nav_item, register_ticket_panel

        register_ticket_panel(kind="complaint", build=views.build_complaint_panel, order=20)
        # The desk's search finds a complaint's ticket by the complaint's reference.
        from complaints.models import Complaint
        from tickets.panels import register_reference

        register_reference(
            prefix="C-", ticket_ids=lambda reference: Complaint.objects.filter(reference=reference).values("ticket_id")
        )
        # The timeline's lines about the complaint (its steps, its department), in the reader's language.
        from complaints.models import ComplaintStatus, Department
        from tickets.panels import register_event_values

        register_event_values(kind="complaint", labels={**dict(Department.choices), **dict(ComplaintStatus.choices)})
        # Privacy: a customer's erasure (tickets.services.privacy) erases their complaints too.
        from complaints.services.privacy import erase_customer_complaints
        from tickets.services.privacy import register_erasure_part

        register_erasure_part("complaints", erase_customer_complaints)
        # A merged ticket's complaint moves to the ticket it was merged into (tickets.services.merge).
        from complaints.services.merge import complaint_follow_merged_ticket
        from tickets.services.merge import register_merge_part

        register_merge_part("complaints", complaint_follow_merged_ticket)
        register_nav_item(label=_("Complaints"), url_name="complaints:list", visible=roles.is_agent, order=30)
        register_nav_item(
            label=_("Complaint report"), url_name="complaints:report", visible=roles.is_supervisor, order=70
        )
        # The complaint enums share field names with the ticket ones (status, category): each gets its own schema
        # component name. Registered here so that the complaints app brings its own API naming with it.
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        for name, choices in ENUM_NAMES.items():
            overrides.setdefault(name, choices)
