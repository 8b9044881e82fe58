from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator

from aftersales.errors import ApplicationError
from tickets import services


class Command(BaseCommand):
    help = "Create a storefront and its first API key. Last line: the key alone (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the storefront's name, unique")
        parser.add_argument("--webhook-url", default="", help="where its webhooks are POSTed (optional)")
        parser.add_argument("--language", default="zh-hans", help="language of messages to its customers")

    def handle(self, *args: Any, **options: Any) -> None:
        webhook_url = options["webhook_url"].strip()
        if webhook_url:
            try:
                URLValidator(schemes=["http", "https"])(webhook_url)
            except ValidationError as error:
                raise CommandError(f"--webhook-url is not an http(s) URL: {webhook_url!r}") from error
        try:
            storefront, key = services.storefront_create(
                name=options["name"], webhook_url=webhook_url, language=options["language"]
            )
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Storefront {storefront.name!r} created (id {storefront.pk}).")
        if storefront.webhook_url:
            self.stdout.write(f"Webhooks go to {storefront.webhook_url}, signed with {storefront.webhook_secret}")
        self.stdout.write("Its API key (shown only this once; send it as 'Authorization: Api-Key <key>'):")
        self.stdout.write(key)
