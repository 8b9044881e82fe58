from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from aftersales.errors import ApplicationError
from tickets import services
from tickets.models import Team
from tickets.roles import ROLE_GROUPS


class Command(BaseCommand):
    help = "Create a desk user in a role, optionally in teams. Last line: their API token alone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help="one of: " + ", ".join(ROLE_GROUPS))
        parser.add_argument(
            "--team", action="append", default=[], help="a team's name (English or Chinese); repeat for several"
        )
        parser.add_argument("--password", default=None, help="without it the user cannot log in to the desk yet")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        if role not in ROLE_GROUPS:
            raise CommandError(f"Unknown role {role!r}: choose one of {', '.join(ROLE_GROUPS)}.")
        teams = [self._team(name) for name in options["team"]]
        try:
            user, token = services.staff_create(
                username=options["username"],
                role=role,
                password=options["password"],
                teams=teams,
                email=options["email"],
            )
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        team_names = ", ".join(team.name for team in teams) or "no team"
        self.stdout.write(f"Created {role} {user.get_username()!r} ({team_names}).")
        if options["password"] is None:
            self.stdout.write("No password set: set one with `manage.py changepassword` before logging in.")
        self.stdout.write("API token (send it as 'Authorization: Token <token>'):")
        self.stdout.write(token)

    def _team(self, name: str) -> Team:
        team = Team.objects.filter(name=name).first() or Team.objects.filter(name_zh=name).first()
        if team is None:
            names = ", ".join(Team.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No team named {name!r} (existing: {names}).")
        return team
