"""回访 at the API door (issue 16 item 2): the same service as the matter page's form."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.petitions import services
from xinfang.petitions.models import Evaluation, FollowUp

from .views import ApiView, matter_for


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    staff = serializers.CharField(source="staff.__str__", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "round", "direction", "staff", "petitioner", "contact_at", "channel",
                  "opinion", "rating_before", "rating", "created_at"]


class FollowUpIn(serializers.Serializer[dict[str, object]]):
    contact_at = serializers.DateTimeField(default_timezone=timezone.get_current_timezone())
    channel = serializers.ChoiceField(choices=FollowUp.Channel.choices)
    direction = serializers.ChoiceField(choices=FollowUp.Direction.choices,
                                        default=FollowUp.Direction.OUT)
    petitioner = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                          max_value=2**31 - 1)
    opinion = serializers.CharField(max_length=1000)
    rating = serializers.ChoiceField(choices=[("", "不改变评价"), *Evaluation.Rating.choices],
                                     required=False, allow_blank=True, default="")


class FollowUpView(ApiView):
    @extend_schema(summary="回访记录", responses=FollowUpSerializer(many=True))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        return Response(FollowUpSerializer(m.follow_ups.select_related("staff"), many=True).data)

    @extend_schema(summary="登记回访（可代信访人评价，§21 ¶2）", request=FollowUpIn,
                   responses={201: FollowUpSerializer})
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        ser = FollowUpIn(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        fu = services.record_follow_up(m, user=request.user, data=services.FollowUpIn(
            contact_at=v["contact_at"], channel=v["channel"], opinion=v["opinion"],
            direction=v["direction"], petitioner_id=v.get("petitioner"),
            rating=v.get("rating") or ""))
        return Response(FollowUpSerializer(fu).data, status=status.HTTP_201_CREATED)
