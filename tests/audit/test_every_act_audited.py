"""Every write is a service call with its event and its audit row (issue 12 item 3).

Each act on a matter — every transition of the state machine, every act beside it, every
system job — leaves exactly one new audit row with its action for that matter (and one
timeline event where the act has a timeline entry); the hash chain still verifies after all
of it; administrators' edits leave one row naming the changed field.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import time_machine

from tests.conftest import sh
from tests.petitions.helpers import register
from tests.scenario import registration
from xinfang.audit import accounts
from xinfang.audit import services as audit
from xinfang.audit.models import AuditLog
from xinfang.core import totp
from xinfang.domain import states as st
from xinfang.org.models import ClockPolicy, Holiday, RoutingRule, User
from xinfang.petitions import jobs, services
from xinfang.petitions.models import Clock, Dispatch, Event, Matter, Supervision

# One county for the module, a deep copy per test (tests/conftest.py module_db).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("module_county")]

REPLY = {"outcome": "explained", "facts": "经查属实", "opinion": "解释说明",
         "legal_basis": "《物业管理条例》", "served_on": "2026-03-02", "service_method": "当面"}
REVIEW = {"review_outcome": "upheld", "facts": "属实", "opinion": "维持", "legal_basis": "§35",
          "served_on": "2026-03-02", "service_method": "邮寄"}


def accepted(county, when) -> Matter:
    """Registered at ``when``, forwarded to 住建, signed for and accepted."""
    officer, handler = county.users["officer"], county.users["handler"]
    m = register(county, when)
    m = services.transition(m, "forward", user=officer, data={"to_body": county.dept("住建").pk})
    m = services.transition(m, "sign", user=handler)
    return services.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})


def _counts(matter_id: int, action: str) -> tuple[int, int]:
    return (AuditLog.objects.filter(matter_id=matter_id, action=action).count(),
            Event.objects.filter(matter_id=matter_id, action=action).count())


@contextmanager
def one_row(matter_id: int, action: str, *, event: bool = True) -> Iterator[None]:
    """The block is one act: one new audit row with ``action`` on the matter (and one event)."""
    rows, events = _counts(matter_id, action)
    yield
    new_rows, new_events = _counts(matter_id, action)
    assert new_rows - rows == 1, f"{action}: {new_rows - rows} audit rows, expected 1"
    if event:
        assert new_events - events == 1, f"{action}: {new_events - events} events, expected 1"


class Acts:
    """Runs transitions through the service, checks each one's row, remembers which ran."""

    def __init__(self) -> None:
        self.done: set[str] = set()

    def __call__(self, m: Matter, name: str, user: User | None = None, *,
                 citizen: bool = False, **data: Any) -> Matter:
        with one_row(m.pk, name):
            m = services.transition(m, name, user=user, citizen=citizen, data=data)
        self.done.add(name)
        return m


def test_every_transition_writes_one_audit_row_and_one_event(county):
    u = county.users
    officer, handler, head = u["officer"], u["handler"], u["unit_head"]
    gov, city = u["gov_officer"], u["city_officer"]
    zj = county.dept("住建").pk
    t = Acts()
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        # The long road: 转送 → … → 复核 with a hearing → 终结 → 归档.
        m = register(county, sh(2026, 3, 2))
        m = t(m, "forward", officer, to_body=zj)
        m = t(m, "sign", handler)
        m = t(m, "accept", handler, route="按§31（六）办理")
        m = t(m, "request_extension", handler, days=30, reason="需要测绘")
        m = t(m, "reject_extension", head)
        m = t(m, "request_extension", handler, days=30, reason="测绘未完成")
        m = t(m, "approve_extension", head, served_on="2026-03-02", service_method="当面")
        m = t(m, "reply", handler, **REPLY)
        m = t(m, "rate_satisfied", citizen=True, rating="satisfied")
        m = t(m, "request_review", citizen=True, reason="退还不足")
        m = t(m, "issue_review", gov, **REVIEW)
        m = t(m, "request_recheck", citizen=True, reason="仍不服")
        m = t(m, "start_hearing", city, hearing_requested_by="petitioner",
              hearing_requested_on="2026-03-02", hearing_on="2026-03-02")
        m = t(m, "end_hearing", city, conclusion="维持")
        m = t(m, "issue_recheck", city, **REVIEW)
        assert m.state == st.State.FINAL
        t(m, "archive", officer)

        # 交办 → 调解结案.
        m = register(county, sh(2026, 3, 2), phone="13900000001", id_number="", title="噪声扰民")
        m = t(m, "assign", officer, to_body=zj, report_due="2026-04-30")
        m = t(m, "sign", handler)
        m = t(m, "accept", handler, route="按§31（六）办理")
        t(m, "mediate", handler, agreement="双方和解", agreement_kind="reconciliation",
          other_party="某物业公司", consent="both")

        # 退回 (§23 ¶3): upheld, then rejected; then 导入法定程序.
        m = register(county, sh(2026, 3, 2), phone="13900000002", id_number="", title="工伤认定")
        m = t(m, "forward", officer, to_body=zj)
        m = t(m, "object", handler, reason="不属本单位职责")
        m = t(m, "uphold_objection", officer, reason="经核实属人社局职责")
        m = t(m, "forward", officer, to_body=zj)
        m = t(m, "object", handler, reason="仍不属本单位职责")
        m = t(m, "reject_objection", officer, reason="属于本单位职责")
        m = t(m, "sign", handler)
        t(m, "channel", handler, route31=1, procedure="行政复议")

        # The dispositions that end a matter at the 信访部门 (§22 ¶2, §23 ¶1, §4.8).
        for i, (name, data) in enumerate([
            ("refer_political_legal", {"to_body": county.political_legal.pk}),
            ("refer_discipline", {"to_body": county.discipline.pk}),
            ("inform_elsewhere", {"competent_body_name": "安平县人民法院", "reason": "属诉讼"}),
            ("not_accept", {"reason_code": "N7", "reason": "不属本机关职权"}),
        ]):
            m = register(county, sh(2026, 3, 2), phone=f"1370000000{i}", id_number="",
                         title=f"事项{i}")
            t(m, name, officer, **data)

        # 撤回 (issue 16 item 6): the petitioner withdraws before an answer.
        m = register(county, sh(2026, 3, 2), phone="13700000007", id_number="", title="撤回事项")
        t(m, "withdraw", citizen=True, reason="已自行解决")

        # 不满意, then the chosen 重办; 复查 and 复核 refused.
        m = t(accepted(county, sh(2026, 3, 2)), "reply", handler, **REPLY)
        m = t(m, "rate_unsatisfied", citizen=True, rating="unsatisfied")
        t(m, "request_redo", citizen=True)
        # 复查 orders a redo (鲁 §45); after a new answer, 复核 orders the 复查 redone.
        m = t(accepted(county, sh(2026, 3, 2)), "reply", handler, **REPLY)
        m = t(m, "request_review", citizen=True, reason="不服")
        m = t(m, "order_redo_review", gov, **{**REVIEW, "review_outcome": "redo"})
        m = t(m, "reply", handler, **{**REPLY, "outcome": "partly_supported",
                                      "opinion": "重新调查后部分支持"})
        m = t(m, "request_review", citizen=True, reason="仍不服")
        m = t(m, "issue_review", gov, **REVIEW)
        m = t(m, "request_recheck", citizen=True, reason="仍不服")
        t(m, "order_redo_recheck", city, **{**REVIEW, "review_outcome": "set_aside"})
        # §23 ¶1–2: a unit handles what is brought to it directly.
        direct = services.register(
            registration(county, when=sh(2026, 3, 2), phone="13700000009", id_number="",
                         title="直接来访"), holder=county.dept("住建"), user=handler)
        t(direct, "accept_direct", handler, route="按§31（六）办理")
        m = t(accepted(county, sh(2026, 3, 2)), "reply", handler, **REPLY)
        m = t(m, "request_review", citizen=True, reason="不服")
        t(m, "reject_review", gov, reason_code="N8", reason="逾期")
        m = t(accepted(county, sh(2026, 3, 2)), "reply", handler, **REPLY)
        m = t(m, "request_review", citizen=True, reason="不服")
        m = t(m, "issue_review", gov, **REVIEW)
        m = t(m, "request_recheck", citizen=True, reason="仍不服")
        t(m, "reject_recheck", city, reason_code="N9", reason="超出范围")

        lapsing = t(accepted(county, sh(2026, 3, 2)), "reply", handler, **REPLY)
        # A suggestion (§29) is answered with no 复查 route: 答复办结 after the rating window.
        answered = register(county, sh(2026, 3, 2), phone="13700000008", id_number="",
                            title="建议增设公交站", klass="suggestion")
        answered = t(answered, "forward", officer, to_body=zj)
        answered = t(answered, "sign", handler)
        answered = t(answered, "accept", handler, route="按§29研究答复")
        answered = t(answered, "reply", handler, **{**REPLY, "outcome": "adopted"})
    # The system's own transitions: the 复查 window (D8) lapsed, the sweep closes it; the
    # suggestion's rating window (V1) passed, the sweep closes it as answered.
    with time_machine.travel(sh(2026, 4, 2), tick=False), one_row(lapsing.pk, "close_lapsed"), \
            one_row(answered.pk, "close_answered"):
        assert jobs.sweep().closed == 2
    t.done |= {"close_lapsed", "close_answered"}
    assert Matter.objects.get(pk=lapsing.pk).state == st.State.CLOSED
    assert t.done == set(st.TRANSITIONS), sorted(set(st.TRANSITIONS) - t.done)


def test_every_act_beside_the_state_machine_writes_one_audit_row(county, settings):
    u = county.users
    officer, handler, other = u["officer"], u["handler"], u["other_handler"]
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        m = register(county, sh(2026, 3, 2))
        m = services.transition(m, "assign", user=officer, data={
            "to_body": county.dept("住建").pk, "report_due": "2026-04-30",
            "assist_bodies": [county.dept("人社").pk]})
        m = services.transition(m, "sign", user=handler)
        m = services.transition(m, "accept", user=handler, data={"route": "按§31（六）办理"})
        assist = Dispatch.objects.get(matter=m, role=Dispatch.Role.ASSIST)
        with one_row(m.pk, "supervise"):
            services.supervise(m, user=u["supervisor"], note="请加快办理")
        with one_row(m.pk, "submit_report"):
            services.submit_report(m, user=handler, text="已责令物业退还")
        with one_row(m.pk, "assist_sign"):
            services.assist_sign(assist, user=other)
        with one_row(m.pk, "assist_reply"):
            services.assist_reply(assist, user=other, text="同意主办单位意见")
        # A second assisting unit objects (§23 ¶3) within its 5 工作日.
        m2 = register(county, sh(2026, 3, 2), phone="13900000003", id_number="", title="欠薪")
        m2 = services.transition(m2, "forward", user=officer, data={
            "to_body": county.dept("住建").pk, "assist_bodies": [county.dept("人社").pk]})
        assist2 = Dispatch.objects.get(matter=m2, role=Dispatch.Role.ASSIST)
        with one_row(m2.pk, "assist_object"):
            services.assist_object(assist2, user=other, reason="不属本单位职责")
        # The petitioner's side (issue 16 item 6): the unit asks, the petitioner supplements
        # with a fresh code, the unit records 息诉罢访 confirmed by the petitioner's code.
        from tests import smsbox
        from xinfang.petitions.services import citizen as cz

        with one_row(m.pk, "ask_petitioner"):
            cz.ask_petitioner(m, user=handler, question="请提供收据")
        proof = cz.prove(m.query_code, "13800138000", address="127.0.0.1")
        settings.XINFANG_SMS_ADAPTER = smsbox.PATH
        cz.send_act_code(proof, "supplement")
        with one_row(m.pk, "supplement"):
            cz.supplement(proof, text="收据已寄出", sms_code=smsbox.last_code("13800138000"))
        cz.send_settlement_code(m, user=handler)
        with one_row(m.pk, "record_settlement"):
            cz.record_settlement(m, user=handler, statement="电话表示不再信访",
                                 sms_code=smsbox.last_code("13800138000"))
        # Revealing a petitioner's identity has no timeline entry, only the audit row.
        with one_row(m.pk, "view_identity", event=False):
            services.log_identity_view(m, officer, where="详情页")


def _sweep_scene(county) -> tuple[Matter, Matter]:
    """One matter whose D1 is overdue on 03-27, one whose D1 is 临期 (ends 03-30)."""
    with time_machine.travel(sh(2026, 3, 2), tick=False):
        overdue = register(county, sh(2026, 3, 2))
    with time_machine.travel(sh(2026, 3, 14), tick=False):
        near = register(county, sh(2026, 3, 14), phone="13900000001", id_number="",
                        title="村道坑洼")
    return overdue, near


def test_the_sweep_reminds_and_supervises_through_the_service_once(county):
    """§40: the sweep is the system acting — its 临期提醒 and 超期督办 each leave a supervision,
    a (non-public) timeline event and one audit row; a second sweep that day adds nothing."""
    overdue, near = _sweep_scene(county)
    with time_machine.travel(sh(2026, 3, 27), tick=False):
        with one_row(near.pk, "remind"), one_row(overdue.pk, "supervise"):
            first = jobs.sweep()
        assert (first.near, first.overdue, first.reminders, first.supervisions) == (1, 1, 1, 1)
        rows, events = AuditLog.objects.count(), Event.objects.count()
        again = jobs.sweep()
    assert (again.reminders, again.supervisions) == (0, 0)
    assert (AuditLog.objects.count(), Event.objects.count()) == (rows, events)

    reminder = Supervision.objects.get(matter=near)
    assert reminder.kind == Supervision.Kind.REMINDER and reminder.clock.code == "D1"
    assert reminder.feedback_due is None and not Matter.objects.get(pk=near.pk).supervised
    s = Supervision.objects.get(matter=overdue)
    assert s.kind == Supervision.Kind.OVERDUE and s.feedback_due == date(2026, 3, 30)
    assert Matter.objects.get(pk=overdue.pk).supervised
    row = AuditLog.objects.get(matter_id=overdue.pk, action="supervise")
    assert row.actor is None and row.actor_label == "系统"
    assert row.data["kind"] == "overdue" and row.data["clock"] == "D1"
    event = Event.objects.get(matter=overdue, action="supervise")
    assert not event.public and event.actor_label == "系统" and "届满" in event.note


def test_the_audit_chain_verifies_after_every_kind_of_act(county, client, settings):
    test_every_transition_writes_one_audit_row_and_one_event(county)
    test_every_act_beside_the_state_machine_writes_one_audit_row(county, settings)
    _sweep_scene(county)
    with time_machine.travel(sh(2026, 5, 27), tick=False):
        jobs.sweep()
    test_admin_edits_leave_one_row_naming_the_field(county, client)
    result = audit.verify()
    assert result.ok, result.message
    assert result.checked == AuditLog.objects.count() > 80


# --------------------------------------------------------------------------- administrators


def _admin_edit(client, url: str, data: dict[str, Any]) -> None:
    r = client.post(url, data)
    assert r.status_code == 302 and "/login/" not in r["Location"], r.content.decode()[:2000]


def _form(client, url: str) -> dict[str, Any]:
    """The change form's current values, as the browser would post them back."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name == "password":
            continue
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif hasattr(value, "pk"):
            data[name] = value.pk
        else:
            data[name] = value
    return data


def _last(action: str, object_type: str) -> AuditLog:
    return AuditLog.objects.filter(action=action, object_type=object_type).latest("id")


def test_admin_edits_leave_one_row_naming_the_field(county, client):
    admin = county.users["admin"]
    client.force_login(admin)
    rows_before = AuditLog.objects.order_by("id").values_list("id", flat=True).last() or 0

    # A user's role: old → new, never the password hash or the phone number.
    officer = county.users["registrar"]
    url = f"/admin/org/user/{officer.pk}/change/"
    data = _form(client, url) | {"role": "officer", "phone": "13512345678"}
    data.pop("last_login", None), data.pop("date_joined", None)
    data |= {"date_joined_0": "2026-03-01", "date_joined_1": "08:00:00"}
    _admin_edit(client, url, data)
    row = _last("admin_change", "org.user")
    assert row.data["fields"]["role"] == {"old": "registrar", "new": "officer"}
    assert row.data["fields"]["phone"] == {"changed": True}
    assert "13512345678" not in str(row.data) and officer.password not in str(row.data)

    # Password on its own page: the row says only that it changed.
    _admin_edit(client, f"/admin/org/user/{officer.pk}/password/",
                {"password1": "Neu-Pass-2026!", "password2": "Neu-Pass-2026!",
                 "usable_password": "true"})
    row = _last("admin_password", "org.user")
    assert row.data["fields"] == {"password": {"changed": True}}
    assert User.objects.get(pk=officer.pk).password not in str(row.data)

    # A holiday: the open clocks follow (post_save), and the row names the date.
    with time_machine.travel(sh(2026, 12, 20), tick=False):
        m = register(county, sh(2026, 12, 20))
    _admin_edit(client, "/admin/org/holiday/add/", {"date": "2027-01-04", "name": "元旦调休"})
    row = _last("admin_add", "org.holiday")
    assert row.data["fields"]["date"]["new"] == "2027-01-04"
    assert Clock.objects.get(matter=m, code="D1").due_on == date(2027, 1, 5)

    # A time limit (clock policy), then a routing rule.
    policy = ClockPolicy.objects.create(code="D1", name="信访部门登记处置", days=15,
                                        unit="calendar", article="§22")
    url = f"/admin/org/clockpolicy/{policy.pk}/change/"
    _admin_edit(client, url, _form(client, url) | {"days": 10})
    row = _last("admin_change", "org.clockpolicy")
    assert row.data["fields"] == {"days": {"old": 15, "new": 10}}

    rule = RoutingRule.objects.filter(division=county.county).first()
    url = f"/admin/org/routingrule/{rule.pk}/change/"
    _admin_edit(client, url, _form(client, url) | {"priority": 7})
    row = _last("admin_change", "org.routingrule")
    assert row.data["fields"] == {"priority": {"old": 100, "new": 7}}
    assert row.actor == admin

    # Deleting the holiday again: one row.
    holiday = Holiday.objects.get(date=date(2027, 1, 4))
    _admin_edit(client, f"/admin/org/holiday/{holiday.pk}/delete/", {"post": "yes"})
    assert _last("admin_delete", "org.holiday").object_id == str(holiday.pk)
    assert list(AuditLog.objects.filter(id__gt=rows_before, action__startswith="admin_")
                .values_list("action", flat=True)) == [
        "admin_change", "admin_password", "admin_add", "admin_change", "admin_change",
        "admin_delete"]


def test_the_second_factor_is_switched_through_the_service_with_an_audit_row(county):
    user = county.users["registrar"]  # a role that may go without one, so may turn it off
    device = totp.pending_device(user)
    accounts.enable_totp(user, device, totp.current_code(device))
    row = AuditLog.objects.filter(action="totp_enable", object_id=str(user.pk)).get()
    assert device.key not in str(row.data) and totp.secret_b32(device) not in str(row.data)
    assert totp.has_device(user)
    with time_machine.travel(time.time() + 31):  # the next code: each one works once
        accounts.disable_totp(user, totp.current_code(device))
    assert AuditLog.objects.filter(action="totp_disable", object_id=str(user.pk)).count() == 1
    assert not totp.has_device(user)


def test_tokens_and_passwords_are_changed_through_the_service_with_an_audit_row(county):
    user = county.users["registrar"]
    instance, token = accounts.create_token(user, "对接系统")
    row = AuditLog.objects.filter(action="token_create").get()
    assert row.object_id == instance.token_key and token not in str(row.data)
    assert row.data["name"] == "对接系统"
    accounts.change_password(user, "Lang-und-sicher-2026")
    row = AuditLog.objects.filter(action="password_change", object_id=str(user.pk)).get()
    assert row.data["tokens_revoked"] == [instance.token_key]
    assert "Lang-und-sicher-2026" not in str(row.data) and user.password not in str(row.data)
    revoked = AuditLog.objects.filter(action="token_revoke").get()
    assert revoked.data == {"user": user.pk, "reason": "password_change"}



def test_every_admin_of_reference_data_and_practice_is_audited():
    from django.contrib import admin

    from xinfang.audit.admin_base import AuditedModelAdmin

    apps = {"org", "practice"}
    admins = {m._meta.label: a for m, a in admin.site._registry.items() if m._meta.app_label in apps}
    assert {"org.User", "org.Holiday", "org.ClockPolicy", "org.RoutingRule", "org.Body",
            "org.Division", "org.Category", "practice.PracticeSettings"} <= set(admins)
    assert [label for label, a in admins.items() if not isinstance(a, AuditedModelAdmin)] == []
