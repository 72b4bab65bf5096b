"""Forms for the staff pages and the citizen portal.

Action forms are generated from ``Transition.required`` (xinfang.domain.states): each field
name maps to one widget, so a new transition gets a form without touching this file.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.i18n import label_choices
from xinfang.core.versioned import versioned
from xinfang.core.widgets import DataSelect
from xinfang.domain import fields as df
from xinfang.domain import idcard, limits, route31
from xinfang.domain import states as st
from xinfang.domain.routing import Suggestion
from xinfang.org.models import Body, Category, Division, User
from xinfang.org.scope import CATEGORY_VERSION, SCOPE_VERSION
from xinfang.petitions import clocks, routing
from xinfang.petitions.models import Channel, Evaluation, Matter

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ACCEPTS = frozenset({"accept", "accept_direct"})


def sane_date(value: date) -> None:
    """The API's date rule (domain.limits): 9999-12-31 is a message, not an OverflowError."""
    problem = limits.date_problem(value, clocks.today())
    if problem:
        raise forms.ValidationError(gettext(problem))


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def active_bodies() -> Any:
    return routing.active_bodies()


def routing_suggestion(matter: Matter) -> Suggestion | None:
    """§22 ¶1 (2): the competent unit for (category, division), never the accused or a unit
    inside it (§30 ¶3), never one the holder may not send it to (§22 ¶1–2)."""
    return routing.suggestion(matter)


class BodyChoiceField(forms.TypedChoiceField):
    """Offers the bodies the act may reach; takes any active body, so that a refused one is
    answered by the service with the rule and its article (§22 ¶1–2, §30 ¶3) rather than
    Django's "选择一个有效的选项"."""

    def __init__(self, *args: Any, known: frozenset[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    def valid_value(self, value: Any) -> bool:
        return (str(value).isdigit() and int(value) in self.known) or super().valid_value(value)


class BodiesChoiceField(forms.TypedMultipleChoiceField):
    """The several-bodies twin of ``BodyChoiceField`` (协办单位)."""

    def __init__(self, *args: Any, known: frozenset[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    def valid_value(self, value: Any) -> bool:
        return (str(value).isdigit() and int(value) in self.known) or super().valid_value(value)


class ActionForm(forms.Form):
    """One state-machine transition as a form, built from its field specs
    (``xinfang.domain.fields``, shared with the API); ``to_data()`` gives
    services.transition's data."""

    def __init__(self, transition: st.Transition, matter: Matter, *args: Any,
                 suggestion: Suggestion | None = None, bodies: list[Body] | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.matter = matter
        self.suggestion = suggestion
        self._bodies = bodies
        self._permitted: list[Body] | None = None
        if transition.closes:
            # Closing acts need a confirmation that names the consequence and the article
            # (a safeguard of the page; API clients send their data deliberately).
            self.fields["confirm"] = forms.BooleanField(
                label=gettext("我已知晓：%(what)s") % {"what": transition.consequence},
                required=True, error_messages={"required": gettext("请确认后再提交：此操作将结束该事项")})
        for spec, required in df.for_transition(transition.name, transition.required):
            if spec.name == "route31" and transition.name in ACCEPTS:
                if matter.klass != st.Klass.APPEAL:
                    continue  # §29, §30 have their own route
                self.fields[spec.name] = self._route_field(spec)
                continue
            self.fields[spec.name] = self._field(spec, required=required)

    def _route_field(self, spec: df.FieldSpec) -> forms.Field:
        """§31 at acceptance: (5) or (6), the system's suggestion preselected; where the text
        points at (1)–(4), say so (导入法定程序 is the act for those)."""
        m = self.matter
        item = route31.suggest(f"{m.title}{m.request}{m.content}")
        help_text = gettext(spec.help)
        if item in (1, 2, 3, 4):
            help_text = gettext("系统提示：内容可能属于第三十一条第（%(n)s）项，应导入相应法定程序"
                                "（请使用“导入法定程序”）。") % {"n": "一二三四"[item - 1]}
        return forms.TypedChoiceField(
            label=gettext(spec.label), required=False, coerce=int, help_text=help_text,
            choices=self._choices(spec), initial=item if item in (5, 6) else 6,
            widget=forms.RadioSelect)

    def _all_bodies(self) -> list[Body]:
        if self._bodies is None:
            self._bodies = list(active_bodies())
        return self._bodies

    def _body_choices(self) -> list[Body]:
        # §22 ¶1–2, §30 ¶3: only the bodies this act may reach from the holder.
        if self._permitted is None:
            self._permitted = routing.permitted_bodies(self.matter, self.transition.name,
                                                       self._all_bodies())
        return self._permitted

    def _choices(self, spec: df.FieldSpec) -> list[tuple[str, str]]:
        """The spec's choices, narrowed to what fits this matter and transition."""
        items = list(df.CHOICES[spec.choices].items())
        if spec.name == "outcome":  # §29 adopted or not; §30 substantiated or not; §32 the rest
            own = st.OUTCOMES_BY_KLASS.get(self.matter.klass)
            items = [(k, v) for k, v in items
                     if (k in own if own else all(k not in o for o in st.OUTCOMES_BY_KLASS.values()))]
        elif spec.name == "rating":
            unsatisfied = self.transition.name == "rate_unsatisfied"
            items = [(k, v) for k, v in items
                     if (k == Evaluation.Rating.UNSATISFIED.value) == unsatisfied]
        if spec.name == "reason_code":
            return [(k, f"{k} {gettext(v)}") for k, v in items]
        return [(k, gettext(v)) for k, v in items]

    def _field(self, spec: df.FieldSpec, *, required: bool) -> forms.Field:
        label = gettext(spec.label)
        help_text = gettext(spec.help) if spec.help else ""
        kind = spec.kind
        if kind == df.Kind.BODY:
            reachable = self._body_choices()
            initial = None
            if self.suggestion and any(b.pk == self.suggestion.body_id for b in reachable):
                initial = self.suggestion.body_id
            return BodyChoiceField(
                label=label, required=required, coerce=int, initial=initial,
                choices=[("", _("请选择"))] + [(b.pk, b.name) for b in reachable],
                known=frozenset(b.pk for b in self._all_bodies()))
        if kind == df.Kind.BODIES:
            return BodiesChoiceField(
                label=label, required=required, coerce=int, help_text=help_text,
                choices=[(b.pk, b.name) for b in self._body_choices()],
                widget=forms.SelectMultiple(attrs={"size": 5}),
                known=frozenset(b.pk for b in self._all_bodies()))
        if kind == df.Kind.DATE:
            return forms.DateField(label=label, required=required, widget=_date_input(),
                                   validators=[sane_date],
                                   initial=timezone.localdate if spec.name == "served_on" else None)
        if kind == df.Kind.INT:
            return forms.IntegerField(label=label, required=required, min_value=spec.min_value,
                                      max_value=spec.max_value, help_text=help_text)
        if kind == df.Kind.CHOICE:
            choices = self._choices(spec)
            if spec.name == "rating":
                return forms.ChoiceField(label=label, required=required, choices=choices,
                                         initial=choices[0][0], widget=forms.RadioSelect)
            empty = _("不设") if spec.name == "grade" else _("请选择")
            coerce = int if spec.name == "route31" else str
            return forms.TypedChoiceField(label=label, required=required, coerce=coerce,
                                          choices=[("", empty), *choices])
        if kind == df.Kind.LINE:
            return forms.CharField(label=label, required=required, max_length=spec.max_length)
        return forms.CharField(label=label, required=required, max_length=spec.max_length,
                               widget=forms.Textarea(attrs={"rows": 3}))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for k, v in self.cleaned_data.items():
            if v in (None, "", []) or k == "confirm":
                continue
            data[k] = v.isoformat() if isinstance(v, date) else v
        return data


# --------------------------------------------------------------------------- other acts


def _act_field(name: str, *, required: bool = True, initial: Any = None) -> forms.Field:
    """A field of an act beside the state machine, from the same specs as the API."""
    spec = df.FIELDS[name]
    if spec.kind == df.Kind.INT:
        return forms.IntegerField(label=_(spec.label), min_value=spec.min_value,
                                  max_value=spec.max_value, initial=initial, required=required)
    return forms.CharField(label=_(spec.label), max_length=spec.max_length, required=required,
                           widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    text = _act_field("text")


class SuperviseForm(forms.Form):
    note = _act_field("note")
    feedback_days = _act_field("feedback_days", initial=30)


class PersonnelNoticeForm(forms.Form):
    """向组织（人事）部门通报反映干部问题的信访情况 (§30 ¶2)."""

    personnel_body = _act_field("personnel_body")
    text = _act_field("text")


class LapseForm(forms.Form):
    """确认请求期限届满结案 (issue 13 item 4): the supervisor's reason."""

    reason = _act_field("reason")


# --------------------------------------------------------------------------- attachments


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to 5 files (PDF/JPG/PNG, ≤ 10 MB, type by magic bytes): petitions.attachments."""

    def __init__(self, **kwargs: Any) -> None:
        from xinfang.petitions import attachments

        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", attachments.HELP)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": attachments.ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        from xinfang.petitions import attachments

        items = data if isinstance(data, list | tuple) else [data]
        files = [super(AttachmentsField, self).clean(d, initial) for d in items if d]
        if self.required and not files:
            raise forms.ValidationError(_("请选择要上传的文件"), code="required")
        errors = attachments.check_files(files)
        if errors:
            raise forms.ValidationError(errors)
        return files


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of the form, to set its choices for this user (the class declares it)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


# A field named ``files`` is popped from the class by Django's form metaclass (into
# ``base_fields``), so it never shadows ``BaseForm.files``; the stubs cannot know that.
class AttachForm(forms.Form):
    files = AttachmentsField(label=_("上传附件"), required=True)  # type: ignore[assignment]


# --------------------------------------------------------------------------- registration

MAX_PETITIONER_ROWS = 5  # §20 ¶3: a collective visit sends at most 5 representatives


# The organisation's choice lists, built once per process and kept until a division, unit or
# category is saved or deleted in any process (core.versioned, org.scope): every staff form
# (registration, search, correction) listed them with a query and a model instance per row on
# each request — at the demo county ~6 of a registration POST's ~30 ms of view time.
@versioned(SCOPE_VERSION)
def _division_lists() -> dict[str, list[tuple[str, str]]]:  # by the top division's code
    return {}


@versioned(SCOPE_VERSION)
def _body_list() -> list[tuple[int, str]]:
    return list(routing.active_bodies().values_list("pk", "name"))


@versioned(CATEGORY_VERSION)
def _category_list() -> list[tuple[str, str]]:
    return [(str(pk), ("　" if parent else "") + name) for pk, parent, name in
            Category.objects.order_by("path").values_list("pk", "parent_id", "name")]


def division_choices(user: User) -> list[tuple[str, str]]:
    """The user's county tree: their body's division and everything below it."""
    if user.body is None:
        return []
    lists = _division_lists()
    found = lists.get(user.body.division_id)
    if found is None:
        top = user.body.division
        rows = Division.objects.filter(Q(path=top.path) | Q(path__startswith=top.path + "/")
                                       ).order_by("path").values_list("code", "level", "name")
        found = lists[top.pk] = [(code, "　" * (level - top.level) + name)
                                 for code, level, name in rows]
    return list(found)


def category_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", _("请选择")), *_category_list()]


def body_choices() -> list[tuple[int, str]]:
    """Every active unit as (id, name), in ``routing.active_bodies``' order."""
    return list(_body_list())


class RegistrationForm(forms.Form):
    channel = forms.ChoiceField(label=_("信访形式"), initial="visit", choices=[
        (v, label) for v, label in Channel.choices if v not in ("online", "qr")])
    received_at = forms.DateTimeField(
        label=_("收到时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                   format="%Y-%m-%dT%H:%M"))
    # 来电
    caller_number = forms.CharField(label=_("来电号码"), required=False, max_length=20)
    reception_room = forms.CharField(label=_("接待场所"), required=False, max_length=60,
                                     help_text=_("如：县联合接访中心一号接待室"))
    postmark_on = forms.DateField(label=_("邮戳日期"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    # 上级转送
    source_doc_no = forms.CharField(label=_("来文文号"), required=False, max_length=64)
    source_body_name = forms.CharField(label=_("来文机关"), required=False, max_length=100)
    is_collective = forms.BooleanField(label=_("集体访（多人走访，推选代表不超过5人，§20 ¶3）"),
                                       required=False)
    is_joint_letter = forms.BooleanField(label=_("联名信（多人联名来信）"), required=False)
    headcount = forms.IntegerField(label=_("信访人数"), min_value=1, initial=1)
    title = forms.CharField(label=_("标题"), max_length=limits.TITLE_MAX)
    request = forms.CharField(label=_("诉求"), max_length=limits.REQUEST_MAX,
                              widget=forms.Textarea(attrs={"rows": 2}))
    content = forms.CharField(label=_("事实与理由"), max_length=limits.CONTENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 5}))
    division = forms.ChoiceField(label=_("问题属地"))
    category = forms.TypedChoiceField(label=_("内容分类"), required=False, coerce=int,
                                      empty_value=None)
    klass = forms.ChoiceField(label=_("事项类别"), choices=label_choices(st.KLASS_LABELS), initial=st.Klass.APPEAL.value)
    accused_name = forms.CharField(label=_("被反映人"), required=False, max_length=100)
    accused_body = forms.TypedChoiceField(label=_("被反映单位"), required=False, coerce=int,
                                          empty_value=None)
    is_anonymous = forms.BooleanField(label=_("匿名"), required=False)
    is_urgent = forms.BooleanField(label=_("重大紧急"), required=False)
    confidential = forms.BooleanField(label=_("信访人要求保密"), required=False)
    legal_litigation = forms.BooleanField(label=_("涉法涉诉"), required=False)
    files = AttachmentsField(label=_("附件（来信扫描件、材料）"))  # type: ignore[assignment]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        choice_field(self, "division").choices = [("", _("请选择")), *division_choices(user)]
        choice_field(self, "category").choices = category_choices()
        choice_field(self, "accused_body").choices = [("", _("无")), *body_choices()]
        for i in range(MAX_PETITIONER_ROWS):
            n = i + 1
            self.fields[f"p{i}_name"] = forms.CharField(
                label=gettext("信访人%(n)s姓名（名称）") % {"n": n}, required=False, max_length=100)
            self.fields[f"p{i}_id_number"] = forms.CharField(
                label=gettext("信访人%(n)s身份证号码") % {"n": n}, required=False, max_length=20)
            self.fields[f"p{i}_phone"] = forms.CharField(
                label=gettext("信访人%(n)s手机") % {"n": n}, required=False, max_length=20)
            self.fields[f"p{i}_address"] = forms.CharField(
                label=gettext("信访人%(n)s住址") % {"n": n}, required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(MAX_PETITIONER_ROWS):
            number = data.get(f"p{i}_id_number")
            if number:
                problem = idcard.validate(number)
                if problem:
                    self.add_error(f"p{i}_id_number", problem)
        return data

    def petitioner_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"p{i}_{f}"] for f in ("name", "id_number", "phone", "address")]
                for i in range(MAX_PETITIONER_ROWS)]


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=12,
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters"}))
    phone = forms.CharField(label=_("登记的手机号"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                          "autocomplete": "tel"}))


class PublicSubmitForm(forms.Form):
    """网上信访 (§17, §19 ¶1): who, where, what — the minimum the 条例 asks for."""

    # autocomplete (WCAG 1.3.5): the phone fills in the citizen's own name, number and address.
    name = forms.CharField(label=_("姓名（名称）"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("手机号（用于查询进度）"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                          "autocomplete": "tel"}))
    id_number = forms.CharField(label=_("身份证号码（可不填）"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    address = forms.CharField(label=_("住址"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    division = forms.ChoiceField(label=_("问题发生地"), widget=DataSelect)
    klass = forms.ChoiceField(label=_("反映类型"), choices=label_choices(st.KLASS_LABELS), initial=st.Klass.APPEAL.value)
    category = forms.TypedChoiceField(label=_("内容分类（可不选）"), required=False, coerce=int,
                                      empty_value=None, widget=DataSelect)
    title = forms.CharField(label=_("标题"), max_length=limits.TITLE_MAX)
    request = forms.CharField(label=_("您的请求"), max_length=limits.REQUEST_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}))
    content = forms.CharField(label=_("事实和理由"), max_length=limits.CONTENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 6}))
    accused_name = forms.CharField(label=_("被检举控告的人员或单位（检举控告时填写）"), required=False,
                                   max_length=100)
    # §30 ¶3: the unit a report accuses never receives it nor learns who wrote it.
    accused_body = forms.TypedChoiceField(
        label=_("被检举控告的单位（检举控告时选择）"), required=False, coerce=int, empty_value=None,
        widget=DataSelect,
        help_text=_("检举控告不会转给被检举控告的单位，您的身份对其保密（§30 ¶3）"))
    files = AttachmentsField(label=_("材料（可不上传）"))  # type: ignore[assignment]
    code = forms.CharField(
        label=_("短信验证码"), max_length=6, help_text=_("点击“获取验证码”，验证码将发送到上面填写的手机号"),
        error_messages={"required": _("请输入短信验证码")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
    token = forms.CharField(widget=forms.HiddenInput)
    # 码上办: the unit whose QR code was scanned (``?body=<id>``), recorded with the matter.
    qr_body = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The page's order, which the error summary follows (the code sits under the phone).
    field_order = ["name", "phone", "code", "id_number", "address"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        divs = Division.objects.filter(level__gte=Division.Level.COUNTY).order_by("path")
        choice_field(self, "division").choices = [("", _("请选择"))] + [
            (d.code, "　" * (d.level - Division.Level.COUNTY) + d.name) for d in divs]
        choice_field(self, "category").choices = category_choices()
        choice_field(self, "accused_body").choices = [("", _("不选"))] + [
            (b.pk, b.name) for b in active_bodies()]

    def clean_phone(self) -> str:
        from xinfang.core.otp import MOBILE, normalise

        value = normalise(str(self.cleaned_data.get("phone") or ""))
        if not MOBILE.match(value):
            raise forms.ValidationError(_("电话号码格式不正确，请填写11位手机号码（用于接收验证码）"))
        return value

    def clean_id_number(self) -> str:
        value = str(self.cleaned_data.get("id_number") or "").strip()
        if value:
            problem = idcard.validate(value)
            if problem:
                raise forms.ValidationError(problem)
        return value
