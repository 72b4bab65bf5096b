"""The staff side of the petitioner's acts after filing (issue 16 item 6), as at the matter
page (``web/views/citizen_side.py``): ask the petitioner for materials or an explanation, and
record 息诉罢访 confirmed by the petitioner's code (sent by ``…/settlement/code``) or, for a
petitioner with no mobile phone on file, by the signed written pledge's scan and date
(multipart). The same services (``petitions.services.citizen``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.petitions.models import Event
from xinfang.petitions.services import citizen as cz

from .views import ApiView, matter_for


def _event(e: Event) -> dict[str, Any]:
    return {"id": e.pk, "action": e.action, "at": e.at, "note": e.note}


EventOut = inline_serializer("CitizenSideEvent", {
    "id": serializers.IntegerField(), "action": serializers.CharField(),
    "at": serializers.DateTimeField(), "note": serializers.CharField()})


class QuestionView(ApiView):
    @extend_schema(summary="请信访人补充材料或说明（显示在信访人的查询页面，§19 ¶1）",
                   request=inline_serializer("QuestionIn", {
                       "question": serializers.CharField(max_length=1000)}),
                   responses={201: EventOut})
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        question = request.data.get("question", "") if hasattr(request.data, "get") else ""
        event = cz.ask_petitioner(m, user=request.user, question=str(question or ""))
        return Response(_event(event), status=status.HTTP_201_CREATED)


class SettlementCodeView(ApiView):
    @extend_schema(summary="向信访人登记的手机发送息诉罢访确认码", request=None,
                   responses={202: inline_serializer("SettlementCodeSent", {
                       "detail": serializers.CharField()})})
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        phone = cz.send_settlement_code(m, user=request.user)
        return Response({"detail": f"确认码已发送至信访人登记的手机 {phone}"},
                        status=status.HTTP_202_ACCEPTED)


class SettlementIn(serializers.Serializer[Any]):
    statement = serializers.CharField(max_length=1000, help_text="信访人的表示（时间、方式、内容）")
    sms_code = serializers.CharField(max_length=6, required=False, allow_blank=True,
                                     help_text="信访人告知的确认码（…/settlement/code 发送）")
    written_on = serializers.DateField(required=False, allow_null=True,
                                       help_text="仅限没有登记手机号码的信访人：书面息诉罢访承诺的签署日期")
    pledge = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=5,
        help_text="仅限没有登记手机号码的信访人：签字的书面承诺扫描件（multipart/form-data，"
                  "PDF/JPG/PNG，每个不超过10MB）")


class SettlementView(ApiView):
    @extend_schema(summary="登记息诉罢访（京 §27 ¶2）",
                   request={"application/json": SettlementIn,
                            "multipart/form-data": SettlementIn},
                   responses={201: EventOut})
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        ser = SettlementIn(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        event = cz.record_settlement(m, user=request.user, statement=v["statement"],
                                     sms_code=v.get("sms_code", ""),
                                     written_on=v.get("written_on"),
                                     pledge=v.get("pledge") or [])
        return Response(_event(event), status=status.HTTP_201_CREATED)
