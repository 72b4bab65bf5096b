"""Staff API: matters, actions, registration, documents, evaluations, search, reference data.

Every matter lookup goes through xinfang.petitions.access, so "missing" and "not yours" both
answer 404, and a 检举控告 matter never reaches the accused unit (§30 ¶3). Every write goes
through xinfang.petitions.services.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from xinfang.core import paging
from xinfang.core.http import AuthedAPIRequest
from xinfang.domain import states as st
from xinfang.domain.errors import Forbidden
from xinfang.org.models import Body, Category, Division, User
from xinfang.petitions import access, filters, permissions, redaction, services, textindex
from xinfang.petitions.models import Evaluation, Matter

from . import serializers as s

MAX_PK = 2**63 - 1

class ChineseMixin(APIView):
    """API messages are in Chinese whatever the client's Accept-Language says."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        translation.activate("zh-hans")
        request.LANGUAGE_CODE = "zh-hans"
        super().initial(request, *args, **kwargs)


def registration_error_fields(errors: dict[str, str]) -> dict[str, list[str]]:
    """services.ValidationFailed keys ("petitioners.0.phone") → DRF-style field errors."""
    return {k: [v] for k, v in errors.items()}


class ApiView(ChineseMixin, APIView):
    registration_error_fields = staticmethod(registration_error_fields)


def _pk(value: Any) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError) as e:
        raise Http404("事项不存在") from e
    if not 0 < pk <= MAX_PK:
        raise Http404("事项不存在")
    return pk


def staff_user(request: Request) -> User:
    """The logged-in user of a staff view whose method the base class types with a plain
    ``Request`` (the list views); IsAuthenticated has refused anyone else already."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def matter_for(request: AuthedAPIRequest, pk: Any) -> Matter:
    return access.get_matter_for_user(request.user, _pk(pk))


def identity_mode(user: User, matter: Matter, *, reveal: bool = False) -> str:
    """``full`` only on an explicit reveal that the act allows (audited by the caller);
    outside the chain of a confidential matter ``hidden`` (issue 14 item 3)."""
    if reveal and access.may_reveal(user, matter):
        return "full"
    if not access.can_see_identity(user, matter):
        return "hidden"
    return "masked"


# --------------------------------------------------------------------------- filtering


class MatterFilterSerializer(serializers.Serializer[s.Data]):
    q = serializers.CharField(required=False, max_length=100,
                              help_text="关键词（空格分隔，至多5个，均须出现）：标题、诉求、内容，或编号、查询码")
    state = serializers.MultipleChoiceField(choices=[x.value for x in st.State], required=False)
    klass = serializers.ChoiceField(choices=[x.value for x in st.Klass], required=False)
    channel = serializers.CharField(required=False, max_length=10)
    division = serializers.CharField(required=False, max_length=12, help_text="区划代码，含下级")
    category = serializers.CharField(required=False, max_length=32, help_text="分类代码，含下级")
    holder = serializers.IntegerField(required=False, min_value=1, max_value=s.MAX_ID)
    lead_body = serializers.IntegerField(required=False, min_value=1, max_value=s.MAX_ID)
    acting_body = serializers.IntegerField(required=False, min_value=1, max_value=s.MAX_ID,
                                           help_text="当前应办单位（超期统计按此归属）")
    received_from = s.SaneDateField(required=False)
    received_to = s.SaneDateField(required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    supervised = serializers.BooleanField(required=False, allow_null=True, default=None)
    level_skip = serializers.BooleanField(required=False, allow_null=True, default=None,
                                          help_text="越级走访（§20 ¶1）")
    phone = serializers.CharField(required=False, max_length=20, help_text="信访人电话（精确匹配）")
    id_number = serializers.CharField(required=False, max_length=20, help_text="身份证号码（精确匹配）")
    name = serializers.CharField(required=False, max_length=50, help_text="信访人姓名（名称，精确匹配）")
    reason = serializers.CharField(required=False, max_length=filters.REASON_MAX,
                                   help_text="查询事由：按姓名、电话或身份证号码查询时必填，留痕")


def _parse_filters(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "state"}
    states = [x for v in request.query_params.getlist("state") for x in v.split(",") if x]
    if states:
        data["state"] = states
    f = MatterFilterSerializer(data=data)
    f.is_valid(raise_exception=True)
    return dict(f.validated_data)


def matter_filter(f: dict[str, Any]) -> filters.MatterFilter:
    """Validated query parameters as the one matter filter (petitions.filters)."""
    return filters.MatterFilter(
        q=f.get("q") or "", states=list(f.get("state") or []), klass=f.get("klass") or "",
        channel=f.get("channel") or "", division=f.get("division") or "",
        category=f.get("category") or "", holder=f.get("holder"), lead_body=f.get("lead_body"),
        acting_body=f.get("acting_body"),
        received_from=f.get("received_from"), received_to=f.get("received_to"),
        overdue=f.get("overdue"), supervised=f.get("supervised"),
        level_skip=f.get("level_skip"), phone=f.get("phone") or "",
        id_number=f.get("id_number") or "", name=f.get("name") or "",
        reason=f.get("reason") or "")


FILTER_PARAMS = [
    OpenApiParameter("q", str, description="关键词"),
    OpenApiParameter("state", str, description="状态，可逗号分隔多个", many=True),
    OpenApiParameter("klass", str, enum=[x.value for x in st.Klass]),
    OpenApiParameter("channel", str),
    OpenApiParameter("division", str, description="区划代码（含下级）"),
    OpenApiParameter("category", str, description="分类代码（含下级）"),
    OpenApiParameter("holder", int),
    OpenApiParameter("lead_body", int),
    OpenApiParameter("acting_body", int, description="当前应办单位"),
    OpenApiParameter("received_from", OpenApiTypes.DATE),
    OpenApiParameter("received_to", OpenApiTypes.DATE),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("supervised", bool),
    OpenApiParameter("level_skip", bool, description="越级走访（§20 ¶1）"),
    OpenApiParameter("phone", str, description="信访人电话（精确匹配）"),
    OpenApiParameter("id_number", str, description="身份证号码（精确匹配）"),
    OpenApiParameter("name", str, description="信访人姓名（名称，精确匹配）"),
    OpenApiParameter("reason", str,
                     description="查询事由：按姓名、电话或身份证号码查询时必填，留痕"),
]


# --------------------------------------------------------------------------- matters


class MatterQueryView(ChineseMixin, ListAPIView[Matter]):
    serializer_class = s.MatterListSerializer
    require_q = False

    def matter_filter(self) -> filters.MatterFilter:
        f = _parse_filters(self.request)
        if self.require_q and not any(f.get(k) for k in ("q", *filters.IDENTITY_FIELDS)):
            raise serializers.ValidationError({"q": ["请输入关键词、编号、查询码，或信访人姓名、电话、身份证号码"]})
        return matter_filter(f)

    def get_queryset(self) -> QuerySet[Matter]:
        return list_rows(filters.find(staff_user(self.request), self.matter_filter()))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        items = page if page is not None else list(self.get_queryset())
        data = [self._row(request, m) for m in items]
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _row(self, request: Request, m: Matter) -> dict[str, Any]:
        mode = identity_mode(staff_user(request), m)
        return s.MatterListSerializer(m, context={"request": request, "identity": mode}).data


def list_rows(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    """What a row of a matter list carries (MatterListSerializer)."""
    return qs.select_related("holder", "lead_body", "division", "category").prefetch_related(
        "petitioners")


class MatterListView(MatterQueryView):
    @extend_schema(summary="信访事项列表（按管辖与单位过滤）", parameters=FILTER_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(summary="登记信访事项（来信、来访、来电、网上、上级转送……）",
                   request=s.RegistrationSerializer,
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
                   responses={201: s.RegistrationResultSerializer})
    def post(self, request: AuthedAPIRequest) -> Response:
        user = request.user
        permissions.require(user, "register")  # before the payload: a refusal is a 403
        holder = user.body
        if holder is None:  # the act is at one's own body (§23 ¶1)
            raise PermissionDenied("您的账号未设置所在单位，不能登记信访事项")
        ser = s.RegistrationSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        reg = services.Registration(
            channel=v["channel"], title=v["title"], request=v["request"], content=v["content"],
            division=v["division"], received_at=v.get("received_at") or timezone.now(),
            klass=v["klass"], category=v.get("category"),
            source_doc_no=v.get("source_doc_no", ""), source_body_name=v.get("source_body_name", ""),
            accused_name=v.get("accused_name", ""), accused_body=v.get("accused_body"),
            headcount=v["headcount"], is_anonymous=v["is_anonymous"], is_urgent=v["is_urgent"],
            collective=v["is_collective"],
            channel_details={"joint_letter": "1" if v["is_collective"] and v["channel"] == "letter"
                             else ""},
            confidential=v["confidential"], legal_litigation=v["legal_litigation"],
            petitioners=[services.PetitionerIn(
                name=p["name"], id_number=p.get("id_number", ""), phone=p.get("phone", ""),
                address=p.get("address", ""), kind=p["kind"],
                is_representative=p["is_representative"]) for p in v.get("petitioners", [])],
        )
        key = idempotency_key(request, f"staff:{user.pk}")
        m = services.register_once(reg, holder=holder, user=user, key=key)
        return Response({"id": m.pk, "number": m.number, "code": m.query_code},
                        status=status.HTTP_201_CREATED)

    registration_error_fields = staticmethod(registration_error_fields)


def idempotency_key(request: Request, namespace: str) -> str:
    """Clients' keys are namespaced (and hashed) so one client can never replay another's."""
    import hashlib

    raw = request.headers.get("Idempotency-Key", "").strip()
    if not raw:
        return ""
    if len(raw) > 200:
        raise serializers.ValidationError({"Idempotency-Key": ["Idempotency-Key 不能超过200个字符"]})
    return "k1:" + hashlib.sha256(f"{namespace}\x00{raw}".encode()).hexdigest()


class CappedPagination(PageNumberPagination):
    """/api/v1/search pages like the 综合查询 page (petitions.filters.search): 50 rows, the
    count no further than ``textindex.COUNT_CAP`` — past it ``count`` is the cap and
    ``count_capped`` is true ("1,000 件以上"), so a common word never costs a count of
    every hit. A page past the end, or not a page number, is a 404 as on the other lists."""

    schema_prefix = "Capped"  # api.schema.AutoSchema.get_paginated_name

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = super().get_paginated_response_schema(schema)
        cap = textindex.COUNT_CAP
        out["required"] = ["count", "count_capped", "results"]
        out["properties"]["count"] = {"type": "integer", "example": 123, "maximum": cap,
                                      "description": f"符合条件的事项数，至多计到 {cap}"}
        out["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"为真时表示超过 {cap} 件（页面显示“{cap:,} 件以上”），count 即为上限"}
        return out

    @property
    def size(self) -> int:
        return self.page_size or 50

    def page_number(self, request: Request) -> int:
        raw = request.query_params.get(self.page_query_param) or "1"
        if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= paging.MAX_PAGE:
            raise NotFound(self.invalid_page_message)
        return int(raw)

    def respond(self, request: Request, number: int, got: textindex.Page,
                data: list[dict[str, Any]]) -> Response:
        ids, total, capped = got
        url = request.build_absolute_uri()
        previous = None
        if number > 1:
            previous = (remove_query_param(url, self.page_query_param) if number == 2
                        else replace_query_param(url, self.page_query_param, number - 1))
        return Response({
            "count": total, "count_capped": capped,
            "next": (replace_query_param(url, self.page_query_param, number + 1)
                     if len(ids) > self.size else None),
            "previous": previous, "results": data})


class SearchView(MatterQueryView):
    require_q = True
    pagination_class = CappedPagination

    @extend_schema(summary="检索信访事项（关键词 + 过滤条件）", parameters=FILTER_PARAMS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page and its capped count from ``filters.search_ids`` (the text index), as
        the 综合查询 page gets them."""
        pager = CappedPagination()
        number = pager.page_number(request)
        got = filters.search_ids(staff_user(request), self.matter_filter(), number, pager.size)
        ids = got[0][:pager.size]
        if number > 1 and not ids:
            raise NotFound(pager.invalid_page_message)
        by_id = list_rows(Matter.objects.filter(pk__in=ids)).in_bulk(ids)
        return pager.respond(request, number, got,
                             [self._row(request, by_id[i]) for i in ids if i in by_id])


class MatterDetailView(ApiView):
    @extend_schema(
        summary="信访事项详情",
        parameters=[OpenApiParameter("reveal", bool, description="显示完整身份信息（留痕）")],
        responses=s.MatterDetailSerializer,
    )
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        reveal = request.query_params.get("reveal") in ("1", "true", "True")
        mode = identity_mode(request.user, m, reveal=reveal)
        if mode == "full":
            services.log_identity_view(m, request.user, "api.matter_detail")
        return Response(detail_data(request, m, mode))


def detail_data(request: AuthedAPIRequest, m: Matter, mode: str) -> dict[str, Any]:
    m = (Matter.objects.select_related(
        "holder", "lead_body", "division", "category", "accused_body", "review_body",
        "recheck_body", "repeat_of").prefetch_related(
        "petitioners", "dispatches__from_body", "dispatches__to_body", "clocks",
        "events__actor_body").get(pk=m.pk))
    # Issue 14 item 3: free text as the web's matter page shows it to this user.
    red = redaction.for_viewer(request.user, m, m.dispatches.all(), revealed=mode == "full")
    data = s.MatterDetailSerializer(m, context={"request": request, "identity": mode}).data
    return redaction.apply_to_detail(red, data)


EXTRA_ACTS = {"supervise", "submit_report", "assist_sign", "assist_object", "assist_reply",
              "assign_handler", "recuse", "record_implementation",
              "confirm_lapse", "notify_personnel", *services.URGENT_ACTS}


class ActionListView(ApiView):
    @extend_schema(summary="当前用户可对该事项执行的操作", responses=s.TransitionSerializer(many=True))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        return Response(s.transitions_view(request.user, m))


class ActionView(ApiView):
    @extend_schema(
        summary="执行一个操作（状态机转换，或督办/办结报告/协办意见）",
        request=s.ActionSerializer,
        responses={200: s.MatterDetailSerializer},
        parameters=[OpenApiParameter(
            "name", str, OpenApiParameter.PATH,
            enum=[*st.TRANSITIONS, *sorted(EXTRA_ACTS)])],
    )
    def post(self, request: AuthedAPIRequest, pk: int, name: str) -> Response:
        m = matter_for(request, pk)
        if name not in st.TRANSITIONS and name not in EXTRA_ACTS:
            raise Http404(f"未知的操作：{name[:40]}")
        ser = s.ActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        user = request.user
        if name == "supervise":
            services.supervise(m, user=user, note=data.get("note", ""),
                               feedback_days=data.get("feedback_days", 30))
        elif name == "submit_report":
            services.submit_report(m, user=user, text=data.get("text", ""))
        elif name in services.URGENT_ACTS:  # 重大紧急 (§25)
            services.urgent_act(m, name, user=user, data=data)
        elif name == "notify_personnel":  # §30 ¶2
            services.notify_personnel(m, user=user, personnel_body=data.get("personnel_body", ""),
                                      text=data.get("text", ""))
        elif name == "assign_handler":  # the named 承办人 (§28)
            services.assign_handler(m, user=user, handler_id=int(data.get("handler_user") or 0))
        elif name == "record_implementation":  # §32 ¶2
            services.record_implementation(m, user=user, text=data.get("text", ""))
        elif name == "recuse":  # 回避 (§28 ¶3)
            services.recuse(m, user=user, recused_id=int(data.get("recused_user") or 0),
                            reason=data.get("reason", ""))
        elif name == "confirm_lapse":
            services.confirm_lapse(m, user=user, reason=data.get("reason", ""))
        elif name.startswith("assist_"):
            d = permissions.assist_dispatch(user, m)
            if d is None:
                raise Forbidden("只有协办单位可以办理该协办件")
            if name == "assist_sign":
                services.assist_sign(d, user=user)
            elif name == "assist_object":
                services.assist_object(d, user=user, reason=data.get("reason", ""))
            else:
                services.assist_reply(d, user=user, text=data.get("text", ""))
        else:
            services.transition(m, name, user=user, data=data)
        # The actor may no longer see the matter (e.g. an objection upheld): answer with what
        # is still theirs to see.
        try:
            m = matter_for(request, pk)
        except Http404:
            return Response({"detail": "操作成功"})
        return Response(detail_data(request, m, identity_mode(user, m)))


class DocumentListView(ApiView):
    @extend_schema(summary="事项的文书列表", responses=s.DocumentListSerializer(many=True))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        docs = m.documents.select_related("issued_by").order_by("issued_at", "id")
        return Response(s.DocumentListSerializer(docs, many=True).data)


class DocumentDetailView(ApiView):
    @extend_schema(summary="文书详情（JSON）", responses=s.DocumentDetailSerializer)
    def get(self, request: AuthedAPIRequest, pk: int, doc_id: int) -> Response:
        m = matter_for(request, pk)
        doc = m.documents.select_related("issued_by").filter(pk=_pk(doc_id)).first()
        if doc is None:
            raise Http404("文书不存在")
        data = s.DocumentDetailSerializer(doc).data
        # The same redaction as the web's rendering of the document (issue 14 item 3).
        red = (redaction.of_matter(m) if redaction.hides_identity(request.user, m)
               or (doc.context or {}).get("redact_identity") else redaction.NONE)
        return Response({**data, "context": red.data(data["context"])})


class EvaluationView(ApiView):
    @extend_schema(summary="事项的评价记录", responses=s.EvaluationSerializer(many=True))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        return Response(s.EvaluationSerializer(m.evaluations.order_by("round"), many=True).data)

    @extend_schema(
        summary="代信访人登记评价（§21 ¶2）",
        request=inline_serializer("StaffEvaluationIn", {
            "rating": serializers.ChoiceField(choices=Evaluation.Rating.choices),
            "comment": serializers.CharField(required=False, allow_blank=True, max_length=1000),
            "follow_up": serializers.IntegerField(
                help_text="回访记录编号：代信访人评价须依据本次答复的回访（POST …/follow-ups）"),
        }),
        responses={201: s.EvaluationSerializer(many=True)},
    )
    def post(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        ser = s.ActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rating = ser.validated_data.get("rating")
        if not rating:
            raise serializers.ValidationError({"rating": ["请选择评价"]})
        name = "rate_unsatisfied" if rating == "unsatisfied" else "rate_satisfied"
        raw = request.data.get("follow_up", "") if isinstance(request.data, dict) else ""
        follow_up = str(raw or "").strip()
        services.transition(m, name, user=request.user, data={
            "rating": rating, "comment": ser.validated_data.get("comment", ""),
            "follow_up": int(follow_up) if follow_up.isdigit() and len(follow_up) < 12 else None})
        return Response(s.EvaluationSerializer(m.evaluations.order_by("round"), many=True).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- reference data


class ReferenceMixin(ChineseMixin):
    permission_classes: Sequence[type[BasePermission]] = [AllowAny]
    pagination_class: type[BasePagination] | None = None


class BodyListView(ReferenceMixin, ListAPIView[Body]):
    serializer_class = s.BodySerializer

    @extend_schema(summary="机关单位", parameters=[
        OpenApiParameter("kind", str, enum=[k.value for k in Body.Kind]),
        OpenApiParameter("division", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Body]:
        qs = Body.objects.filter(active=True).order_by("division_id", "kind", "name")
        p = self.request.query_params
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"][:20])
        if p.get("division"):
            qs = qs.filter(division_id=p["division"][:12])
        return qs


class DivisionListView(ReferenceMixin, ListAPIView[Division]):
    serializer_class = s.DivisionSerializer

    @extend_schema(summary="行政区划", parameters=[
        OpenApiParameter("parent", str, description="上级区划代码；不填为顶级"),
        OpenApiParameter("level", int)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Division]:
        p = self.request.query_params
        qs = Division.objects.order_by("code")
        if p.get("parent"):
            qs = qs.filter(parent_id=p["parent"][:12])
        elif not p.get("level"):
            qs = qs.filter(parent__isnull=True)
        level = p.get("level", "")
        if level:
            if not level.isdigit() or len(level) > 2:
                raise serializers.ValidationError({"level": ["层级应为1至5的整数"]})
            qs = qs.filter(level=int(level))
        return qs


class CategoryListView(ReferenceMixin, ListAPIView[Category]):
    serializer_class = s.CategorySerializer
    queryset = Category.objects.order_by("code")

    @extend_schema(summary="内容分类")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

