"""重大紧急 (§25) at the API: the matter's declarations, reports (made, due, sent, to whom) and
measures, with what the caller may do. The acts themselves are ``POST …/actions/<name>``
(``declare_urgent``, ``urgent_measure``, ``urgent_report_sent``) like every other act."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from xinfang.core.http import AuthedAPIRequest
from xinfang.core.i18n import source_text
from xinfang.domain import fields as df
from xinfang.petitions import permissions, urgent
from xinfang.petitions.models import UrgentDeclaration, UrgentReport
from xinfang.petitions.services.urgent import report_hours

from .views import ApiView, matter_for


def _report(r: UrgentReport) -> dict[str, Any]:
    return {
        "id": r.pk, "kind": r.kind, "label": source_text(r.get_kind_display()),
        "recipients": r.recipients, "document": r.document_id, "number": r.document.number,
        "made_at": r.made_at, "due_at": r.due_at, "sent_at": r.sent_at,
        "sent_via": r.sent_via, "sent_via_label": df.REPORT_CHANNELS.get(r.sent_via, ""),
        "status": urgent.report_status(r),
    }


def _declaration(d: UrgentDeclaration) -> dict[str, Any]:
    return {
        "id": d.pk, "body": d.body_id, "body_name": d.body.name, "declared_at": d.declared_at,
        "declared_by": str(d.declared_by), "event": d.event, "scale": d.scale, "risk": d.risk,
        "reports": [_report(r) for r in d.reports.all()],
        "measures": [{"at": x.taken_at, "text": x.text, "by": str(x.recorded_by)}
                     for x in d.measures.all()],
    }


class UrgentView(ApiView):
    @extend_schema(summary="重大紧急信访事项：认定、报告（制作、应报、报送时间和对象）、处置措施（§25）",
                   responses=inline_serializer("MatterUrgent", {
                       "declarations": serializers.ListField(child=serializers.DictField()),
                       "may": serializers.DictField(child=serializers.BooleanField()),
                   }))
    def get(self, request: AuthedAPIRequest, pk: int) -> Response:
        m = matter_for(request, pk)
        u = urgent.for_matter(request.user, m)
        return Response({
            "declarations": [_declaration(d) for d in u.declarations],
            "may": {"declare_urgent": u.may_declare, "urgent_measure": u.may_measure,
                    "urgent_report_sent": u.may_send},
        })


class UrgentListView(ApiView):
    @extend_schema(summary="辖区内办理中的重大紧急信访事项及报告情况，超时未报的报告（§25、§46（四））",
                   responses=inline_serializer("UrgentOverview", {
                       "hours": serializers.FloatField(),
                       "matters": serializers.ListField(child=serializers.DictField()),
                       "overdue_reports": serializers.ListField(child=serializers.DictField()),
                   }))
    def get(self, request: AuthedAPIRequest) -> Response:
        """The dashboard's 重大紧急 panel and the supervision page's overdue list, as data."""
        permissions.require(request.user, "view_supervision")
        return Response({
            "hours": report_hours(),
            "matters": [{
                "id": row.matter.pk, "number": row.matter.number, "title": row.matter.title,
                "declared_by": [d.body.name for d in row.declarations],
                "reports": row.reports, "sent": row.sent, "overdue": row.overdue,
            } for row in urgent.open_urgent(request.user)],
            "overdue_reports": [{
                **_report(r), "matter": r.matter_id, "matter_number": r.matter.number,
                "body": r.declaration.body.name,
            } for r in urgent.overdue_reports(request.user)],
        })
