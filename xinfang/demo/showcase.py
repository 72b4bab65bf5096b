"""The showcase plans the demo seeder runs first: every state, every channel and something in
each demo user's queue, so that even a small seed shows the whole workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xinfang.petitions.models import Channel

from .plans import CHANNEL_WEIGHTS, Plan

if TYPE_CHECKING:
    from .seed import Seeder


def showcase(self: Seeder) -> list[tuple[Plan, float]]:
    """(plan, days between the last step and now): every state, channel and queue."""
    c = self.c
    town0 = c.township_govs[0]
    v_town0 = next(v for v in c.villages if v.parent_id == town0.division_id)
    v_other = next(v for v in c.villages if v.parent_id != town0.division_id)
    cx = self.message("CX04")
    P = self.plan
    specs: list[tuple[Plan, float]] = [
        (P(msg=cx, klass="appeal", village=v_other, route="forward", stop="forward",
           showcase="registered"), 0.2),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", stop="forward",
           showcase="registered overdue"), 20),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           stop="sign", showcase="dispatched 住建"), 1),
        (P(msg=cx, klass="appeal", village=v_other, route="assign", objection="none",
           stop="accept", showcase="signed 住建"), 1),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="reject",
           stop="reject_objection", showcase="objected"), 0.5),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", stop="reply",
           showcase="handling 住建"), 2),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="approve", stop="approve_extension",
           showcase="extension_pending 住建"), 0.5),
        (P(msg=self.message("LD01"), klass="appeal", village=v_other, route="forward",
           objection="none", unit_end="accept", handling_end="reply", stop="reply",
           showcase="handling 人社"), 3),
        (P(msg=self.message("CX01"), klass="appeal", village=v_town0, route="forward",
           objection="none", unit_end="accept", handling_end="reply", stop="reply",
           showcase="handling 城关镇"), 3),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="none",
           archive=False, showcase="replied"), 2),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="issue", stop="issue_review", showcase="review_requested"), 1),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="issue", recheck=True, hearing=False, stop="request_recheck",
           showcase="reviewed"), 2),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="issue", recheck=True, hearing=False, stop="issue_recheck",
           showcase="recheck_requested"), 1),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="issue", recheck=True, hearing=True, stop="end_hearing",
           showcase="recheck_hearing"), 1),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="issue", recheck=True, hearing=False, archive=False,
           showcase="final"), 5),
        # 复查 set the opinion aside (鲁 §45): the unit answered again, reviewable anew.
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", extension="none", after_reply="review",
           review_end="redo", archive=False, showcase="review redo answered"), 2),
        (P(msg=self.message("JJ01"), klass="report", route="refer_discipline",
           archive=True, showcase="referred 纪检 archived"), 3),
        (P(msg=self.message("ZF01"), klass="appeal", route="refer_political_legal",
           archive=False, showcase="referred 政法"), 10),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="mediate", archive=False,
           showcase="mediated"), 10),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="channel", archive=False, showcase="channelled"), 10),
        (P(msg=cx, klass="appeal", village=v_other, route="forward", objection="none",
           unit_end="accept", handling_end="reply", stop="reply",
           showcase="handling overdue 住建"), 75),
        (P(msg=self.message("CX02"), klass="suggestion", village=v_other, route="forward",
           objection="none", unit_end="accept", handling_end="reply", after_reply="satisfied",
           archive=False, showcase="suggestion"), 40),
    ]
    channels = [ch for ch, _ in CHANNEL_WEIGHTS]
    for i, (p, _) in enumerate(specs):
        ch = channels[i % len(channels)]
        if not p.reg["is_anonymous"] and p.reg["channel"] != ch:
            p.reg["channel"] = ch
            if ch == Channel.SUPERIOR and not p.reg.get("source_doc_no"):
                p.reg["source_body_name"] = "临江市信访局"
                p.reg["source_doc_no"] = f"临信转〔{self.now.year}〕{100 + i}号"
            p.reg_user = None if ch in (Channel.ONLINE, Channel.QR) else self.registrars[0]
    return specs
