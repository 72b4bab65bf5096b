"""§40 at the API: 督办 feedback (¶1), the three recommendations (¶1–¶3) and the written
feedback on their adoption (¶4) — the same acts and input as the web (``services.oversight_act``,
the action serializer built from ``domain.fields``).

- ``GET /api/v1/oversight``: what the caller's body owes in writing; for who may view 督查督办,
  the open 督办 and recommendations of the jurisdiction and this year's counts per kind.
- ``POST /api/v1/oversight/<name>``: an answer or a review (``supervision`` /
  ``recommendation`` id in the body) — the body that owes it may not be able to open the matter.
- ``GET /api/v1/matters/<pk>/oversight`` and ``POST …/oversight/<name>``: on one matter.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.core.i18n import source_text
from xinfang.domain.errors import Forbidden
from xinfang.petitions import clocks, oversight, permissions, services
from xinfang.petitions.models import Recommendation, Supervision
from xinfang.petitions.services.oversight import OWED_ACTS, RECOMMEND_ACTS

from . import serializers as s
from .views import ApiView, matter_for


def _supervision(x: Supervision) -> dict[str, Any]:
    return {
        "id": x.pk, "matter": x.matter_id, "kind": x.kind, "body": x.body_id,
        "body_name": x.body.name if x.body else "", "note": x.note,
        "feedback_due": x.feedback_due, "feedback_text": x.feedback_text,
        "feedback_at": x.feedback_at, "resolved_at": x.resolved_at,
        "overdue": oversight.overdue(x.feedback_due, x.feedback_at or x.resolved_at),
    }


def _recommendation(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.pk, "matter": r.matter_id, "kind": r.kind,
        "label": source_text(r.get_kind_display()), "issuing_body": r.issuing_body.name,
        "to_body": r.to_body_id, "to_body_name": r.to_body.name,
        "concerns_body": r.concerns_body.name if r.concerns_body else "",
        "problem": r.problem, "proposal": r.proposal, "document": r.document_id,
        "number": r.document.number, "issued_at": r.issued_at, "feedback_due": r.feedback_due,
        "adoption": r.adoption, "feedback_text": r.feedback_text, "feedback_at": r.feedback_at,
        "overdue": oversight.overdue(r.feedback_due, r.feedback_at),
    }


def _run(request: AuthedAPIRequest, name: str, matter: Any = None) -> Any:
    ser = s.ActionSerializer(data=request.data)
    ser.is_valid(raise_exception=True)
    return services.oversight_act(name, user=request.user, data=dict(ser.validated_data),
                                  matter=matter)


def _result(x: Supervision | Recommendation) -> dict[str, Any]:
    if isinstance(x, Supervision):
        return {"supervision": _supervision(x)}
    return {"recommendation": _recommendation(x)}


_LIST = inline_serializer("OversightOverview", {
    "owed": serializers.DictField(), "watched": serializers.DictField(required=False),
    "counts": serializers.DictField(required=False),
})


class OversightView(ApiView):
    @extend_schema(summary="本单位待书面反馈的督办和建议；辖区内待反馈的督办、建议及本年度采纳情况（§40）",
                   responses=_LIST)
    def get(self, request: AuthedAPIRequest) -> Response:
        user = request.user
        owed = oversight.owed_by(user)
        data: dict[str, Any] = {"owed": {
            "supervisions": [_supervision(x) for x in owed.supervisions],
            "recommendations": [_recommendation(r) for r in owed.recommendations],
        }}
        if permissions.may(user, "view_supervision"):
            w = oversight.watched_by(user)
            today = clocks.today()
            data["watched"] = {
                "supervisions": [_supervision(x) for x in w.supervisions],
                "recommendations": [_recommendation(r) for r in w.recommendations],
                "answered": [_recommendation(r) for r in w.answered],
            }
            data["counts"] = oversight.counts(today.replace(month=1, day=1), today, user=user)
        return Response(data)


class OversightActView(ApiView):
    @extend_schema(summary="书面反馈督办办理情况、审核督办反馈、书面反馈建议采纳情况（§40 ¶1、¶4）",
                   request=s.ActionSerializer,
                   responses=inline_serializer("OversightResult", {
                       "supervision": serializers.DictField(required=False),
                       "recommendation": serializers.DictField(required=False)}))
    def post(self, request: AuthedAPIRequest, name: str) -> Response:
        if name not in OWED_ACTS:
            raise Http404(f"未知的操作：{name[:40]}")
        if request.user.body_id is None and not permissions.may(request.user, "view_supervision"):
            raise Forbidden("只有机关、单位的工作人员可以反馈督办和建议")
        return Response(_result(_run(request, name)))


class MatterOversightView(ApiView):
    @extend_schema(summary="事项的督办及书面反馈、工作建议及采纳情况，以及当前用户可提出的建议（§40）",
                   responses=inline_serializer("MatterOversight", {
                       "supervisions": serializers.ListField(child=serializers.DictField()),
                       "recommendations": serializers.ListField(child=serializers.DictField()),
                       "may": serializers.DictField(child=serializers.BooleanField())}))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        user = request.user
        sups, recs = oversight.for_matter(m)
        xinfang_staff = user.body is not None and user.body.is_xinfang
        return Response({
            "supervisions": [_supervision(x) for x in sups],
            "recommendations": [_recommendation(r) for r in recs],
            "may": {n: xinfang_staff and permissions.may(user, n, matter=m)
                    for n in RECOMMEND_ACTS},
        })


class MatterOversightActView(ApiView):
    @extend_schema(summary="提出改进工作、完善政策、追究责任建议，或就该事项的督办、建议书面反馈（§40）",
                   request=s.ActionSerializer,
                   responses=inline_serializer("MatterOversightResult", {
                       "supervision": serializers.DictField(required=False),
                       "recommendation": serializers.DictField(required=False)}))
    def post(self, request: AuthedAPIRequest, pk: int, name: str) -> Response:
        m = matter_for(request, pk)
        if name not in services.OVERSIGHT_ACTS:
            raise Http404(f"未知的操作：{name[:40]}")
        return Response(_result(_run(request, name, m)))
