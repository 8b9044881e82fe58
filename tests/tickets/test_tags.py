import pytest
from django.utils import translation

from aftersales.errors import ApplicationError
from tests.factories import make_ticket
from tests.parallel import run_at_once
from tickets import services
from tickets.models import EventKind, Tag, TicketEvent

pytestmark = pytest.mark.django_db


def test_tags_are_added_trimmed_and_shared_whatever_their_case(storefront, team, agent):
    # given a ticket, and a tag "VIP" already used on another ticket
    other = make_ticket(storefront)
    services.ticket_tags_change(ticket=other, actor=services.Actor(user=agent), add=["VIP"])
    ticket = make_ticket(storefront)
    # when an agent adds " vip ", a Chinese tag and "late delivery"
    names = services.ticket_tags_change(
        ticket=ticket, actor=services.Actor(user=agent), add=[" vip ", "退货", "late delivery"]
    )
    # then the ticket carries the existing "VIP" (one row for the name), the new tags, sorted
    assert names == ["late delivery", "VIP", "退货"]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["VIP", "late delivery", "退货"]
    assert Tag.objects.filter(name__iexact="vip").count() == 1
    # and one event says what was added, by whom
    event = ticket.events.get(kind=EventKind.TAGS_CHANGED)
    assert event.data == {"added": ["VIP", "退货", "late delivery"], "removed": []}
    assert event.actor_user == agent


def test_removing_a_tag_writes_what_was_removed_and_a_change_to_nothing_writes_nothing(storefront, agent):
    # given a ticket tagged "VIP" and "refund"
    ticket = make_ticket(storefront)
    actor = services.Actor(user=agent)
    services.ticket_tags_change(ticket=ticket, actor=actor, add=["VIP", "refund"])
    # when "vip" is removed and "refund" added again
    names = services.ticket_tags_change(ticket=ticket, actor=actor, add=["refund"], remove=["vip"])
    # then only "refund" is left and the event names only the removal
    assert names == ["refund"]
    assert ticket.events.filter(kind=EventKind.TAGS_CHANGED).order_by("-id").first().data == {
        "added": [],
        "removed": ["VIP"],
    }
    # when nothing would change (a tag it has, a tag it has not)
    events = ticket.events.count()
    assert services.ticket_tags_change(ticket=ticket, actor=actor, add=["REFUND"], remove=["missing"]) == ["refund"]
    # then no event is written
    assert ticket.events.count() == events


@pytest.mark.parametrize(
    ("add", "remove"),
    [
        (["   "], []),
        (["x" * 51], []),
        (["a,b"], []),
        ([3], []),
        ("VIP", []),
        (["ok", ""], []),
        (["VIP"], ["vip"]),
        ([], ["x" * 51]),
    ],
)
def test_a_bad_tag_is_refused_naming_the_tags_field_and_nothing_is_written(storefront, agent, add, remove):
    # given a ticket
    ticket = make_ticket(storefront)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    # when a bad list of tags is sent
    with pytest.raises(ApplicationError) as refused:
        services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=agent), add=add, remove=remove)
    # then it is refused for the field `tags`, nothing created or written
    assert list(refused.value.errors) == ["tags"]
    assert not Tag.objects.exists()
    assert ticket.tags.count() == 0
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_validate_keeps_the_first_spelling_once_and_allows_fifty_characters():
    assert services.tags_validate([" Urgent", "urgent ", "紧急", "y" * 50]) == ["Urgent", "紧急", "y" * 50]


@pytest.mark.django_db(transaction=True)
def test_the_same_new_tag_added_to_many_tickets_at_once_is_stored_once(storefront, agent):
    # given five tickets
    tickets = [make_ticket(storefront) for _ in range(5)]
    # when five agents add the same new tag, each in its own spelling, at the same moment
    results = run_at_once(
        lambda i: services.ticket_tags_change(
            ticket=tickets[i], actor=services.Actor(user=agent), add=["Fragile" if i % 2 else "FRAGILE"]
        ),
        5,
    )
    # then every call succeeded, and there is one tag on all five tickets
    assert not [r for r in results if isinstance(r, Exception)]
    assert Tag.objects.count() == 1
    assert Tag.objects.get().tickets.count() == 5


def test_the_timeline_says_which_tags_were_added_and_removed(storefront, agent):
    from tickets.templatetags.desk import event_summary

    # given a ticket whose tags changed twice
    ticket = make_ticket(storefront)
    actor = services.Actor(user=agent)
    services.ticket_tags_change(ticket=ticket, actor=actor, add=["VIP", "退货"])
    services.ticket_tags_change(ticket=ticket, actor=actor, remove=["vip"])
    # when the timeline summarises the events
    # (in English whatever language an earlier test left active in this thread)
    with translation.override("en"):
        summaries = [event_summary(e) for e in ticket.events.filter(kind=EventKind.TAGS_CHANGED).order_by("id")]
    # then each names its tags
    assert summaries == ["tags added: VIP, 退货", "tags removed: VIP"]
