"""Serializers of the REST API. Input serializers validate types and ranges (Chinese messages);
the procedure's own rules stay in xinfang.petitions.services and xinfang.domain.states.

Identity of petitioners is rendered in one of three modes (``context["identity"]``):
``hidden`` (§30 ¶3 / anonymous: nothing), ``masked`` (name, masked ID number and phone) or
``full`` (only on an explicit ``?reveal=1`` by a permitted user, which is audit-logged).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from xinfang.domain import fields as df
from xinfang.domain import idcard, limits
from xinfang.domain import states as st
from xinfang.domain.deadlines import ClockState
from xinfang.org.models import Body, Category, Division
from xinfang.petitions import clocks, routing
from xinfang.petitions.models import (
    Channel,
    Clock,
    Dispatch,
    Document,
    Evaluation,
    Event,
    Matter,
    Petitioner,
)

# What a plain (non-model) serializer renders: the dict a view builds. Input serializers
# render nothing and share the alias.
Data = dict[str, Any]

MAX_ID = 2**31 - 1
HIDDEN_NAME = "（已隐去）"
IDENTITY_MODES = ("hidden", "masked", "full")
MATTER_STATE_CHOICES = [(k.value, v) for k, v in st.STATE_LABELS.items()]  # schema enum name


# --------------------------------------------------------------------------- reference data


class BodyRefSerializer(serializers.Serializer[Body | Data]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BodySerializer(serializers.ModelSerializer[Body]):
    kind_label = serializers.CharField(source="get_kind_display")
    division = serializers.CharField(source="division_id")

    class Meta:
        model = Body
        fields = ["id", "name", "short_name", "kind", "kind_label", "division", "parent",
                  "address", "phone", "reception_hours"]


# A declared field named like an attribute of ``Field`` (``parent``, ``label``, ``required``)
# is popped from the class by DRF's serializer metaclass into ``_declared_fields``, so it never
# shadows that attribute; the stubs cannot know that, hence the narrow ignores below.
class DivisionSerializer(serializers.ModelSerializer[Division]):
    parent = serializers.CharField(source="parent_id", allow_null=True)  # type: ignore[assignment]

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent"]


class CategorySerializer(serializers.ModelSerializer[Category]):
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = Category
        fields = ["code", "name", "parent"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_parent(self, obj: Category) -> str | None:
        codes = obj.path_codes()
        return codes[-2] if len(codes) > 1 else None


# --------------------------------------------------------------------------- identity


class PetitionerSerializer(serializers.Serializer[Data]):
    kind = serializers.CharField()
    name = serializers.CharField()
    id_number = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    is_representative = serializers.BooleanField()
    is_lead = serializers.BooleanField()


def petitioner_view(p: Petitioner, mode: str) -> dict[str, Any]:
    """The one place that decides what of a petitioner's identity leaves the server."""
    if mode == "full":
        name, id_number, phone, address = p.name, p.id_number, p.phone, p.address
    elif mode == "masked":
        name, id_number, phone, address = (p.name, idcard.mask(p.id_number),
                                           idcard.mask_phone(p.phone), "")
    else:  # hidden: §30 ¶3, anonymous matters
        name, id_number, phone, address = HIDDEN_NAME, "", "", ""
    return {"kind": p.kind, "name": name, "id_number": id_number, "phone": phone,
            "address": address, "is_representative": p.is_representative, "is_lead": p.is_lead}


def _identity_mode(serializer: serializers.Serializer[Matter], matter: Matter) -> str:
    modes = serializer.context.get("identity_modes") or {}
    mode = modes.get(matter.pk) or serializer.context.get("identity", "hidden")
    return mode if mode in IDENTITY_MODES else "hidden"


# --------------------------------------------------------------------------- matters


class MatterListSerializer(serializers.ModelSerializer[Matter]):
    channel_label = serializers.CharField(source="get_channel_display")
    klass_label = serializers.CharField(source="get_klass_display")
    state_label = serializers.CharField()
    holder = BodyRefSerializer()
    lead_body = BodyRefSerializer(allow_null=True)
    division = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    petitioner = serializers.SerializerMethodField()

    class Meta:
        model = Matter
        fields = ["id", "number", "title", "channel", "channel_label", "klass", "klass_label",
                  "state", "state_label", "holder", "lead_body", "division", "category",
                  "received_at", "next_due", "is_urgent", "is_anonymous", "supervised",
                  "repeat_kind", "level_skip", "petitioner"]

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_division(self, obj: Matter) -> dict[str, str]:
        return {"code": obj.division_id, "name": obj.division.name}

    @extend_schema_field(serializers.DictField(child=serializers.CharField(), allow_null=True))
    def get_category(self, obj: Matter) -> dict[str, str] | None:
        return {"code": obj.category.code, "name": obj.category.name} if obj.category else None

    @extend_schema_field(PetitionerSerializer(allow_null=True))
    def get_petitioner(self, obj: Matter) -> dict[str, Any] | None:
        lead = next((p for p in obj.petitioners.all() if p.is_lead), None)
        if lead is None:
            return None
        mode = _identity_mode(self, obj)
        # Lists never carry full identity, whatever was asked for.
        return petitioner_view(lead, "hidden" if mode == "hidden" else "masked")


class DispatchSerializer(serializers.ModelSerializer[Dispatch]):
    kind_label = serializers.CharField(source="get_kind_display")
    role_label = serializers.CharField(source="get_role_display")
    state_label = serializers.CharField(source="get_state_display")
    from_body = BodyRefSerializer()
    to_body = BodyRefSerializer()

    class Meta:
        model = Dispatch
        fields = ["id", "kind", "kind_label", "role", "role_label", "state", "state_label",
                  "from_body", "to_body", "number", "dispatched_at", "signed_at", "report_due",
                  "reported_at", "grade", "instructions"]


class ClockSerializer(serializers.ModelSerializer[Clock]):
    """One clock as the matter page shows it (``clocks.view``): ``state`` is never 超期 while
    paused for a §36 ¶2 hearing (``paused``) nor for a petitioner's window past an estimated
    end (``pending``, 待确认); ``paused_days`` counts the days not counted so far."""

    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    paused_days = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = ["code", "name", "article", "started_on", "due_on", "met_on", "alert",
                  "owed_by_petitioner", "paused_since", "paused_days", "estimated", "state",
                  "state_label"]

    def _view(self, obj: Clock) -> dict[str, Any]:
        context = cast(dict[str, Any], self.context)  # the root's dict, shared by every clock
        cache: dict[int, dict[str, Any]] = context.setdefault("_clock_views", {})
        if obj.pk not in cache:
            cache[obj.pk] = clocks.view(obj)
        return cache[obj.pk]

    @extend_schema_field(serializers.ChoiceField(choices=[s.value for s in ClockState]))
    def get_state(self, obj: Clock) -> str:
        return str(self._view(obj)["state"])

    def get_state_label(self, obj: Clock) -> str:
        return gettext(str(self._view(obj)["state_label"]))

    def get_paused_days(self, obj: Clock) -> int:
        return int(self._view(obj)["paused_days"])


class EventSerializer(serializers.ModelSerializer[Event]):
    actor_body = BodyRefSerializer(allow_null=True)
    note = serializers.SerializerMethodField()

    def get_note(self, obj: Event) -> str:
        # The registration note names the original of a repeat: masked unless the viewer may
        # open it (§30 ¶3, issue 14 item 2). ``repeat_link`` is set by MatterDetailSerializer.
        from xinfang.petitions import intel

        return intel.mask_note(obj.note, obj.matter,
                               self.context.get(f"repeat_link:{obj.matter_id}"))

    class Meta:
        model = Event
        fields = ["at", "action", "label", "from_state", "to_state", "actor_label",
                  "actor_body", "note", "public"]


class TransitionSerializer(serializers.Serializer[Data]):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    article = serializers.CharField()
    required = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    danger = serializers.BooleanField()
    bodies = BodyRefSerializer(
        many=True, help_text="to_body、assist_bodies 的允许值：本操作可以转给的机关、单位"
                             "（本级或下级有权处理的机关、单位，§22 ¶1–2；不含被检举控告的单位，§30 ¶3）")


def transition_view(t: st.Transition, matter: Matter | None = None,
                    bodies: list[Body] | None = None) -> dict[str, Any]:
    """One action a user may take; for an act that sends the matter to a body, the bodies it
    may go to (the same list the web's form offers)."""
    allowed: list[Body] = []
    if matter is not None and any(df.FIELDS[f].kind in (df.Kind.BODY, df.Kind.BODIES)
                                  for f in (*t.required, *df.OPTIONAL.get(t.name, ()))):
        allowed = routing.permitted_bodies(matter, t.name, bodies)
    return {"name": t.name, "label": t.label, "article": t.article,
            "required": list(t.required), "danger": t.danger,
            "bodies": [{"id": b.pk, "name": b.name} for b in allowed]}


def transitions_view(user: Any, matter: Matter) -> list[dict[str, Any]]:
    """The actions ``user`` may take on ``matter`` (the bodies loaded once)."""
    from xinfang.petitions import services

    bodies = list(routing.active_bodies())
    return [transition_view(t, matter, bodies) for t in services.allowed_actions(user, matter)]


class MatterDetailSerializer(MatterListSerializer):
    accused_body = BodyRefSerializer(allow_null=True)
    review_body = BodyRefSerializer(allow_null=True)
    recheck_body = BodyRefSerializer(allow_null=True)
    closure_label = serializers.CharField()
    outcome_label = serializers.CharField()
    repeat_of = serializers.SerializerMethodField()
    refusal_proposal = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField()
    petitioners = serializers.SerializerMethodField()
    dispatches = DispatchSerializer(many=True)
    clocks = ClockSerializer(many=True)
    events = EventSerializer(many=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(MatterListSerializer.Meta):
        # No query_code: staff see it only at registration (issue 14 item 7).
        fields = [*MatterListSerializer.Meta.fields, "request", "content",
                  "source_doc_no", "source_body_name", "accused_name", "accused_body",
                  "is_collective", "headcount", "confidential", "legal_litigation",
                  "repeat_of", "level_skip", "refusal_proposal", "closure_kind", "closure_label", "accepted_on", "replied_on",
                  "served_on", "outcome", "outcome_label", "review_body", "recheck_body",
                  "closed_at", "extension_used", "redo_count", "identity", "petitioners",
                  "dispatches", "clocks", "events", "allowed_actions"]

    @extend_schema_field(serializers.CharField(
        allow_null=True, help_text="原信访件编号；无权查看原件时为“有关联事项（无权查看）”"))
    def get_repeat_of(self, obj: Matter) -> str | None:
        link = self._repeat_link(obj)
        return link.label if link is not None else None

    @extend_schema_field(serializers.DictField(allow_null=True, help_text=(
        "原件对应的不予受理/不再受理建议（N1 §19 ¶3、N2 §36 ¶3、N3 §20 ¶1）：code、rule、"
        "reason；仅对有权查看原件者给出 N1/N2")))
    def get_refusal_proposal(self, obj: Matter) -> dict[str, str] | None:
        from xinfang.petitions import intel

        p = intel.matter_proposal(self.context["request"].user, obj)
        return {"code": p.code, "refusal": p.refusal, "rule": p.rule, "reason": p.reason} \
            if p is not None else None

    def _repeat_link(self, obj: Matter) -> Any:
        from xinfang.petitions import intel

        key = f"repeat_link:{obj.pk}"
        context = cast(dict[str, Any], self.context)  # the root's dict, shared with the events
        if key not in context:
            context[key] = intel.repeat_link(context["request"].user, obj)
        return context[key]

    def to_representation(self, instance: Matter) -> dict[str, Any]:
        self._repeat_link(instance)  # before the events: their notes are masked with it
        return super().to_representation(instance)

    @extend_schema_field(serializers.ChoiceField(choices=IDENTITY_MODES))
    def get_identity(self, obj: Matter) -> str:
        return _identity_mode(self, obj)

    @extend_schema_field(PetitionerSerializer(many=True))
    def get_petitioners(self, obj: Matter) -> list[dict[str, Any]]:
        mode = _identity_mode(self, obj)
        return [petitioner_view(p, mode) for p in obj.petitioners.all()]

    @extend_schema_field(TransitionSerializer(many=True))
    def get_allowed_actions(self, obj: Matter) -> list[dict[str, Any]]:
        return transitions_view(self.context["request"].user, obj)


class DocumentListSerializer(serializers.ModelSerializer[Document]):
    kind_label = serializers.CharField(source="get_kind_display")
    issued_by = BodyRefSerializer()

    class Meta:
        model = Document
        fields = ["id", "kind", "kind_label", "number", "issued_by", "issued_at", "served_on",
                  "service_method", "to_petitioner"]


class DocumentDetailSerializer(DocumentListSerializer):
    class Meta(DocumentListSerializer.Meta):
        fields = [*DocumentListSerializer.Meta.fields, "context"]

    def to_representation(self, instance: Document) -> Any:
        data = super().to_representation(instance)
        # Staff see the query code only at registration (issue 14 item 7): older snapshots
        # carried it.
        if isinstance(data.get("context"), dict):
            data["context"] = {k: v for k, v in data["context"].items() if k != "query_code"}
        return data


class EvaluationSerializer(serializers.ModelSerializer[Evaluation]):
    rating_label = serializers.CharField(source="get_rating_display")

    class Meta:
        model = Evaluation
        fields = ["round", "rating", "rating_label", "comment", "at", "on_behalf"]


# --------------------------------------------------------------------------- input

PHONE_ERROR = "电话号码格式不正确，应为7至12位数字"


def _sane_date(value: date) -> date:
    problem = limits.date_problem(value, clocks.today())  # the same rule as the web's forms
    if problem:
        raise serializers.ValidationError(problem)
    return value


class SaneDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> date:
        return _sane_date(super().to_internal_value(value))


def _text(max_length: int, **kw: Any) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, required=False, allow_blank=True, **kw)


def _spec_field(spec: df.FieldSpec) -> serializers.Field[Any, Any, Any, Any]:
    """One input field of an act, from the spec the web's forms are built from too."""
    if spec.kind == df.Kind.BODY:
        return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    if spec.kind == df.Kind.BODIES:
        return serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                     required=False, max_length=spec.max_length)
    if spec.kind == df.Kind.DATE:
        return SaneDateField(required=False)
    if spec.kind == df.Kind.INT:
        return serializers.IntegerField(required=False, min_value=spec.min_value,
                                        max_value=spec.max_value)
    if spec.kind == df.Kind.CHOICE:
        keys = df.choice_keys(spec)
        if spec.name == "route31":  # §31 (1)–(6), given as a number
            return serializers.IntegerField(required=False, min_value=1, max_value=len(keys))
        return serializers.ChoiceField(choices=keys, required=False, allow_blank=True,
                                       error_messages={"invalid_choice": f"请选择有效的{spec.label}"})
    return _text(spec.max_length or 2000)


# Data of one action; which fields are required depends on the action (see ``GET …/actions``).
# Built from xinfang.domain.fields: the same kinds, limits and choices as the web's forms.
ActionSerializer = type("ActionSerializer", (serializers.Serializer,), {
    "__doc__": "Data of one action (a transition, or 督办/办结报告/协办); "
               "which fields are required depends on the action (see ``GET …/actions``).",
    **{name: _spec_field(spec) for name, spec in df.FIELDS.items()},
})


def checked_id_number(value: str) -> str:
    """An ID number with a valid GB 11643 check digit, or blank; else the Chinese reason."""
    problem = idcard.validate(value) if value else None
    if problem:
        raise serializers.ValidationError(problem)
    return value


class PetitionerInSerializer(serializers.Serializer[Data]):
    kind = serializers.ChoiceField(choices=Petitioner.Kind.choices, default=Petitioner.Kind.PERSON)
    name = serializers.CharField(max_length=100)
    id_number = _text(20)
    phone = serializers.RegexField(r"^\d{7,12}$", required=False, allow_blank=True,
                                   error_messages={"invalid": PHONE_ERROR})
    address = _text(200)
    is_representative = serializers.BooleanField(default=False)

    def validate_id_number(self, value: str) -> str:
        return checked_id_number(value)


class RegistrationSerializer(serializers.Serializer[Data]):
    channel = serializers.ChoiceField(choices=Channel.choices)
    title = serializers.CharField(max_length=limits.TITLE_MAX)
    request = serializers.CharField(max_length=limits.REQUEST_MAX)
    content = serializers.CharField(max_length=limits.CONTENT_MAX)
    division = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all())
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all(),
                                            required=False, allow_null=True)
    klass = serializers.ChoiceField(choices=list(st.KLASS_LABELS.items()),
                                    default=st.Klass.APPEAL.value)
    received_at = serializers.DateTimeField(required=False)
    source_doc_no = _text(64)
    source_body_name = _text(100)
    accused_name = _text(100)
    accused_body = serializers.PrimaryKeyRelatedField(queryset=Body.objects.all(), required=False,
                                                      allow_null=True)
    headcount = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    is_collective = serializers.BooleanField(
        default=False, help_text="集体访（走访）或联名信（来信）：多人提出，信访人数不少于2人")
    is_anonymous = serializers.BooleanField(default=False)
    is_urgent = serializers.BooleanField(default=False)
    confidential = serializers.BooleanField(default=False)
    legal_litigation = serializers.BooleanField(default=False)
    # many=True builds a ListSerializer, which takes max_length; the stubs type the child's
    # __init__ only.
    petitioners = PetitionerInSerializer(many=True, required=False,
                                         max_length=50)  # type: ignore[call-arg]


class RegistrationResultSerializer(serializers.Serializer[Data]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    code = serializers.CharField()


# --------------------------------------------------------------------------- public (citizens)


class PublicPetitionSerializer(serializers.Serializer[Data]):
    division = serializers.CharField(max_length=12, help_text="问题属地的区划代码（12位）")
    title = serializers.CharField(max_length=limits.TITLE_MAX)
    request = serializers.CharField(max_length=limits.REQUEST_MAX)
    content = serializers.CharField(max_length=limits.CONTENT_MAX)
    klass = serializers.ChoiceField(choices=list(st.KLASS_LABELS.items()),
                                    default=st.Klass.APPEAL.value,
                                    help_text="事项类别（也可写作 class）")
    category = serializers.CharField(max_length=32, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100)
    phone = serializers.RegexField(r"^\d{7,12}$", error_messages={"invalid": PHONE_ERROR})
    id_number = _text(20)
    address = _text(200)
    accused_name = _text(100)
    accused_body = serializers.PrimaryKeyRelatedField(
        queryset=Body.objects.filter(active=True), required=False, allow_null=True,
        help_text="被检举控告的单位（GET /api/v1/bodies 的 id）：检举控告不会转给该单位，"
                  "信访人身份对其保密（§30 ¶3）",
        error_messages={"does_not_exist": "被检举控告的单位不存在",
                        "incorrect_type": "被检举控告的单位应为机关单位的 id"})
    sms_code = serializers.CharField(
        max_length=6, required=False, allow_blank=True,
        help_text="短信验证码：先以同一手机号调用 POST /api/v1/public/sms-codes 获取（10分钟内有效）")

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "get") and "klass" not in data and "class" in data:
            data = {**data, "klass": data.get("class")}
        return super().to_internal_value(data)

    def validate_division(self, value: str) -> Division:
        division = Division.objects.filter(code=value.strip()).first()
        if division is None:
            raise serializers.ValidationError("行政区划代码不存在")
        return division

    def validate_category(self, value: str) -> Category | None:
        if not value:
            return None
        category = Category.objects.filter(code=value.strip()).first()
        if category is None:
            raise serializers.ValidationError("内容分类不存在")
        return category

    def validate_id_number(self, value: str) -> str:
        return checked_id_number(value)


class PublicSmsCodeSerializer(serializers.Serializer[Data]):
    phone = serializers.CharField(max_length=20, help_text="接收验证码的11位手机号码")


class PublicSmsSentSerializer(serializers.Serializer[Data]):
    detail = serializers.CharField(help_text="已发送提示（手机号已打码）")


class PublicReceiptSerializer(serializers.Serializer[Data]):
    number = serializers.CharField(help_text="信访件编号")
    code = serializers.CharField(help_text="查询码：凭查询码和手机号查询进度、评价")
    receipt_url = serializers.CharField()
    replay = serializers.BooleanField(help_text="同一 Idempotency-Key 的重放（附新验证码）")


class PublicStepSerializer(serializers.Serializer[Data]):
    at = serializers.DateTimeField()
    label = serializers.CharField()  # type: ignore[assignment]
    by = serializers.CharField(help_text="办理机关名称；不含工作人员姓名")
    note = serializers.CharField()


class PublicDocumentSerializer(serializers.Serializer[Data]):
    kind_label = serializers.CharField()
    number = serializers.CharField()
    issued_by = serializers.CharField()
    issued_at = serializers.DateTimeField()
    served_on = serializers.DateField(allow_null=True)


class PublicProgressSerializer(serializers.Serializer[Data]):
    code = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    received_on = serializers.DateField()
    holder = serializers.CharField()
    steps = PublicStepSerializer(many=True)
    documents = PublicDocumentSerializer(many=True)
    can_rate = serializers.BooleanField()
    can_request_redo = serializers.BooleanField(
        help_text="评价不满意后可要求原办理单位重新办理（本地做法）；不影响申请复查（§35）")
    can_request_review = serializers.BooleanField()
    can_request_recheck = serializers.BooleanField()
    can_withdraw = serializers.BooleanField(help_text="答复前可撤回")
    can_supplement = serializers.BooleanField(help_text="办理中可补充材料或答复办理单位的问题")
    question = serializers.CharField(allow_blank=True,
                                     help_text="办理单位请信访人补充的材料或说明（未答复的）")


class PhoneProofSerializer(serializers.Serializer[Data]):
    phone = serializers.RegexField(r"^\d{7,12}$", error_messages={"invalid": PHONE_ERROR},
                                   help_text="登记时留的手机号，用于证明是信访人本人")


ACT_CODE_HELP = ("短信验证码：先调用 POST /api/v1/public/petitions/{code}/sms-codes（purpose 为本操作）"
                 "获取，发送到登记的手机号，10分钟内有效，只能使用一次")


class ActProofSerializer(PhoneProofSerializer):
    sms_code = serializers.CharField(max_length=6, required=False, allow_blank=True,
                                     help_text=ACT_CODE_HELP)


class PublicActCodeSerializer(PhoneProofSerializer):
    purpose = serializers.ChoiceField(
        choices=[("rate", "评价"), ("redo", "要求重新办理"), ("review", "申请复查（复核）"),
                 ("withdraw", "撤回"), ("supplement", "补充材料")],
        help_text="验证码的用途：每种操作各用各的验证码")


class PublicWithdrawalSerializer(ActProofSerializer):
    reason = serializers.CharField(max_length=1000, help_text="撤回理由")


class PublicSupplementSerializer(ActProofSerializer):
    text = serializers.CharField(max_length=2000, help_text="补充说明（或对办理单位问题的答复）")


class PublicEvaluationSerializer(ActProofSerializer):
    rating = serializers.ChoiceField(choices=Evaluation.Rating.choices)
    comment = _text(1000)


class PublicReviewRequestSerializer(ActProofSerializer):
    kind = serializers.ChoiceField(choices=[("review", "复查"), ("recheck", "复核")],
                                   required=False,
                                   help_text="不填时按事项状态自动判断：已答复→复查，已复查→复核")
    reason = serializers.CharField(max_length=2000)
    late_reason = _text(1000)
