"""Numbers, documents and timeline events: what every other service module writes with."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from xinfang.org.models import Body, User

from .. import clocks
from ..models import (
    Counter,
    Document,
    Event,
    Matter,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone

# --------------------------------------------------------------------------- numbering


def next_number(key: str) -> int:
    """Gap-free counter: one ``UPDATE … RETURNING`` whose row lock serialises concurrent
    registrations of the same key until their transactions end (one round trip, no savepoint;
    PostgreSQL and SQLite ≥ 3.35). The first number of a key creates its row."""
    table = Counter._meta.db_table
    with transaction.atomic(savepoint=False), connection.cursor() as cur:
        cur.execute(f'UPDATE "{table}" SET "value" = "value" + 1 WHERE "key" = %s '
                    'RETURNING "value"', [key])
        row = cur.fetchone()
    if row is not None:
        return int(row[0])
    try:
        with transaction.atomic():
            Counter.objects.create(key=key, value=1)
        return 1
    except IntegrityError:  # another registration created it first
        return next_number(key)


def matter_number(holder: Body, year: int) -> str:
    """信访件编号: the holder's 6-digit county code, the year and a county-wide sequence."""
    prefix = holder.division_id[:6]
    return f"{prefix}{year}{next_number(f'matter:{prefix}:{year}'):06d}"


# A registration inserts its matter under a provisional number and takes the county's number
# in its transaction's tail (``registration.register``): the counter's row lock is then held
# only from there to COMMIT, not through every statement (issue 19 item 1). Digits only (an
# SMS planned with it keeps its shape, ``notify.messages.SMS_SHAPE``), the length of a real
# number, and never a real one: no county's code is 000000. It lives only inside the
# registration's transaction — the number, the SMS and the audit row carry the real one.
PROVISIONAL_PREFIX = "000000"


def provisional_number() -> str:
    return f"{PROVISIONAL_PREFIX}{secrets.randbelow(10 ** 10):010d}"


def is_provisional(number: str) -> bool:
    return number.startswith(PROVISIONAL_PREFIX)


def renumber(matter: Matter, holder: Body, year: int) -> str:
    """Give a matter inserted under a provisional number the county's next one (a
    registration's tail). PostgreSQL: the counter's and the matter's UPDATE in one statement;
    the first number of a key, and SQLite, take it as ``matter_number`` does."""
    prefix = holder.division_id[:6]
    key = f"matter:{prefix}:{year}"
    if connection.vendor == "postgresql":
        with transaction.atomic(savepoint=False), connection.cursor() as cur:
            cur.execute(_RENUMBER_PG, [key, f"{prefix}{year}", matter.pk])
            row = cur.fetchone()
        if row is not None:
            matter.number = str(row[0])
            return matter.number
    matter.number = matter_number(holder, year)
    with connection.cursor() as cur:
        cur.execute("UPDATE petitions_matter SET number = %s WHERE id = %s",
                    [matter.number, matter.pk])
    return matter.number


# ``{:06d}``: at least six digits, more past 999999 (lpad would cut them).
_RENUMBER_PG = (
    'WITH c AS (UPDATE "petitions_counter" SET "value" = "value" + 1 WHERE "key" = %s '
    'RETURNING "value") UPDATE petitions_matter SET number = %s || CASE WHEN c.value < 1000000 '
    "THEN lpad(c.value::text, 6, '0') ELSE c.value::text END FROM c WHERE id = %s "
    "RETURNING number")


def doc_number(body: Body, kind: str, year: int) -> str:
    prefix = body.doc_prefix or (body.short_name or body.name)[:4]
    return f"{prefix}〔{year}〕{next_number(f'doc:{body.pk}:{kind}:{year}')}号"


def new_query_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


# --------------------------------------------------------------------------- documents & events


def issue_document(
    matter: Matter, kind: str, body: Body, context: dict[str, Any], *,
    number: str | None = None, served_on: date | None = None, service_method: str = "",
    to_petitioner: bool = True,
) -> Document:
    today = clocks.today()
    base = {
        # The query code is not kept in the snapshot: the renderer adds it for the petitioner
        # and the registering desk only (issue 14 item 7).
        "matter_number": matter.number,
        "title": matter.title, "issuer": body.name, "issued_on": today.isoformat(),
        "received_on": timezone.localdate(matter.received_at).isoformat(),
    }
    # A date that rests on an estimated holiday table is provisional (issue 13 item 4).
    provisional = clocks.provisional_years(kind, context, served_on)
    if provisional:
        base["provisional_years"] = "、".join(str(y) for y in provisional)
    return Document.objects.create(
        matter=matter, kind=kind, number=number or doc_number(body, kind, today.year),
        issued_by=body, issued_at=timezone.now(), served_on=served_on,
        service_method=service_method, to_petitioner=to_petitioner, context={**base, **context},
    )


def record_event(matter: Matter, action: str, label: str, from_state: str, to_state: str,
           user: User | None, actor_label: str, *, note: str = "", public: bool = True,
           data: dict[str, Any] | None = None) -> Event:
    return Event.objects.create(
        matter=matter, action=action, label=label, from_state=str(from_state),
        to_state=str(to_state), actor=user,
        actor_body_id=user.body_id if user is not None else None,
        actor_label=actor_label or (str(user) if user else ""), at=timezone.now(), note=note,
        public=public, data=data or {},
    )


# The old private name, for callers outside this package until they move to record_event.
_event = record_event

