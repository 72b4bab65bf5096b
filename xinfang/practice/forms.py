"""Forms of the practice pages (issue 6): schedule, 预登记, visits, 包案/积案, prevention.

Forms only parse and validate input; the rules live in xinfang.practice.services and
xinfang.domain.practice, whose Chinese messages the views show next to the fields.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xinfang.core.i18n import label_choices
from xinfang.core.widgets import DataSelect
from xinfang.domain import practice as pr
from xinfang.domain.states import Role
from xinfang.org.models import Body, Division, User
from xinfang.petitions import clocks

from .models import Case, Meeting, ReceptionSlot

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = {"rows": 3}


def _subtree(path: str, field: str) -> Q:
    return Q(**{field: path}) | Q(**{f"{field}__startswith": path + "/"})


def leaders_under(division: Division) -> QuerySet[User]:
    return (User.objects.filter(role=Role.LEADER.value, is_active=True)
            .filter(_subtree(division.path, "body__division__path"))
            .select_related("body").order_by("body__division__level", "id"))


def staff_under(division: Division) -> QuerySet[User]:
    return (User.objects.filter(is_active=True, body__isnull=False)
            .exclude(role=Role.ADMIN.value)
            .filter(_subtree(division.path, "body__division__path"))
            .select_related("body").order_by("body__division__level", "body_id", "id"))


def bodies_under(division: Division) -> QuerySet[Body]:
    return (Body.objects.filter(active=True).filter(_subtree(division.path, "division__path"))
            .select_related("division").order_by("division__level", "kind", "name"))


def divisions_under(division: Division) -> QuerySet[Division]:
    return Division.objects.filter(_subtree(division.path, "path")).order_by("path")


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.body.name if obj.body else ''}{' ' + obj.title if obj.title else ''}）"


class BodyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DivisionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "　" * max(0, obj.level - 3) + obj.name


def month_choices(today: date | None = None, back: int = 3, ahead: int = 12) -> list[tuple[str, str]]:
    t = today or clocks.today()
    out = []
    for i in range(-back, ahead):
        y, m = divmod(t.year * 12 + t.month - 1 + i, 12)
        # "2026年3月" in Chinese, "2026-03" on an English page (issue 17: month pickers).
        out.append((f"{y}-{m + 1:02d}", gettext("%(y)s年%(m)s月") % {"y": y, "m": m + 1}))
    return out


def month_range(value: str, months: int = 1) -> tuple[date, date]:
    y, m = (int(x) for x in value.split("-"))
    start = date(y, m, 1)
    ey, em = divmod(y * 12 + m - 1 + months - 1, 12)
    return start, pr.period_window(pr.Period.MONTH, date(ey, em + 1, 1))[1]


# --------------------------------------------------------------------------- schedule


class ProposeForm(forms.Form):
    period = forms.ChoiceField(label=_("编排周期"), choices=[("month", _("一个月")), ("quarter", _("一个季度"))])
    start = forms.ChoiceField(label=_("起始月份"))
    topics = forms.CharField(label=_("接访主题（选填）"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].choices = month_choices(back=0)

    def range(self) -> tuple[date, date]:
        d = self.cleaned_data
        return month_range(d["start"], 3 if d["period"] == "quarter" else 1)


class SlotForm(forms.Form):
    leader = UserChoice(label=_("接访领导"), queryset=User.objects.none())
    day = forms.DateField(label=_("日期"), widget=DATE)
    session = forms.ChoiceField(label=_("时段"), choices=label_choices(pr.SESSION_LABELS),
                                initial="day")
    kind = forms.ChoiceField(label=_("方式"), choices=ReceptionSlot.Kind.choices)
    place = forms.CharField(label=_("地点（下访必填）"), max_length=200, required=False)
    topics = forms.CharField(label=_("接访主题"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("预约名额"), min_value=1, max_value=200, initial=10)

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_under(division)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


# --------------------------------------------------------------------------- portal


class PreRegisterForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))  # WCAG 1.3.5
    phone = forms.CharField(label=_("手机号"), max_length=12,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    id_number = forms.CharField(label=_("身份证号码（选填）"), max_length=18, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    division = DivisionChoice(label=_("问题发生地"), queryset=Division.objects.none(),
                              widget=DataSelect)
    title = forms.CharField(label=_("反映的事项（概要）"), max_length=200)
    request = forms.CharField(label=_("您的诉求"), widget=forms.Textarea(attrs=TEXTAREA))
    content = forms.CharField(label=_("事实和理由（选填）"), required=False,
                              widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, slot: ReceptionSlot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions_under(slot.division)


class TriageForm(forms.Form):
    decision = forms.ChoiceField(label=_("分办意见"), choices=[
        ("accept", _("安排接谈（生成访前研判）")), ("redirect", _("引导至有权处理机关")),
        ("decline", _("不予安排")), ("no_show", _("未到场"))])
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --------------------------------------------------------------------------- visits


class VisitForm(forms.Form):
    prereg = forms.TypedChoiceField(label=_("预登记来访人"), coerce=int, required=False, empty_value=None)
    name = forms.CharField(label=_("来访人姓名"), max_length=40, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=12, required=False)
    division = DivisionChoice(label=_("问题发生地"), queryset=Division.objects.none(), required=False)
    title = forms.CharField(label=_("反映的事项"), max_length=200, required=False)
    request = forms.CharField(label=_("诉求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    talk = forms.CharField(label=_("接谈记录"), widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, slot: ReceptionSlot, preregs: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prereg"].choices = [("", _("（无预登记，现场来访）"))] + [
            (p.pk, f"{p.name} · {p.title}") for p in preregs]
        self.fields["division"].queryset = divisions_under(slot.division)

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        if not d.get("prereg"):
            for f, msg in (("name", _("请填写来访人姓名")), ("division", _("请选择问题发生地")),
                           ("title", _("请填写反映的事项")), ("request", _("请填写诉求"))):
                if not d.get(f):
                    self.add_error(f, msg)
        return d


GRADE_CHOICES = [("", _("不设三色等级")), ("green", _("绿色")), ("yellow", _("黄色")), ("red", _("红色"))]


class AssignForm(forms.Form):
    to_body = BodyChoice(label=_("主办单位"), queryset=Body.objects.none())
    assist_bodies = forms.ModelMultipleChoiceField(label=_("协办单位（可多选）"), required=False,
                                                   queryset=Body.objects.none())
    report_due = forms.DateField(label=_("办结报告期限"), widget=DATE)
    grade = forms.ChoiceField(label=_("三色等级"), choices=GRADE_CHOICES, required=False)
    instructions = forms.CharField(label=_("领导批示"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = bodies_under(division)
        self.fields["to_body"].queryset = qs
        self.fields["assist_bodies"].queryset = qs
        self.fields["assist_bodies"].label_from_instance = lambda b: b.name


# --------------------------------------------------------------------------- cases


class OpenCaseForm(forms.Form):
    matter = forms.CharField(label=_("信访件编号"), max_length=40)
    task = forms.CharField(label=_("定任务"), widget=forms.Textarea(attrs={"rows": 2}))
    leader = UserChoice(label=_("定包案领导"), queryset=User.objects.none())
    handler = UserChoice(label=_("定具体承办人"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("定办结时限"), widget=DATE)
    plan = forms.CharField(label=_("化解方案"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_under(division)
        self.fields["handler"].queryset = staff_under(division)


class PromoteForm(forms.Form):
    leader = UserChoice(label=_("包案领导"), queryset=User.objects.none())
    handler = UserChoice(label=_("具体承办人"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("办结时限"), widget=DATE)
    plan = forms.CharField(label=_("化解方案（一案一策）"), widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "积案应制定化解方案（一案一策）"})

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders_under(division)
        self.fields["handler"].queryset = staff_under(division)


class MilestoneForm(forms.Form):
    duty = forms.ChoiceField(label=_("四包职责"), choices=[(c, lab) for c, lab, _ in pr.FOUR_DUTIES])
    evidence = forms.CharField(label=_("工作佐证"), widget=forms.Textarea(attrs={"rows": 2}))
    on = forms.DateField(label=_("完成日期"), widget=DATE, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=_("情况说明"), widget=forms.Textarea(attrs={"rows": 2}))


class ClosureForm(forms.Form):
    criterion = forms.ChoiceField(label=_("销号标准"), choices=label_choices(pr.CRITERION_LABELS))
    statement = forms.CharField(label=_("销号依据"), widget=forms.Textarea(attrs={"rows": 2}))
    resolved = forms.BooleanField(label=_("问题已实际化解"), required=False, initial=True)


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核意见"), choices=[("approve", _("同意销号")), ("return", _("退回"))])
    note = forms.CharField(label=_("审核说明（退回必填）"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class HandoverForm(forms.Form):
    from_user = UserChoice(label=_("移交人"), queryset=User.objects.none())
    to_user = UserChoice(label=_("接手人"), queryset=User.objects.none())
    reason = forms.CharField(label=_("交接原因"), max_length=200)

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = User.objects.filter(body__isnull=False).filter(
            _subtree(division.path, "body__division__path")).exclude(role=Role.ADMIN.value)
        self.fields["from_user"].queryset = qs.select_related("body").order_by("id")
        self.fields["to_user"].queryset = staff_under(division)


# --------------------------------------------------------------------------- prevention


RISK_CHOICES = label_choices(pr.RISK_LABELS)


class ScreeningForm(forms.Form):
    division = DivisionChoice(label=_("排查区划"), queryset=Division.objects.none())
    on = forms.DateField(label=_("排查日期"), widget=DATE)
    note = forms.CharField(label=_("排查情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions_under(division).filter(level__gte=3)


class DisputeForm(forms.Form):
    division = DivisionChoice(label=_("所在区划"), queryset=Division.objects.none())
    title = forms.CharField(label=_("矛盾纠纷"), max_length=200)
    parties = forms.CharField(label=_("当事人"), max_length=200)
    description = forms.CharField(label=_("基本情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    risk_grade = forms.ChoiceField(label=_("风险等级"), choices=RISK_CHOICES)
    responsible = UserChoice(label=_("化解责任人"), queryset=User.objects.none(), required=False)
    responsible_body = BodyChoice(label=_("责任单位"), queryset=Body.objects.none(), required=False)
    measures = forms.CharField(label=_("化解措施"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions_under(division).filter(level__gte=3)
        self.fields["responsible"].queryset = staff_under(division)
        self.fields["responsible_body"].queryset = bodies_under(division)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("化解情况"), widget=forms.Textarea(attrs={"rows": 2}))
    mediation_kind = forms.ChoiceField(label=_("三调联动：调解方式"), required=False, choices=[
        ("", _("未经调解")), *label_choices(pr.MEDIATION_LABELS)])
    agreement = forms.CharField(label=_("调解协议（经调解的必填）"), required=False,
                                widget=forms.Textarea(attrs={"rows": 2}))


class ConvertForm(forms.Form):
    name = forms.CharField(label=_("信访人姓名"), max_length=40)
    phone = forms.CharField(label=_("联系电话"), max_length=12, required=False)
    title = forms.CharField(label=_("标题"), max_length=200)
    request = forms.CharField(label=_("诉求"), widget=forms.Textarea(attrs={"rows": 2}))


class AssessmentForm(forms.Form):
    project = forms.CharField(label=_("评估事项"), max_length=200)
    division = DivisionChoice(label=_("所在区划"), queryset=Division.objects.none())
    body = BodyChoice(label=_("评估主体"), queryset=Body.objects.none())
    assessed_on = forms.DateField(label=_("评估日期"), widget=DATE)
    risks = forms.CharField(label=_("风险点"), widget=forms.Textarea(attrs={"rows": 2}))
    grade = forms.ChoiceField(label=_("风险等级"), choices=RISK_CHOICES)
    measures = forms.CharField(label=_("防范化解措施"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    decision = forms.ChoiceField(label=_("评估结论"), choices=label_choices(pr.DECISION_LABELS))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = divisions_under(division).filter(level__gte=3)
        self.fields["body"].queryset = bodies_under(division)


class LinkMatterForm(forms.Form):
    matter = forms.CharField(label=_("关联信访件编号"), max_length=40)


DECISION_ROWS = 3


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("会议"), choices=Meeting.Kind.choices)
    held_on = forms.DateField(label=_("日期"), widget=DATE)
    title = forms.CharField(label=_("议题"), max_length=200)
    minutes = forms.CharField(label=_("会议纪要"), required=False, widget=forms.Textarea(attrs=TEXTAREA))

    def __init__(self, *args: Any, division: Division, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = bodies_under(division)
        for i in range(DECISION_ROWS):
            n = i + 1
            self.fields[f"d{i}_text"] = forms.CharField(label=f"议定事项{n}", required=False,
                                                        max_length=500)
            self.fields[f"d{i}_body"] = BodyChoice(label=f"议定事项{n}：责任单位", queryset=bodies,
                                                   required=False)
            self.fields[f"d{i}_due"] = forms.DateField(label=f"议定事项{n}：完成时限", widget=DATE,
                                                       required=False)

    def decision_rows(self) -> list[list[Any]]:
        return [[self[f"d{i}_text"], self[f"d{i}_body"], self[f"d{i}_due"]]
                for i in range(DECISION_ROWS)]

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        for i in range(DECISION_ROWS):
            if d.get(f"d{i}_text"):
                if not d.get(f"d{i}_body"):
                    self.add_error(f"d{i}_body", _("请确定责任单位"))
                if not d.get(f"d{i}_due"):
                    self.add_error(f"d{i}_due", _("请确定完成时限"))
        return d


class CompleteDecisionForm(forms.Form):
    evidence = forms.CharField(label=_("落实情况"), widget=forms.Textarea(attrs={"rows": 2}))


CASE_KIND_CHOICES = [("", _("全部")), *list(Case.Kind.choices)]
