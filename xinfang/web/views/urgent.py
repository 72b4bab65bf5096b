"""重大紧急 (§25) from the matter page: declare, record a measure, mark a report sent — the
same acts and input as the API (``services.urgent_act``, ``domain.fields.ACT_FIELDS``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from xinfang.core.http import AuthedRequest
from xinfang.petitions import services

from ..forms_acts import ActForm
from .matter import post_act

DONE = {
    "declare_urgent": gettext_noop("已认定为重大紧急信访事项，报告文书已制作，请及时报送（§25）"),
    "urgent_measure": gettext_noop("处置措施已登记"),
    "urgent_report_sent": gettext_noop("报送情况已登记"),
}


@login_required
@require_POST
def matter_urgent(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    if name not in services.URGENT_ACTS:
        raise Http404("未知的操作")
    return post_act(
        request, pk, ActForm(name, request.POST), lambda f: f.first_error(),
        lambda m, d: services.urgent_act(m, name, user=request.user, data=d),
        gettext(DONE[name]))
