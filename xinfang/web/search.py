"""综合查询 (issue 3): filter the matters a user may see, page through them, export to Excel.

The filtering itself is petitions.filters (the one matter filter, shared with the API);
this page pages through it with a LIMIT of one page + 1 (filters.search: the keyword through
the text index), and counts no further than 1,000 — past that it says "1,000 件以上".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from xinfang.core import paging
from xinfang.core.http import AuthedRequest
from xinfang.core.i18n import label_choices, source_language
from xinfang.domain import states as st
from xinfang.org.models import Category, Division, User
from xinfang.petitions import access, clocks, filters
from xinfang.petitions.exports import iter_matters, workbook_bytes
from xinfang.petitions.models import Channel, Matter

from .forms import body_choices, category_choices, choice_field, division_choices, sane_date

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PER_PAGE = 50
EXPORT_LIMIT = 5000  # one workbook; narrower filters for more


def _division_choices(user: User) -> list[tuple[str, StrOrPromise]]:
    if user.body is None:
        return [("", _("全部"))]
    if not (user.is_superuser or user.role == st.Role.ADMIN.value):
        return [("", _("全部")), *division_choices(user)]
    base = user.body.division
    qs = Division.objects.filter(level__gte=base.level).order_by("path")
    return [("", _("全部"))] + [(d.code, "　" * (d.level - base.level) + d.name) for d in qs]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100,
                        help_text=_("在标题、诉求和内容中查找，或输入信访件编号、查询码；多个词用空格分开"))
    channel = forms.ChoiceField(label=_("信访形式"), required=False,
                                choices=[("", _("全部")), *Channel.choices])
    klass = forms.ChoiceField(label=_("事项类别"), required=False,
                              choices=[("", _("全部")), *label_choices(st.KLASS_LABELS)])
    category = forms.TypedChoiceField(label=_("内容分类"), required=False, coerce=int,
                                      empty_value=None)
    division = forms.ChoiceField(label=_("问题属地"), required=False)
    unit = forms.TypedChoiceField(label=_("办理单位"), required=False, coerce=int, empty_value=None)
    acting = forms.TypedChoiceField(label=_("当前应办单位"), required=False, coerce=int,
                                    empty_value=None)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[
        ("", _("全部")), ("open", _("未办结（全部）"))] + [(s.value, _(label)) for s, label in
                                                 st.STATE_LABELS.items()])
    overdue = forms.BooleanField(label=_("仅超期"), required=False)
    level_skip = forms.BooleanField(label=_("仅越级走访"), required=False)
    date_from = forms.DateField(label=_("收到日期自"), required=False, validators=[sane_date],
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("收到日期至"), required=False, validators=[sane_date],
                              widget=forms.DateInput(attrs={"type": "date"}))
    # Identity search (issue 16 item 3): exact, through the blind index; a reason is required
    # and the search is audited (petitions.filters.find).
    name = forms.CharField(label=_("信访人姓名"), required=False, max_length=50,
                           help_text=_("精确匹配"))
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=20,
                            help_text=_("精确匹配"))
    id_number = forms.CharField(label=_("身份证号码"), required=False, max_length=20,
                                help_text=_("精确匹配"))
    reason = forms.CharField(label=_("查询事由"), required=False, max_length=filters.REASON_MAX,
                             help_text=_("按身份信息查询时必填，留痕备查"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        choice_field(self, "category").choices = [("", _("全部")), *category_choices()[1:]]
        choice_field(self, "division").choices = _division_choices(user)
        bodies = body_choices()
        choice_field(self, "unit").choices = [("", _("全部")), *bodies]
        choice_field(self, "acting").choices = [("", _("全部")), *bodies]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        if any(data.get(k) for k in filters.IDENTITY_FIELDS) and not (data.get("reason") or "").strip():
            self.add_error("reason", _("按姓名、电话或身份证号码查询须填写查询事由（留痕备查）"))
        return data


def matter_filter(v: dict[str, Any]) -> filters.MatterFilter:
    """The form's cleaned data as the one matter filter (petitions.filters)."""
    category = ""
    if v.get("category"):
        category = Category.objects.filter(pk=v["category"]).values_list("code", flat=True).first() or "-"
    return filters.MatterFilter(
        q=v.get("q") or "", channel=v.get("channel") or "", klass=v.get("klass") or "",
        category=category, division=v.get("division") or "", unit=v.get("unit"),
        acting_body=v.get("acting"),
        states=[v["state"]] if v.get("state") else [], overdue=True if v.get("overdue") else None,
        level_skip=True if v.get("level_skip") else None,
        received_from=v.get("date_from"), received_to=v.get("date_to"),
        name=(v.get("name") or "").strip(), phone=(v.get("phone") or "").strip(),
        id_number=(v.get("id_number") or "").strip(), reason=(v.get("reason") or "").strip())


def filtered(user: User, v: dict[str, Any]) -> QuerySet[Matter]:
    """The user's visible matters narrowed by the form's cleaned data, newest first."""
    return filters.find(user, matter_filter(v))


def export_matters(user: User, v: dict[str, Any]) -> QuerySet[Matter]:
    """The newest ``EXPORT_LIMIT`` of ``filtered(user, v)``. A keyword's are the ids of the
    text index's capped read, as the 综合查询 page reads them (``filters.search_ids``, which
    falls back to ``find`` itself where the index cannot answer): the plain queryset read the
    word's whole posting list and sorted it — 4.2 s of ids for the county officer's 物业 at
    1,000,000 matters against 1.0 s (docs/benchmarks.md, "One web worker at 1M")."""
    f = matter_filter(v)
    if not f.terms() or f.has_identity:
        return filtered(user, v)[:EXPORT_LIMIT]
    ids = filters.search_ids(user, f, 1, EXPORT_LIMIT)[0][:EXPORT_LIMIT]
    return access.visible_matters(user).filter(pk__in=ids).order_by("-received_at", "-id")


def quick_hit(user: User, q: str) -> int | None:
    """The one matter ``user`` may open whose number or query code is ``q``, else None."""
    term = q.strip()
    if not term or len(term.split()) != 1:
        return None
    ids = list(access.visible_matters(user).filter(Q(number=term) | Q(query_code=term.upper()))
               .values_list("pk", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def _form(request: AuthedRequest) -> SearchForm:
    data = request.GET if any(k in request.GET for k in SearchForm.base_fields) else None
    return SearchForm(data, user=request.user)


def _querystring(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for k, val in changes.items():
        params.pop(k, None)
        if val is not None:
            params[k] = str(val)
    return params.urlencode()


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    form = _form(request)
    rows: list[filters.ResultRow] = []
    has_next = False
    try:
        number = paging.page_number(request.GET.get("page"))
    except paging.PageOutOfRange as e:
        return render(request, "400.html", {"message": e.message}, status=400)
    searched = form.is_bound and form.is_valid()
    if searched and request.GET.get("quick"):
        # The header's box: a matter number or query code opens the matter at once.
        hit = quick_hit(request.user, form.cleaned_data.get("q") or "")
        if hit is not None:
            return redirect("matter", pk=hit)
    total_label = ""
    if searched:
        hits = filters.search(request.user, matter_filter(form.cleaned_data), number, PER_PAGE)
        rows, has_next, total_label = hits.rows, hits.has_next, hits.total_label
    ctx = {
        "nav": "search",
        "form": form,
        "rows": rows,
        "searched": searched,
        "page_number": number,
        "has_prev": number > 1,
        "has_next": has_next,
        "total_label": total_label,
        "prev_qs": _querystring(request, page=number - 1),
        "next_qs": _querystring(request, page=number + 1),
        "export_qs": _querystring(request, page=None),
    }
    status = 400 if form.is_bound and not searched else 200
    return render(request, "web/search.html", ctx, status=status)


# --------------------------------------------------------------------------- Excel

# The workbook is built in petitions.exports (shared with the queued export job, ops.periodic).


@login_required
def export(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "web/search.html", {"nav": "search", "form": form}, status=400)
    # Matters read in chunks into a write-only workbook: a 5,000-row export holds the
    # compressed file (a few hundred KB), not every matter and cell (issue 19 item 5).
    rows = 0

    def counted(matters: Iterator[Matter]) -> Iterator[Matter]:
        nonlocal rows
        for m in matters:
            rows += 1
            yield m

    with source_language():  # the workbook is a record passed between offices: Chinese
        data = workbook_bytes(request.user, counted(iter_matters(
            export_matters(request.user, form.cleaned_data))))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"信访事项查询-{clocks.today():%Y%m%d}.xlsx"
    response["Content-Disposition"] = (f"attachment; filename=\"export.xlsx\"; "
                                       f"filename*=UTF-8''{quote(name)}")
    from xinfang.audit import services as audit

    audit.record("export", actor=request.user, object_type="search", object_id=0,
                 data={"rows": rows, **filters.audit_filters(form.cleaned_data)})
    return response

