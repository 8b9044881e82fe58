import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.models import InboundKind, Mailbox
from tickets.services.mailboxes import mailbox_fetch, mailboxes_fetch


class Command(BaseCommand):
    help = (
        "Fetch new mail from the IMAP mailboxes (or one) and process it. Last line: "
        '{"fetched": n, "created": n, "appended": n, "ignored": n, "quarantined": n}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", type=int, default=None, help="the mailbox's id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["mailbox"] is not None:
            mailbox = Mailbox.objects.select_related("storefront").filter(pk=options["mailbox"]).first()
            if mailbox is None:
                raise CommandError(f"No mailbox with id {options['mailbox']}.")
            if mailbox.inbound != InboundKind.IMAP:
                raise CommandError(f"Mailbox {mailbox.address} takes its mail from {mailbox.provider}'s webhook.")
            try:
                counts = mailbox_fetch(mailbox=mailbox)
            except Exception as error:
                raise CommandError(f"Mailbox {mailbox.address} could not be fetched: {mailbox.last_error}") from error
        else:
            counts = mailboxes_fetch()
        self.stdout.write(json.dumps(counts.as_dict()))
