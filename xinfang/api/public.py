"""Public (citizen) endpoints: submit, follow progress, rate, ask for 复查/复核 (§21 ¶2, §35–36).

No login: the citizen proves a matter is theirs with the query code and the phone on file
(services.citizen.prove: failed proofs counted per address and per code), and proves they hold
that phone with a one-time SMS code when submitting (the portal's code, xinfang.core.otp;
settings.XINFANG_PUBLIC_SUBMIT_SMS_CODE). Code and phone only read: every act (评价, 重办,
复查/复核, 撤回, 补充材料) needs a fresh code texted to the registered phone for that act
(``…/sms-codes`` with its purpose; issue 14 item 7). Rate limited per client address and per
phone. The progress answer carries public steps and unit names only, never staff names.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from xinfang.core import attempts, otp
from xinfang.core.security import client_address
from xinfang.domain import states as st
from xinfang.petitions import services
from xinfang.petitions.models import Channel, Document, Event, Matter
from xinfang.petitions.services import citizen as cz

from . import serializers as s
from .throttles import throttles_for
from .views import ChineseMixin, idempotency_key

# services.validate_registration keys → the public payload's field names.
_PUBLIC_FIELDS = {"petitioners.0.phone": "phone", "petitioners.0.id_number": "id_number",
                  "petitioners": "name", "accused_name": "accused_name"}


class PublicReplaySerializer(serializers.Serializer[s.Data]):
    """A replay without a fresh SMS code: the number only, never the query code (issue 14
    item 8)."""

    number = serializers.CharField(help_text="信访件编号")
    replay = serializers.BooleanField()
    detail = serializers.CharField()


def public_error_fields(errors: dict[str, str]) -> dict[str, list[str]]:
    return {_PUBLIC_FIELDS.get(k, k): [v] for k, v in errors.items()}


class PublicView(ChineseMixin, APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_group = "public_query"
    registration_error_fields = staticmethod(public_error_fields)

    def get_throttles(self) -> list[Any]:
        return throttles_for(self.throttle_group)


def receipt_url(code: str) -> str:
    try:
        base = reverse("portal:track")
    except NoReverseMatch:
        base = "/portal/track/"
    return f"{base}?code={code}"


class SmsCodeView(PublicView):
    throttle_group = "public_sms"

    @extend_schema(
        summary="获取短信验证码（网上提交前证明手机号为本人所有）",
        request=s.PublicSmsCodeSerializer,
        responses={202: s.PublicSmsSentSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        ser = s.PublicSmsCodeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            notice = otp.send_code_notice(ser.validated_data["phone"],
                                          address=client_address(request._request))
        except otp.OtpError as e:
            raise serializers.ValidationError({"phone": [e.message]}) from e
        return Response({"detail": notice}, status=status.HTTP_202_ACCEPTED)


class PetitionSubmitView(PublicView):
    throttle_group = "public_submit"

    @extend_schema(
        summary="网上提交信访事项（§17、§21）",
        request=s.PublicPetitionSerializer,
        parameters=[OpenApiParameter(
            "Idempotency-Key", str, OpenApiParameter.HEADER,
            description="同一键（同一手机号）重复提交只产生一件事项：重放只返回信访件编号，"
                        "不返回查询码；附新的短信验证码重放才返回查询码")],
        responses={201: s.PublicReceiptSerializer, 200: PublicReplaySerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        ser = s.PublicPetitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        sub = services.OnlineSubmission(
            channel=Channel.ONLINE, name=v["name"], phone=v["phone"],
            id_number=v.get("id_number", ""), address=v.get("address", ""), title=v["title"],
            request=v["request"], content=v["content"], division=v["division"],
            klass=v["klass"], category=v.get("category"), accused_name=v.get("accused_name", ""),
            accused_body=v.get("accused_body"))
        done = services.submit_online(
            sub, idempotency_key=idempotency_key(request, f"public:{v['phone']}"),
            sms_code=v.get("sms_code", ""), check_code=settings.XINFANG_PUBLIC_SUBMIT_SMS_CODE)
        m = done.matter
        if not done.proven:
            # Issue 14 item 8: whoever replays a key proves nothing about the phone; the query
            # code (with the phone, the key to the matter) goes back only with a fresh SMS code.
            return Response({"number": m.number, "replay": True,
                             "detail": "该提交已受理。查询码已在首次提交时给出；如需再次获取，"
                                       "请重新获取短信验证码后以同一 Idempotency-Key 提交"},
                            status=status.HTTP_200_OK)
        return Response({"number": m.number, "code": m.query_code,
                         "receipt_url": receipt_url(m.query_code), "replay": done.replay},
                        status=status.HTTP_201_CREATED)


def _proof(request: Request, code: str, phone: Any) -> cz.Proof:
    proof = s.PhoneProofSerializer(data={"phone": phone})
    proof.is_valid(raise_exception=True)
    try:
        return cz.prove(code[:12], proof.validated_data["phone"],
                        address=client_address(request._request))
    except attempts.TooManyAttempts as e:
        raise exceptions.Throttled(wait=e.retry_after, detail=e.message) from e


def progress_data(m: Matter) -> dict[str, Any]:
    events: QuerySet[Event] = (Event.objects.filter(matter=m, public=True)
                               .select_related("actor_body").order_by("at", "id"))
    steps = []
    for e in events:
        # Unit names only: staff names never reach the citizen.
        if e.actor_label in ("信访人", "系统"):
            by = e.actor_label
        elif e.actor_body is not None:
            by = e.actor_body.name
        else:
            by = ""
        steps.append({"at": e.at, "label": e.label, "by": by, "note": e.note})
    docs = (Document.objects.filter(matter=m, to_petitioner=True).select_related("issued_by")
            .order_by("issued_at", "id"))
    can = services.citizen_choices(m)
    return {
        "code": m.query_code, "title": m.title, "state": m.state, "state_label": m.state_label,
        "received_on": timezone.localdate(m.received_at), "holder": m.holder.name,
        "steps": steps,
        "documents": [{"kind_label": d.get_kind_display(), "number": d.number,
                       "issued_by": d.issued_by.name, "issued_at": d.issued_at,
                       "served_on": d.served_on} for d in docs],
        "can_rate": bool(can & {"rate_satisfied", "rate_unsatisfied"}),
        "can_request_redo": "request_redo" in can,
        "can_request_review": "request_review" in can,
        "can_request_recheck": "request_recheck" in can,
        "can_withdraw": "withdraw" in can,
        "can_supplement": st.State(m.state) in st.OPEN_STATES,
        "question": q.note if (q := cz.open_question(m)) is not None else "",
    }


class PetitionProgressView(PublicView):
    @extend_schema(
        summary="查询办理进度（凭查询码和手机号）",
        parameters=[OpenApiParameter("phone", str, required=True, description="登记时留的手机号")],
        responses=s.PublicProgressSerializer,
        auth=[],
    )
    def get(self, request: Request, code: str) -> Response:
        m = _proof(request, code, request.query_params.get("phone", "")).matter
        return Response(s.PublicProgressSerializer(progress_data(m)).data)


class ActCodeView(PublicView):
    throttle_group = "public_sms"

    @extend_schema(summary="获取办理操作的短信验证码（发送到登记的手机号，每种操作各一个）",
                   request=s.PublicActCodeSerializer,
                   responses={202: s.PublicSmsSentSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.PublicActCodeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        proof = _proof(request, code, v["phone"])
        phone = cz.send_act_code(proof, v["purpose"], address=client_address(request._request))
        return Response({"detail": f"验证码已发送至登记的手机 {phone}，10分钟内有效"},
                        status=status.HTTP_202_ACCEPTED)


class PetitionEvaluationView(PublicView):
    throttle_group = "public_act"

    @extend_schema(summary="评价处理意见（满意/基本满意/不满意，§21 ¶2）",
                   request=s.PublicEvaluationSerializer,
                   responses={200: s.PublicProgressSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.PublicEvaluationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        proof = _proof(request, code, v["phone"])
        name = "rate_unsatisfied" if v["rating"] == "unsatisfied" else "rate_satisfied"
        m = cz.act(proof, name, sms_code=v.get("sms_code", ""),
                   data={"rating": v["rating"], "comment": v.get("comment", "")})
        return Response(s.PublicProgressSerializer(progress_data(m)).data)


class PetitionRedoRequestView(PublicView):
    throttle_group = "public_act"

    @extend_schema(summary="评价不满意后要求重新办理（本地做法；不影响申请复查，§35）",
                   request=s.ActProofSerializer,
                   responses={201: s.PublicProgressSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.ActProofSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        proof = _proof(request, code, ser.validated_data["phone"])
        m = cz.act(proof, "request_redo", sms_code=ser.validated_data.get("sms_code", ""))
        return Response(s.PublicProgressSerializer(progress_data(m)).data,
                        status=status.HTTP_201_CREATED)


class PetitionReviewRequestView(PublicView):
    throttle_group = "public_act"

    @extend_schema(summary="申请复查（§35）或复核（§36）", request=s.PublicReviewRequestSerializer,
                   responses={201: s.PublicProgressSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.PublicReviewRequestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        proof = _proof(request, code, v["phone"])
        m = proof.matter
        kind = v.get("kind") or ("recheck" if m.state == st.State.REVIEWED else "review")
        name = "request_recheck" if kind == "recheck" else "request_review"
        data = {"reason": v["reason"]}
        if v.get("late_reason"):
            data["late_reason"] = v["late_reason"]
        m = cz.act(proof, name, data=data, sms_code=v.get("sms_code", ""))
        return Response(s.PublicProgressSerializer(progress_data(m)).data,
                        status=status.HTTP_201_CREATED)


class PetitionWithdrawalView(PublicView):
    throttle_group = "public_act"

    @extend_schema(summary="撤回信访事项（答复前）",
                   request=s.PublicWithdrawalSerializer,
                   responses={201: s.PublicProgressSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.PublicWithdrawalSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        proof = _proof(request, code, v["phone"])
        m = cz.act(proof, "withdraw", data={"reason": v["reason"]},
                   sms_code=v.get("sms_code", ""))
        return Response(s.PublicProgressSerializer(progress_data(m)).data,
                        status=status.HTTP_201_CREATED)


class PetitionSupplementView(PublicView):
    throttle_group = "public_act"

    @extend_schema(summary="补充材料或答复办理单位的问题（§19 ¶1）",
                   request=s.PublicSupplementSerializer,
                   responses={201: s.PublicProgressSerializer}, auth=[])
    def post(self, request: Request, code: str) -> Response:
        ser = s.PublicSupplementSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        proof = _proof(request, code, v["phone"])
        cz.supplement(proof, text=v["text"], sms_code=v.get("sms_code", ""))
        proof.matter.refresh_from_db()
        return Response(s.PublicProgressSerializer(progress_data(proof.matter)).data,
                        status=status.HTTP_201_CREATED)
