"""Registration (§19–§23): validation, the repeat link (same person and same matter), the
越级 flag, the receipt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.core.crypto import blind_indexes
from xinfang.core.i18n import source_language
from xinfang.domain import idcard
from xinfang.domain import states as st
from xinfang.domain.errors import DomainError, Forbidden
from xinfang.domain.limits import normalize_phone, phone_problem
from xinfang.org.models import Body, Category, Division, User

from .. import clocks, permissions, tally
from ..models import (
    Channel,
    Document,
    IdempotencyKey,
    Matter,
    Petitioner,
    RepeatKind,
)
from .records import issue_document, new_query_code, provisional_number, renumber
from .records import record_event as _event
from .unit_acts import supervise

# Sent after a registration commits (kwargs: matter_id). The text index listens (intel.py).
matter_registered = Signal()
# Sent inside the registration's transaction when its matter's provisional number gives way
# to the county's (kwargs: matter, provisional): what was written with the provisional one
# takes the real one (the petitioner's SMS, ``notify.planner``).
matter_numbered = Signal()

ESCALATE_NOTE = "重复信访，提级核查"
AFTER_REPLY_STATES = frozenset({
    st.State.REPLIED, st.State.REVIEW_REQUESTED, st.State.REVIEWED, st.State.RECHECK_REQUESTED,
    st.State.RECHECK_HEARING, st.State.FINAL, st.State.CLOSED, st.State.ARCHIVED,
})

MAX_REPRESENTATIVES = 5  # §20 ¶3 (configurable locally, e.g. 浙 §15 ¶2)

# --------------------------------------------------------------------------- registration


@dataclass
class PetitionerIn:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    kind: str = Petitioner.Kind.PERSON
    is_representative: bool = False

    def __post_init__(self) -> None:
        # Fullwidth ``１３８…`` is the same phone as ``138…`` for storage, the blind index and
        # the repeat check (issue 14 item 15); both doors build this record.
        self.phone = normalize_phone(self.phone)


@dataclass
class Registration:
    channel: str
    title: str
    request: str
    content: str
    division: Division
    received_at: datetime
    petitioners: list[PetitionerIn] = field(default_factory=list)
    klass: str = st.Klass.APPEAL.value
    category: Category | None = None
    source_doc_no: str = ""
    source_body_name: str = ""
    channel_details: dict[str, str] = field(default_factory=dict)
    accused_name: str = ""
    accused_body: Body | None = None
    headcount: int = 1
    # 集体访 or 联名信 flagged by the clerk (several petitioners even if one row is entered).
    collective: bool = False
    is_anonymous: bool = False
    is_urgent: bool = False
    confidential: bool = False
    legal_litigation: bool = False
    repeat_of: Matter | None = None
    # The officer decided on the 查重 panel (``repeat_of`` confirmed, or None for "not the same
    # matter"); otherwise the service links the same petitioner's same matter itself.
    repeat_decided: bool = False
    suggested_category: list[Any] = field(default_factory=list)


# A clerk's clock may run a little ahead; a letter may be registered long after it came.
RECEIVED_SKEW = timedelta(minutes=5)
RECEIVED_BACKDATE = timedelta(days=365 * 5)


_CHANNELS = frozenset(Channel.values)  # the enum's ``values`` builds a list on every call
_KLASSES = frozenset(st.Klass.__members__.values())


def validate_registration(reg: Registration) -> dict[str, str]:
    """Field errors in Chinese; empty when the registration may be saved."""
    errors: dict[str, str] = {}
    if reg.channel not in _CHANNELS:
        errors["channel"] = "请选择信访形式"
    if not reg.title.strip():
        errors["title"] = "请填写标题"
    if not reg.request.strip():
        errors["request"] = "请填写诉求（§19 ¶1）"
    if not reg.content.strip():
        errors["content"] = "请填写事实与理由（§19 ¶1）"
    if reg.klass not in _KLASSES:
        errors["klass"] = "请选择事项类别"
    if reg.channel == Channel.SUPERIOR and not reg.source_doc_no.strip():
        errors["source_doc_no"] = "上级转送的事项请填写来文文号"
    now = timezone.now()
    if reg.received_at > now + RECEIVED_SKEW:
        errors["received_at"] = "收到时间不能晚于现在"
    elif reg.received_at < now - RECEIVED_BACKDATE:
        # The number's year and every clock start from it (§22 ¶1 counts from receipt).
        errors["received_at"] = "收到时间超出合理范围（不能早于5年前）"
    postmark = reg.channel_details.get("postmark_on", "")
    if postmark:
        try:
            if date.fromisoformat(postmark) > timezone.localdate(reg.received_at):
                errors["postmark_on"] = "邮戳日期不能晚于收信日期"
        except ValueError:
            errors["postmark_on"] = "邮戳日期格式应为 YYYY-MM-DD"
    reps = [p for p in reg.petitioners if p.is_representative]
    if len(reps) > MAX_REPRESENTATIVES:
        errors["petitioners"] = f"多人走访应推选代表，代表人数不得超过{MAX_REPRESENTATIVES}人（§20 ¶3）"
    if reg.headcount < max(1, len(reg.petitioners)):
        errors["headcount"] = "信访人数不能少于登记的信访人数"
    elif reg.collective and reg.headcount < 2:
        errors["headcount"] = "集体访、联名信的信访人数应不少于2人"
    if reg.collective and reg.channel not in ("visit", "letter"):
        errors["channel"] = "集体访适用于走访，联名信适用于来信"
    for i, p in enumerate(reg.petitioners):
        if p.id_number:
            problem = idcard.validate(p.id_number)
            if problem:
                errors[f"petitioners.{i}.id_number"] = problem
        if p.phone and phone_problem(p.phone):
            errors[f"petitioners.{i}.phone"] = "电话号码格式不正确"
    if not reg.petitioners and not reg.is_anonymous:
        errors["petitioners"] = "请登记信访人姓名（名称）；匿名检举控告请勾选匿名"
    if reg.klass == st.Klass.REPORT and reg.accused_body is None and not reg.accused_name:
        errors["accused_name"] = "检举控告类事项请填写被反映人或单位"
    return errors


def find_repeats(petitioners: Sequence[PetitionerIn], exclude_id: int | None = None, *,
                 related: Sequence[str] = ("division", "category", "holder__division",
                                           "lead_body__division")) -> list[Matter]:
    """Earlier matters of the same petitioner (ID number or phone, via the blind index),
    newest first, with ``related`` joined (registration's own check needs the category only)."""
    id_keys = [k for p in petitioners if p.id_number for k in blind_indexes(p.id_number, "id")]
    phone_keys = [k for p in petitioners if p.phone for k in blind_indexes(p.phone, "phone")]
    if not id_keys and not phone_keys:
        return []
    # Two plain queries, not one join with DISTINCT: PostgreSQL spent ~30 ms *planning* the
    # seven-table join (0.2 ms to run it) on every registration; the petitioner lookup and
    # the matters by id plan in ~1 ms together (docs/benchmarks.md, intake).
    ids = set(_matter_ids_of(id_keys, phone_keys))
    if exclude_id:
        ids.discard(exclude_id)
    if not ids:
        return []
    return list(Matter.objects.filter(pk__in=ids).select_related(*related)
                .order_by("-received_at", "-pk")[:10])  # newest first; the same moment: the later one


_PERSON_SQL: dict[tuple[str, int, int], str] = {}


def _matter_ids_of(id_keys: list[str], phone_keys: list[str]) -> list[int]:
    """The matters (newest 500) of anyone with one of these blind-index values. The SQL is
    the ORM's, compiled once per number of keys: it runs at every registration, and
    compiling it cost more than running it (issue 19 item 1)."""
    from django.db import connections, router
    from django.db.models import Q

    alias = router.db_for_read(Petitioner)
    key = (alias, len(id_keys), len(phone_keys))
    params = [*id_keys, *phone_keys]
    sql = _PERSON_SQL.get(key)
    if sql is None:
        q = Q()
        if id_keys:
            q |= Q(id_index__in=id_keys)
        if phone_keys:
            q |= Q(phone_index__in=phone_keys)
        qs = (Petitioner.objects.using(alias).filter(q).order_by("-matter_id")
              .values_list("matter_id", flat=True)[:500])
        sql, compiled = qs.query.sql_with_params()
        if list(compiled) != params:  # the keys are not passed as given: stay with the ORM
            return list(qs)
        _PERSON_SQL[key] = sql
    with connections[alias].cursor() as cur:
        cur.execute(sql, params)
        return [r[0] for r in cur.fetchall()]


def register(
    reg: Registration,
    *,
    holder: Body,
    user: User | None = None,
    idempotency_key: str = "",
    actor_label: str = "",
) -> Matter:
    """Register a matter (§21–23). Durable when this returns: the receipt may be shown.

    Staff register at their own body (§23 ¶1); ``user=None`` is the citizen online or the
    system (the doors that call it so check ``submit_online`` themselves)."""
    if user is not None:
        permissions.require(user, "register")
        if holder.pk != user.body_id and not user.is_superuser:
            raise Forbidden("只能以本机关、单位的名义登记信访事项（§23 ¶1）")
    errors = validate_registration(reg)
    if errors:
        raise ValidationFailed(errors)
    # A repeat is the same petitioner *and* the same matter (§19 ¶3, §36 ¶3): another
    # matter of the same person is a new matter (初信初访 for it), with no 督办.
    from ..intel.hints import auto_repeat_of, level_skip  # the index sits above services

    # Reads before the write transaction: on SQLite it holds the database's one write lock
    # from BEGIN IMMEDIATE, and the same-matter search (the text index, built on first use)
    # held it for up to 13 s, so other writers gave up (issue 14 item 12, docs/benchmarks.md).
    repeat_of = reg.repeat_of if reg.repeat_of or reg.repeat_decided else auto_repeat_of(reg)
    repeat_kind = RepeatKind.REPEAT if repeat_of is not None else RepeatKind.FIRST
    skipped_level = level_skip(reg.channel, holder, reg.division)
    with transaction.atomic():
        if idempotency_key:
            existing = IdempotencyKey.objects.filter(key=idempotency_key).select_related("matter").first()
            if existing:
                return existing.matter
        received_on = timezone.localdate(reg.received_at)
        # D1 at a 信访部门 (§22), D2 at any other body (§23 ¶1–2); both from receipt. Its end
        # is the new matter's nearest deadline, stored with it in the one insert.
        first_clock = "D2" if holder.handles_directly else "D1"
        first_due = clocks.due_for(first_clock, received_on)
        with connection.cursor() as cur:  # plain SQL: compiling the ORM's cost more
            for _ in range(5):
                code = new_query_code()
                cur.execute("SELECT 1 FROM petitions_matter WHERE query_code = %s", [code])
                if cur.fetchone() is None:
                    break
        # The county's number is taken in the tail below: the matter goes in under a
        # provisional one, which nothing outside this transaction ever sees.
        matter = Matter.objects.create(
            number=provisional_number(),
            query_code=code,
            channel=reg.channel,
            source_doc_no=reg.source_doc_no,
            source_body_name=reg.source_body_name,
            channel_details={k: v for k, v in reg.channel_details.items() if v},
            received_at=reg.received_at,
            registered_by=user,
            holder=holder,
            title=reg.title.strip(),
            request=reg.request.strip(),
            content=reg.content.strip(),
            division=reg.division,
            division_path=reg.division.path,
            category=reg.category,
            klass=reg.klass,
            accused_name=reg.accused_name,
            accused_body=reg.accused_body,
            is_collective=reg.collective or reg.headcount >= 5 or len(reg.petitioners) > 1,
            headcount=reg.headcount,
            is_anonymous=reg.is_anonymous,
            is_urgent=reg.is_urgent,
            confidential=reg.confidential or reg.klass == st.Klass.REPORT,
            legal_litigation=reg.legal_litigation,
            repeat_kind=repeat_kind,
            repeat_of=repeat_of,
            level_skip=skipped_level,
            first_contact=user,
            suggested_category=reg.suggested_category,
            next_due=first_due.due,
        )
        people = [petitioner_record(matter, p, is_lead=(i == 0))
                  for i, p in enumerate(reg.petitioners)]
        if len(people) == 1:  # the common case: the kept INSERT (core.fastinsert)
            people[0].save(force_insert=True)
        else:
            Petitioner.objects.bulk_create(people)
        # The rows just written, for the notification planner (no query, no decryption).
        matter._prefetched_objects_cache = {"petitioners": people}  # type: ignore[attr-defined]
        clock = clocks.start(matter, first_clock, received_on, body=holder, due=first_due)
        counts = tally.registered(matter, [clock])  # its snapshot now, the counters in the tail
        with source_language():  # the timeline note is a record: Chinese
            note = f"{matter.get_channel_display()}登记" + (
                f"；{matter.get_repeat_kind_display()}，原件 {repeat_of.number}" if repeat_of else ""
            ) + ("；越级走访（§20 ¶1）" if matter.level_skip else "")
        # The petitioner's SMS is planned here with the provisional number and given the
        # real one with it (``matter_numbered``).
        _event(matter, "register", gettext_noop("登记"), "", st.State.REGISTERED, user, actor_label, note=note)
        if idempotency_key:
            IdempotencyKey.objects.create(key=idempotency_key, matter=matter)
        _number_and_count(matter, holder, received_on, counts, repeat_of)
        if repeat_of is not None and _escalate_repeat(repeat_of):
            # §8.6: the same matter again after it was answered → 提级核查 (configurable).
            supervise(matter, user=None, note=ESCALATE_NOTE, system=True)
            matter.next_due = clocks.refresh_next_due(matter.pk)  # its S1 may come first
        audit.record("register", actor=user, actor_label=actor_label, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk,
                     data={"number": matter.number, "channel": matter.channel})
        pk = matter.pk
        transaction.on_commit(lambda: matter_registered.send(sender=Matter, matter_id=pk))
    # Callers query the petitioners themselves (ordered, filtered): not from the list above.
    matter._prefetched_objects_cache.pop("petitioners", None)  # type: ignore[attr-defined]
    return matter


def _number_and_count(matter: Matter, holder: Body, received_on: date,
                      counts: dict[Any, tuple[int, int]], repeat_of: Matter | None) -> None:
    """The registration's tail: the rows every registration of the county shares, each held
    from here to COMMIT (issue 19 item 1). One order for every writer, so none deadlocks:
    the county's number (only registration and the history import take it, the import
    before its counters), the holder's receipt number (only registration), the counters in
    key order (``tally.apply``, the original's snapshot first), and the audit chain's head
    last (``audit.record``, after this)."""
    provisional = matter.number
    renumber(matter, holder, received_on.year)
    matter_numbered.send(sender=Matter, matter=matter, provisional=provisional)
    issue_document(matter, Document.Kind.RECEIPT, holder, {
        "summary": matter.title,
        "received_on": received_on.isoformat(),
        "track_hint": "凭查询码和登记手机号可在网上查询办理进度并评价（§21 ¶2）",
    })
    tally.add_registered(counts, repeat_of.pk if repeat_of is not None else None)


def petitioner_values(p: PetitionerIn, *, is_lead: bool) -> dict[str, Any]:
    """The stored petitioner's plain values (registration and the history import, which
    writes them without a model instance)."""
    return {"kind": p.kind, "name": p.name.strip(),
            "id_number": idcard.normalize(p.id_number) if p.id_number else "",
            "phone": p.phone.strip(), "address": p.address.strip(),
            "is_representative": p.is_representative, "is_lead": is_lead}


def petitioner_record(matter: Matter, p: PetitionerIn, *, is_lead: bool) -> Petitioner:
    """The stored petitioner: encrypted fields; their blind indexes derive themselves on
    save (``core.crypto.BlindIndexField``)."""
    return Petitioner(matter=matter, **petitioner_values(p, is_lead=is_lead))


def is_after_reply(m: Matter) -> bool:
    return m.replied_on is not None or st.State(m.state) in AFTER_REPLY_STATES


def _escalate_repeat(original: Matter) -> bool:
    """§8.6: the same matter again after its answer → 提级核查. Not after a 复核 has ended it:
    then the answer is 不再受理 (§36 ¶3, N2), which the officer decides on the new matter."""
    from ..intel.hints import recheck_done

    policy = getattr(settings, "XINFANG_REPEAT_AFTER_REPLY", "escalate")
    return policy == "escalate" and is_after_reply(original) and not recheck_done(original)


class ValidationFailed(DomainError):
    status = 400

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("；".join(errors.values()))

