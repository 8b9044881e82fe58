"""How the desk shows a customer's contact details: masked (`l***@example.com`, `138****0003`) for every role, in
every desk page, export and desk API answer. The name stays visible (agents address the customer by it); the full
address and number are shown only through a reveal, which supervisors may make and which is logged on the ticket
(`tickets.services.privacy.customer_reveal`). Storefronts read their own customers' data unmasked."""

from typing import Any

MASK = "***"
PHONE_MASK = "****"


def mask_email(email: str) -> str:
    """`li.lei@example.com` -> `l***@example.com`: enough to tell two addresses apart, not enough to write to."""
    if not email:
        return ""
    local, at, domain = email.partition("@")
    if not at:
        return local[:1] + MASK
    return f"{local[:1]}{MASK}@{domain}"


def mask_phone(phone: str) -> str:
    """`13800000003` -> `138****0003` (the first three and last four characters of numbers of ten or more
    characters, as Chinese mobile numbers are shown on receipts); shorter numbers keep their last two only."""
    phone = phone.strip()
    if not phone:
        return ""
    if len(phone) >= 10:
        return f"{phone[:3]}{PHONE_MASK}{phone[-4:]}"
    if len(phone) > 4:
        return f"{PHONE_MASK}{phone[-2:]}"
    return PHONE_MASK


def customer_label(customer: Any) -> str:
    """What a list shows for a customer: the name, else the masked e-mail or phone, else the storefront's id for
    them; empty when there is no customer or nothing is known of them."""
    if customer is None:
        return ""
    return customer.name or mask_email(customer.email) or mask_phone(customer.phone) or customer.external_id or ""
