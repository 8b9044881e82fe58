import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.logscan import issue
from tickets import services
from tickets.models import CannedResponse, Customer, Storefront, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class StorefrontFactory(factory.django.DjangoModelFactory):
    """A storefront with a key; `storefront.plain_key` holds the key for API calls."""

    class Meta:
        model = Storefront
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Shop {n}")
    webhook_url = ""
    webhook_secret = factory.LazyFunction(services.storefronts.new_webhook_secret)
    language = "en"

    @factory.post_generation
    def plain_key(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            _api_key, key = services.api_key_create(storefront=self)
            self.plain_key = key
            issue("API key", key)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    storefront = factory.SubFactory(StorefrontFactory)
    external_id = factory.Sequence(lambda n: f"C-{n}")
    name = factory.Faker("name")
    email = factory.Faker("email")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")


# Every staff user's password in the tests; it passes settings.AUTH_PASSWORD_VALIDATORS.
STAFF_PASSWORD = "staff-pass-2026"


def make_staff(username: str, role: str, teams: tuple[Team, ...] = (), **kwargs: object):
    """A staff user through the real service (group, profile, token). Returns the user; `user.token` is set."""
    user, token = services.staff_create(username=username, role=role, password=STAFF_PASSWORD, teams=teams, **kwargs)
    user.token = token
    issue("staff token", token)
    return user


def make_ticket(
    storefront: Storefront,
    *,
    subject: str = "Where is my parcel?",
    body: str = "It has not arrived.",
    customer: Customer | None = None,
    now=None,
    **kwargs: object,
):
    """A ticket created through the service, as a storefront would."""
    if customer is None:
        customer = CustomerFactory(storefront=storefront)
    return services.ticket_create(
        storefront=storefront, subject=subject, body=body, customer=customer, now=now or timezone.now(), **kwargs
    )


class CannedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Canned {n}")
    body = "Hello {customer_name}, about {reference}: we are on it. {agent_name}"


UserModel = get_user_model()
