"""A customer's erasure, for complaints: the customer's own note on a proposal erased, what staff wrote about them
(findings, solution, notes, root cause, lessons) scrubbed of their name, e-mail and phone; the complaint's body is
its ticket's opening message, erased with the ticket's. Registered with `tickets.services.privacy` from
ComplaintsConfig.ready(), so that the ticket core erases complaints without importing this app."""

from complaints.models import Complaint
from tickets.services.privacy import Erasure

STAFF_TEXT = ("findings", "proposed_solution", "execution_note", "follow_up_note", "root_cause", "lessons")


def erase_customer_complaints(erasure: Erasure) -> None:
    # After the tickets' locks (taken by tickets.services.privacy.customer_erase), as the complaint services lock.
    complaints = Complaint.objects.select_for_update().filter(ticket_id__in=erasure.ticket_ids).order_by("pk")
    changed = 0
    for complaint in complaints:
        erasure.needles |= {str(complaint.public_id), complaint.reference or ""}
        before = [getattr(complaint, name) for name in ("customer_response_note", *STAFF_TEXT)]
        complaint.customer_response_note = erasure.erase_text(complaint.customer_response_note)
        for name in STAFF_TEXT:
            setattr(complaint, name, erasure.scrub(getattr(complaint, name)))
        if [getattr(complaint, name) for name in ("customer_response_note", *STAFF_TEXT)] != before:
            complaint.save(update_fields=["customer_response_note", *STAFF_TEXT])
            changed += 1
    erasure.counts["complaints"] += changed
