"""更正登记信息 at the API (issue 16 item 4): ``POST /api/v1/matters/<pk>/corrections`` — the
same use case as the page (``petitions.services.correction``): only the fields sent are
corrected; each petitioner is named by its id (``GET /api/v1/matters/<pk>``) and a field left
out keeps what is on file. The answer is the recorded event (old and new values, personal
data masked) and the clocks moved.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.domain import states as st
from xinfang.org.models import Body, Category, Division
from xinfang.petitions import services
from xinfang.petitions.services import correction as corr

from . import serializers as s
from .views import ApiView, matter_for


class PetitionerCorrectionSerializer(serializers.Serializer[s.Data]):
    id = serializers.IntegerField(min_value=1, max_value=s.MAX_ID, help_text="信访人 id")
    name = serializers.CharField(required=False, max_length=100)
    id_number = serializers.CharField(required=False, max_length=20)
    phone = serializers.CharField(required=False, max_length=20)
    address = serializers.CharField(required=False, max_length=200)


class CorrectionSerializer(serializers.Serializer[s.Data]):
    reason = serializers.CharField(max_length=corr.REASON_MAX, help_text="更正理由")
    received_at = serializers.DateTimeField(required=False)
    klass = serializers.ChoiceField(choices=list(st.KLASS_LABELS.items()), required=False)
    category = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                     help_text="分类代码；空串清除")
    division = serializers.CharField(required=False, max_length=12, help_text="区划代码")
    reception_room = serializers.CharField(required=False, allow_blank=True, max_length=60)
    postmark_on = s.SaneDateField(required=False, allow_null=True)
    source_doc_no = serializers.CharField(required=False, allow_blank=True, max_length=64)
    source_body_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    accused_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    accused_body = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                            max_value=s.MAX_ID)
    headcount = serializers.IntegerField(required=False, min_value=1, max_value=100000)
    petitioners = PetitionerCorrectionSerializer(many=True, required=False)

    def validate_category(self, value: str) -> Category | None:
        if not value:
            return None
        cat = Category.objects.filter(code=value).first()
        if cat is None:
            raise serializers.ValidationError("未知的分类代码")
        return cat

    def validate_division(self, value: str) -> Division:
        div = Division.objects.filter(code=value).first()
        if div is None:
            raise serializers.ValidationError("未知的区划代码")
        return div

    def validate_accused_body(self, value: int | None) -> Body | None:
        if value is None:
            return None
        body = Body.objects.filter(pk=value).first()
        if body is None:
            raise serializers.ValidationError("未知的单位")
        return body


class CorrectionView(ApiView):
    @extend_schema(
        summary="更正登记信息（登记机关；转送后告知承办单位）",
        request=CorrectionSerializer,
        responses={201: inline_serializer("CorrectionResult", {
            "event": serializers.IntegerField(),
            "changes": serializers.ListField(child=serializers.DictField()),
            "clocks": serializers.ListField(child=serializers.CharField()),
            "told": serializers.ListField(child=serializers.IntegerField()),
        })},
    )
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        ser = CorrectionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v: dict[str, Any] = dict(ser.validated_data)
        people = {p["id"]: {k: p.get(k, "") for k in corr.PETITIONER_FIELDS}
                  for p in v.pop("petitioners", [])}
        reason = v.pop("reason")
        event = services.correct_registration(
            m, corr.Correction(reason=reason, matter=v, petitioners=people), user=request.user)
        return Response({"event": event.pk, "changes": event.data["changes"],
                         "clocks": event.data["clocks"], "told": event.data["told"]},
                        status=status.HTTP_201_CREATED)
