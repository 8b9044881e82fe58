import json
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from tickets import selectors
from tickets.models import Storefront
from tickets.services.privacy import ERASURE_KINDS, customer_erase


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data for good: name, e-mail, phone, their messages and attachments, and their "
        "details wherever else they are written; counts, times and amounts stay. Either STOREFRONT EXTERNAL_ID (the "
        "storefront's name and its id for the customer) or --email (every customer with that address, in every "
        "storefront or in --storefront). Safe to repeat. Last line: "
        '{"customers": n, "already_erased": n, "erased": {"<kind>": n, ...}}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("storefront", nargs="?", help="the storefront's name")
        parser.add_argument("external_id", nargs="?", help="the storefront's id for the customer")
        parser.add_argument("--email", help="erase every customer with this e-mail address instead")

    def handle(self, *args: Any, **options: Any) -> None:
        storefront = self._storefront(options["storefront"]) if options["storefront"] else None
        if options["email"]:
            if options["external_id"]:
                raise CommandError("Give either STOREFRONT EXTERNAL_ID or --email, not both.")
            customers = list(selectors.customers_by_email(email=options["email"], storefront=storefront))
        elif storefront is not None and options["external_id"]:
            try:
                customers = [
                    selectors.customer_get_for_storefront(storefront=storefront, external_id=options["external_id"])
                ]
            except Http404 as error:
                raise CommandError(
                    f"{storefront.name!r} has no customer with the id {options['external_id']!r}."
                ) from error
        else:
            raise CommandError("Give STOREFRONT EXTERNAL_ID, or --email ADDRESS.")
        total: Counter[str] = Counter(dict.fromkeys(ERASURE_KINDS, 0))
        already = 0
        for customer in customers:
            result = customer_erase(customer=customer)
            total.update(result.erased)
            already += result.already_erased
            # Ids only: what was erased must not come back in a terminal's scrollback or a job's log.
            state = "nothing left to erase" if result.already_erased else "erased"
            self.stdout.write(f"Customer #{customer.pk} of {customer.storefront.name!r}: {state}.")
        self.stdout.write(json.dumps({"customers": len(customers), "already_erased": already, "erased": dict(total)}))

    def _storefront(self, name: str) -> Storefront:
        storefront = Storefront.objects.filter(name=name).first()
        if storefront is None:
            names = ", ".join(Storefront.objects.values_list("name", flat=True)[:20]) or "none yet"
            raise CommandError(f"No storefront named {name!r} (existing: {names}).")
        return storefront
