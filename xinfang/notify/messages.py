"""The text of every notification: one template per kind, filled with the matter's facts.

Records are Chinese (as timeline notes and 文书 are). Three rules are kept here, not in the
callers:
- an SMS to a petitioner carries the matter number, a fixed phrase for its state and the
  portal's link, nothing else; the query code only in the first one (``sms_text``);
- a staff or unit message carries no personal data and no free text (titles, notes, names
  could name a confidential reporter, §30 ¶3): the number, the class and category, the state,
  the unit, the date and the link (``staff_text``);
- an e-mail to the petitioner, who gave and confirmed the address, may say more: to whom the
  matter went, the conclusion, the documents (attached), the window's last day.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings


def public_url() -> str:
    return (getattr(settings, "XINFANG_PUBLIC_URL", "") or os.environ.get(
        "XINFANG_PUBLIC_URL", "") or "http://127.0.0.1:8000").rstrip("/")


def track_link() -> str:
    return f"{public_url()}/portal/track/"


def matter_link(matter_id: int) -> str:
    return f"{public_url()}/matters/{matter_id}/"


def signature() -> str:
    return str(getattr(settings, "XINFANG_SMS_SIGNATURE", "") or "信访工作平台")


@dataclass(frozen=True)
class PetitionerMsg:
    phrase: str  # the state, as the SMS says it: fixed text, no facts
    email: str  # the e-mail's paragraph: str.format over the facts


# Every kind a petitioner is told of (§21 ¶2: the petitioner can follow the matter).
PETITIONER: dict[str, PetitionerMsg] = {
    "registered": PetitionerMsg("已登记", "您反映的问题已于{date}登记，编号{number}。"),
    "accepted": PetitionerMsg("已受理", "{unit}已受理您的信访事项（{date}），受理告知书见附件。"),
    "not_accepted": PetitionerMsg(
        "不予受理", "{unit}决定不予受理（{date}），理由与救济途径见所附不予受理告知书。"),
    "informed": PetitionerMsg("已告知向有权机关提出", "{unit}告知您向有权机关提出（{date}），详见告知书。"),
    "forwarded": PetitionerMsg("已转送有关单位办理", "您的信访事项已于{date}{how}至{to_body}办理。"),
    "channelled": PetitionerMsg("已导入法定程序", "您的信访事项已导入法定程序处理（{date}），详见告知书。"),
    "extended": PetitionerMsg("办理期限已延长", "{unit}延长了办理期限（{date}），延期告知书见附件。"),
    "answered": PetitionerMsg(
        "已出具处理意见", "{unit}已出具处理意见书（{date}），结论：{outcome}。"
        "您可在查询页面评价。{review_hint}"),
    "redo": PetitionerMsg("已重新办理", "您的信访事项已交{unit}重新办理（{date}）。"),
    "review_requested": PetitionerMsg("复查申请已收到", "您的复查申请已于{date}提交{unit}。"),
    "recheck_requested": PetitionerMsg("复核申请已收到", "您的复核申请已于{date}提交{unit}。"),
    "review_rejected": PetitionerMsg("复查（复核）申请不予受理", "{unit}对您的申请决定不予受理（{date}）。"),
    "review_opinion": PetitionerMsg(
        "已出具复查意见", "{unit}已出具复查意见书（{date}）。对复查意见不服的，可自收到之日起30日内"
        "申请复核（§36）。"),
    "recheck_opinion": PetitionerMsg("已出具复核意见", "{unit}已出具复核意见书（{date}），信访程序终结。"),
    "closed": PetitionerMsg("已办结", "您的信访事项已办结（{date}）。"),
    "window_closing": PetitionerMsg(
        "申请{window}的期限即将届满", "申请{window}的期限于{due}届满（{article}）；逾期且无正当理由的，"
        "按本地规定不再受理。"),
    "question": PetitionerMsg("需要您补充材料", "{unit}请您补充材料或说明情况（{date}），"
                                           "请在查询页面查看并提交。"),
    "withdrawn": PetitionerMsg("已撤回", "您已撤回信访事项（{date}），办理终止。"),
}

SMS_SHAPE = re.compile(
    r"^【[^】]{1,20}】您的信访事项(?P<number>\d{8,20})(?P<phrase>[^，。]{1,20})。"
    r"(?:查询码(?P<code>[0-9A-Z]{8})，请妥善保存。)?详情：(?P<link>https?://\S+)$")


def sms_text(kind: str, number: str, *, code: str = "", facts: dict[str, Any] | None = None) -> str:
    """The petitioner's SMS: number, state, link (and the code, first SMS only)."""
    phrase = PETITIONER[kind].phrase.format(**(facts or {}))
    code_part = f"查询码{code}，请妥善保存。" if code else ""
    text = f"【{signature()}】您的信访事项{number}{phrase}。{code_part}详情：{track_link()}"
    if not SMS_SHAPE.match(text):  # a template edit may not widen what an SMS carries
        raise ValueError(f"SMS outside the allowed shape: {kind}")
    return text


def email_text(kind: str, facts: dict[str, Any]) -> tuple[str, str]:
    msg = PETITIONER[kind]
    phrase = msg.phrase.format(**facts)
    subject = f"信访事项{facts['number']}：{phrase}"
    lines = [
        "您好：",
        "",
        msg.email.format(**facts),
        "",
        f"事项：{facts['title']}",
        f"当前状态：{facts['state']}",
    ]
    if facts.get("documents"):
        lines.append("附件：" + "、".join(facts["documents"]))
    lines += [
        "",
        f"查询办理进度（需查询码和手机号）：{track_link()}",
        "",
        "本邮件由系统发送，请勿回复。不再接收邮件：在查询页面的“通知设置”中取消。",
    ]
    return subject, "\n".join(lines)


# Staff and units: what happened, as a template over non-personal facts only.
STAFF: dict[str, str] = {
    "dispatched": "信访事项{number}已{how}至{unit}，请及时签收办理{due_part}。",
    "objection": "{unit}对信访事项{number}提出退回（异议），请及时审核并书面答复（§23 ¶3）。",
    "objection_decided": "对信访事项{number}的退回（异议），{decider}决定：{decision}。",
    "extension_requested": "信访事项{number}申请延期，待单位负责人审批（§34）。",
    "extension_decided": "信访事项{number}的延期申请：{decision}{due_part}。",
    "review_requested": "信访事项{number}的信访人申请{window}，请{unit}办理{due_part}。",
    "near_due": "信访事项{number}的“{clock}”将于{due}届满（临期提醒）。",
    "overdue": "信访事项{number}的“{clock}”已于{due}届满，已超期督办（§40）。",
    "supervised": "信访事项{number}被督办，请于{due}前书面反馈（§40）。",
    "redo": "信访人对信访事项{number}的答复不满意，已要求重新办理{due_part}。",
    "supplemented": "信访人对信访事项{number}补充了材料，请查看。",
    "withdrawn": "信访人撤回了信访事项{number}，办理终止。",
    "corrected": "登记机关更正了信访事项{number}的登记信息（{fields}），请按更正后的信息办理。",
}


def staff_text(kind: str, facts: dict[str, Any]) -> tuple[str, str]:
    line = STAFF[kind].format(**facts)
    subject = re.split(r"[，。]", line, maxsplit=1)[0]
    body = "\n".join([
        line,
        "",
        f"事项类别：{facts['klass']}" + (f"；内容分类：{facts['category']}"
                                     if facts.get("category") else ""),
        f"当前状态：{facts['state']}",
        f"办理：{matter_link(facts['matter_id'])}",
    ])
    return subject[:200], body

