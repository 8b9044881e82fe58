"""A client nobody here wrote works against the API: openapi-python-client generates one from the live server's
/api/schema/ at test time (offline), and a storefront and an agent use it as an integrator would.

What broke before: the schema offered multipart/form-data beside JSON on every POST, the generated client sent
multipart, and the server quietly dropped what multipart cannot carry (a ticket's customer came back null; a
return had no order).
"""

import importlib
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.factories import StorefrontFactory, make_staff
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = str(Path(sys.executable).with_name("openapi-python-client"))
PACKAGE = "aftersales_client"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _generate_client(schema_url: str, folder: Path, monkeypatch: pytest.MonkeyPatch):
    """Generate the client package from the served schema and import it (fresh, from this test's folder)."""
    schema = folder / "schema.json"
    schema.write_bytes(httpx.get(schema_url, params={"format": "json"}, timeout=30).raise_for_status().content)
    config = folder / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run over the generated code: it is imported, not read
    done = subprocess.run(
        [GENERATOR, "generate", "--path", str(schema), "--meta", "none", "--output-path", str(folder / PACKAGE)]
        + ["--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Every operation, model and enum generated: the generator warns about each part of the schema it had to skip.
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    monkeypatch.syspath_prepend(str(folder))
    for name in [module for module in sys.modules if module.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


def test_a_generated_client_creates_a_ticket_with_its_customer_and_a_return_with_its_order(
    live_server, tmp_path, monkeypatch, team
):
    storefront = StorefrontFactory(name="Acme Shop")
    agent = make_staff("agent", "agent", teams=(team,))
    generated = _generate_client(f"{live_server.url}/api/schema/", tmp_path, monkeypatch)
    models = importlib.import_module(f"{PACKAGE}.models")
    # Closed at the end: a kept-alive connection would hold a live-server thread (and its database session) open.
    shop = generated.AuthenticatedClient(base_url=live_server.url, token=storefront.plain_key, prefix="Api-Key")
    desk = generated.AuthenticatedClient(base_url=live_server.url, token=agent.token, prefix="Token")
    with shop, desk:
        _use_as_an_integrator_would(generated, models, shop, desk)


def _use_as_an_integrator_would(generated, models, shop, desk) -> None:
    api = f"{PACKAGE}.api"
    tickets_create = importlib.import_module(f"{api}.storefront_tickets.tickets_create")
    tickets_retrieve = importlib.import_module(f"{api}.storefront_tickets.tickets_retrieve")
    tickets_messages_create = importlib.import_module(f"{api}.storefront_tickets.tickets_messages_create")
    returns_create = importlib.import_module(f"{api}.storefront_returns.returns_create")
    returns_retrieve = importlib.import_module(f"{api}.storefront_returns.returns_retrieve")
    returns_attachments_create = importlib.import_module(f"{api}.storefront_returns.returns_attachments_create")
    desk_tickets_reply = importlib.import_module(f"{api}.desk_tickets.desk_tickets_reply")

    # A ticket with its customer: the customer comes back as sent, and the desk has it too.
    customer = models.CustomerInRequest(
        external_id="C-9", name="Li Lei", email="li.lei@example.com", phone="+8613800000000"
    )
    created = tickets_create.sync_detailed(
        client=shop,
        body=models.TicketCreateInRequest(
            subject="Where is my parcel?",
            body="I ordered on Monday and nothing has arrived.",
            category=models.TicketCategoryEnum.LOGISTICS,
            customer=customer,
            order_external_id="SO-10001",
        ),
        idempotency_key="SO-10001-where-is-my-parcel",
    )
    assert created.status_code == 201, created.content
    ticket = created.parsed
    assert (ticket.customer.external_id, ticket.customer.name) == ("C-9", "Li Lei")
    assert (ticket.customer.email, ticket.customer.phone) == ("li.lei@example.com", "+8613800000000")
    assert ticket.category == models.TicketCategoryEnum.LOGISTICS and ticket.order_external_id == "SO-10001"
    assert Ticket.objects.get(public_id=ticket.id).customer.name == "Li Lei"

    # A customer message, then the ticket read back: both messages, the customer unchanged.
    answered = tickets_messages_create.sync_detailed(
        client=shop, id=ticket.id, body=models.MessageCreateInRequest(body="Any news?")
    )
    assert answered.status_code == 201, answered.content
    read = tickets_retrieve.sync(client=shop, id=ticket.id)
    assert [message.body for message in read.messages] == [
        "I ordered on Monday and nothing has arrived.",
        "Any news?",
    ]
    assert read.customer.name == "Li Lei" and read.subject == "Where is my parcel?"

    # An agent replies with a file: the client sends multipart there, and the file arrives.
    replied = desk_tickets_reply.sync_detailed(
        client=desk,
        reference=ticket.reference,
        body=models.ReplyWithFilesInRequest(
            body="Here is the label.",
            attachments=[generated.types.File(payload=io.BytesIO(PNG), file_name="label.png", mime_type="image/png")],
        ),
    )
    assert replied.status_code == 201, replied.content
    assert [attachment.filename for attachment in replied.parsed.messages[-1].attachments] == ["label.png"]

    # A return with its order and items: the order's lines and the items come back as sent.
    delivered = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    made = returns_create.sync_detailed(
        client=shop,
        body=models.ReturnCreateInRequest(
            order=models.OrderInRequest(
                external_id="SO-10001",
                placed_at=delivered - timedelta(days=2),
                delivered_at=delivered,
                currency="CNY",
                lines=[
                    models.LineInRequest(
                        external_id="L1", sku="KET-01", name="Electric kettle", quantity=2, unit_price="199.00"
                    )
                ],
            ),
            customer=customer,
            items=[
                models.ItemInRequest(
                    line="L1", quantity=1, reason=models.ReasonEnum.QUALITY_ISSUE, unused=False, original_packaging=True
                )
            ],
            resolution=models.ResolutionEnum.REFUND,
            description="The kettle leaks from the base.",
        ),
    )
    assert made.status_code == 201, made.content
    evidence = returns_attachments_create.sync_detailed(
        client=shop,
        id=made.parsed.id,
        body=models.AttachmentInRequest(
            file=generated.types.File(payload=io.BytesIO(PNG), file_name="leak.png", mime_type="image/png")
        ),
    )
    assert evidence.status_code == 201, evidence.content
    back = returns_retrieve.sync(client=shop, id=made.parsed.id)
    assert back.order_external_id == "SO-10001" and back.currency == "CNY"
    assert back.resolution == models.ResolutionEnum.REFUND and back.description == "The kettle leaks from the base."
    assert [(item.line, item.sku, item.quantity, item.reason, item.amount) for item in back.items] == [
        ("L1", "KET-01", 1, models.ReasonEnum.QUALITY_ISSUE, "199.00")
    ]
    assert back.refundable_amount == "199.00" and back.status == models.ReturnStatusEnum.APPROVED
    assert [file.filename for file in back.evidence] == ["leak.png"]
    assert back.ticket.reference.startswith("T-")
