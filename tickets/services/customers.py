"""Customers: found by the storefront's own id, created on first sight."""

from tickets.models import Customer, Storefront


def customer_upsert(
    *, storefront: Storefront, external_id: str = "", name: str = "", email: str = "", phone: str = ""
) -> Customer:
    """The storefront's customer by its external id, created on first sight, details refreshed when given (an empty
    detail never overwrites a known one). Without an external id every call is a new customer."""
    details = {"name": name, "email": email, "phone": phone}
    if not external_id:
        return Customer.objects.create(storefront=storefront, **details)
    # Two requests naming a new customer at once: the unique constraint lets one insert, get_or_create reads it back
    # for the other.
    customer, created = Customer.objects.get_or_create(storefront=storefront, external_id=external_id, defaults=details)
    if not created:
        changed = [field for field, value in details.items() if value and getattr(customer, field) != value]
        for field in changed:
            setattr(customer, field, details[field])
        if changed:
            customer.save(update_fields=changed)
    return customer
