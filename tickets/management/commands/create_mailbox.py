from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.errors import ApplicationError
from tickets.models import ImapSecurity, Storefront, Team
from tickets.services.mailboxes import PROVIDERS, mailbox_create


class Command(BaseCommand):
    help = (
        "Create a storefront's mailbox, fetched by IMAP or fed by a provider's inbound webhook (email.md). "
        "Last line: the mailbox id. The password and the webhook secret are never printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("storefront", help="the storefront's name (or id)")
        parser.add_argument("address", help="the service address, e.g. service@shop.example")
        parser.add_argument("--imap-host", default="")
        parser.add_argument("--imap-port", type=int, default=None)
        parser.add_argument("--imap-user", default="")
        parser.add_argument("--imap-password", default="")
        security = parser.add_mutually_exclusive_group()
        security.add_argument("--imap-ssl", dest="imap_security", action="store_const", const=ImapSecurity.SSL)
        security.add_argument(
            "--imap-starttls", dest="imap_security", action="store_const", const=ImapSecurity.STARTTLS
        )
        security.add_argument("--imap-plain", dest="imap_security", action="store_const", const=ImapSecurity.PLAIN)
        parser.add_argument("--folder", default="INBOX")
        parser.add_argument("--inbound", default="", choices=("", *PROVIDERS), help="a provider's inbound webhook")
        parser.add_argument("--webhook-secret", default="")
        parser.add_argument("--team", default="", help="the team of its new tickets when no routing rule says")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--language", default="")
        parser.add_argument("--acknowledge", action="store_true", help="acknowledge new tickets by e-mail")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["storefront"]
        storefront = Storefront.objects.filter(name=name).first()
        if storefront is None and name.isdigit():
            storefront = Storefront.objects.filter(pk=int(name)).first()
        if storefront is None:
            raise CommandError(f"No storefront named {name!r}.")
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"No team named {options['team']!r}.")
        try:
            mailbox = mailbox_create(
                storefront=storefront,
                address=options["address"],
                imap_host=options["imap_host"],
                imap_port=options["imap_port"],
                imap_user=options["imap_user"],
                imap_password=options["imap_password"],
                imap_security=options["imap_security"] or ImapSecurity.SSL,
                imap_folder=options["folder"],
                provider=options["inbound"],
                webhook_secret=options["webhook_secret"],
                display_name=options["display_name"],
                language=options["language"],
                default_team=team,
                send_acknowledgement=options["acknowledge"],
            )
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        how = f"provider {mailbox.provider}" if mailbox.provider else f"IMAP {mailbox.imap_host}:{mailbox.imap_port}"
        self.stdout.write(f"Mailbox {mailbox.address} of {storefront.name!r} created ({how}).")
        self.stdout.write(str(mailbox.pk))
