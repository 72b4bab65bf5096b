"""回访 on the matter page (issue 16 item 2): who called whom, when, how, what was said, and
whether it changes the rating (recorded on the petitioner's behalf, with this call as its
record). One service: ``services.record_follow_up`` (the API's …/follow-ups calls it too)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.org.models import User
from xinfang.petitions import permissions, services
from xinfang.petitions.models import Evaluation, FollowUp, Matter

from .matter import post_act

NO_CHANGE = ""


class FollowUpForm(forms.Form):
    contact_at = forms.DateTimeField(label=_("回访时间"), input_formats=["%Y-%m-%dT%H:%M",
                                                                    "%Y-%m-%d %H:%M"],
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    direction = forms.ChoiceField(label=_("联系方向"), choices=FollowUp.Direction.choices)
    petitioner = forms.TypedChoiceField(label=_("被回访人"), coerce=int, required=False,
                                        empty_value=None)
    channel = forms.ChoiceField(label=_("回访方式"), choices=FollowUp.Channel.choices)
    opinion = forms.CharField(label=_("信访人意见"), max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    rating = forms.ChoiceField(label=_("评价"), required=False,
                               choices=[(NO_CHANGE, _("不改变评价")), *Evaluation.Rating.choices])

    def __init__(self, matter: Matter, data: Any = None) -> None:
        super().__init__(data, prefix="follow")
        from xinfang.domain.idcard import mask_name

        field = self.fields["petitioner"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", gettext("（未指定）"))] + [
            (p.pk, mask_name(p.name)) for p in matter.petitioners.order_by("-is_lead", "id")]


def follow_up_form(user: User, matter: Matter) -> FollowUpForm | None:
    if matter.replied_on is None or not permissions.may(user, "follow_up", matter=matter):
        return None
    return FollowUpForm(matter)


@login_required
@require_POST
def matter_follow_up(request: AuthedRequest, pk: int) -> HttpResponse:
    from xinfang.petitions import access

    matter = access.get_matter_for_user(request.user, pk)
    form = FollowUpForm(matter, request.POST)

    def run(m: Matter, d: dict[str, Any]) -> object:
        return services.record_follow_up(m, user=request.user, data=services.FollowUpIn(
            contact_at=d["contact_at"], channel=d["channel"], opinion=d["opinion"],
            direction=d["direction"], petitioner_id=d.get("petitioner"),
            rating=d.get("rating") or ""))

    def invalid(f: forms.Form) -> str:
        name = next(iter(f.errors))
        field = f.fields.get(name)
        label = str(field.label) if field is not None else name
        return gettext("请正确填写“%(field)s”") % {"field": label}

    return post_act(request, pk, form, invalid, run, gettext("已登记回访"))
