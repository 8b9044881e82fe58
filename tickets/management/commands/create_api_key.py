from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets import services
from tickets.models import Storefront


class Command(BaseCommand):
    help = "Create another API key for a storefront, found by name. Last line: the key alone (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("storefront", help="the storefront's name")
        parser.add_argument("--name", default="", help="a label for the key, e.g. where it is used")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            storefront = Storefront.objects.get(name=options["storefront"])
        except Storefront.DoesNotExist as error:
            names = ", ".join(Storefront.objects.values_list("name", flat=True)[:20]) or "none yet"
            raise CommandError(f"No storefront named {options['storefront']!r} (existing: {names}).") from error
        api_key, key = services.api_key_create(storefront=storefront, name=options["name"])
        self.stdout.write(f"New API key {api_key.prefix}… for {storefront.name!r} (shown only this once):")
        self.stdout.write(key)
