"""Fetching 10,000 messages waiting in an IMAP mailbox (issue 17): messages per second fetched and processed, queries
per message, and the time to the last ticket.

    .venv/bin/python bench/mail_fetch.py [--messages 10000]

A private dovecot (tests/mailservers.py) with the messages dropped into its maildir at once, as a local delivery
agent leaves them: 70 % open new tickets (each from its own sender), 30 % answer one of those (In-Reply-To), in
arrival order. A fresh database `aftersales_bench_mail`, production settings (DEBUG=0); `fetch_mail`'s service runs
in-process, every message in its own transaction as in production. Queries are counted with Django's
`execute_wrapper`.
"""

import argparse
import os
import signal
import sys
import time
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import counting_queries, fresh_database, production_env

DB = "aftersales_bench_mail"
USER, PASSWORD = "service@bench.example", "bench-imap-password"


def mail(number: int, reply_to: str | None) -> tuple[str, bytes]:
    from datetime import UTC, datetime

    message_id = make_msgid(idstring=f"m{number}", domain="customers.example")
    sender = f"customer{number if reply_to is None else 'r' + str(number)}@customers.example"
    headers = [
        f"From: Customer {number} <{sender}>",
        f"To: Shop Service <{USER}>",
        f"Subject: {'Re: ' if reply_to else ''}Order {100000 + number} question",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if reply_to:
        headers += [f"In-Reply-To: {reply_to}", f"References: {reply_to}"]
    body = (
        f"您好\uff0c订单 {100000 + number} 的包裹还没有到\uff0c请帮忙查一下。\n\n"
        "On Mon, someone wrote:\n> earlier text\n"
    )
    return message_id, ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    count = parser.parse_args().messages
    # A stopped bench still stops its dovecot (the `finally` below).
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))
    os.environ.update(production_env(DB, LOG_LEVEL="WARNING"))
    fresh_database(DB)
    import django

    django.setup()
    from django.db import connection

    from tests.mailservers import PrivateDovecot
    from tickets.models import InboundMessage, Storefront, Ticket
    from tickets.services.mailboxes import mailbox_create, mailbox_fetch

    dovecot = PrivateDovecot({USER: PASSWORD}).start()
    try:
        new = dovecot.maildir_new(USER)
        owner = new.stat()
        opened: list[str] = []
        for number in range(count):
            reply_to = opened[number % len(opened)] if opened and number % 10 >= 7 else None
            message_id, raw = mail(number, reply_to)
            if reply_to is None:
                opened.append(message_id)
            path = new / f"{1_800_000_000 + number}.M{number}P1.bench"
            path.write_bytes(raw)
            os.chown(path, owner.st_uid, owner.st_gid)
        storefront = Storefront.objects.create(name="Bench Shop", webhook_secret="whsec_" + "A" * 32)
        mailbox = mailbox_create(
            storefront=storefront,
            address=USER,
            imap_host="127.0.0.1",
            imap_port=dovecot.port,
            imap_user=USER,
            imap_password=PASSWORD,
            imap_security="plain",
        )
        load = os.getloadavg()[0]
        started = time.perf_counter()
        with counting_queries() as counted:
            counts = mailbox_fetch(mailbox=mailbox)
        wall = time.perf_counter() - started
        queries = counted["queries"]
        first_kept = InboundMessage.objects.order_by("received_at").values_list("received_at", flat=True).first()
        last_ticket = Ticket.objects.order_by("-created_at").values_list("created_at", flat=True).first()
        to_last = (last_ticket - first_kept).total_seconds() if first_kept and last_ticket else float("nan")
        at = time.strftime("%H:%M UTC", time.gmtime())
        print(f"mail fetch bench: {count} messages waiting in dovecot ({at}, load {load:.2f})")
        print(f"  outcome                {counts.as_dict()}")
        print(f"  wall                   {wall:.1f} s (IMAP fetch + processing, one process)")
        print(f"  messages per second    {count / wall:.0f}")
        print(f"  queries per message    {queries / count:.1f} ({queries} in all)")
        print(f"  time to the last ticket {to_last:.1f} s after the first message was kept")
        print(f"  tickets {Ticket.objects.count()}, messages kept {InboundMessage.objects.count()}")
    finally:
        dovecot.stop()
        connection.close()


if __name__ == "__main__":
    main()
