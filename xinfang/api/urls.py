"""REST API under /api/: v1 endpoints, the OpenAPI 3 schema and the browsable docs.

The docs page is Swagger UI from drf-spectacular-sidecar's static files (no CDN), split into
HTML + a separate script so the page works under the Content-Security-Policy.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from . import (
    auth,
    citizen_side,
    corrections,
    follow_up,
    indicators,
    intel,
    oversight,
    public,
    urgent,
    views,
)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI injects inline styles; only this page relaxes style-src (see core.security)."""

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # drf-spectacular leaves its views' get() unannotated
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        response.csp_allow_inline_styles = True  # type: ignore[attr-defined]  # core.security reads it
        return response


app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/auth/token", auth.TokenView.as_view(), name="token"),
    path("v1/auth/logout", auth.LogoutView.as_view(), name="logout"),
    path("v1/auth/tokens", auth.TokenListView.as_view(), name="tokens"),
    path("v1/auth/tokens/<str:key>", auth.TokenRevokeView.as_view(), name="token-revoke"),
    path("v1/matters", views.MatterListView.as_view(), name="matters"),
    path("v1/matters/<int:pk>", views.MatterDetailView.as_view(), name="matter"),
    path("v1/matters/<int:pk>/actions", views.ActionListView.as_view(), name="matter-actions"),
    path("v1/matters/<int:pk>/actions/<str:name>", views.ActionView.as_view(), name="matter-action"),
    path("v1/matters/<int:pk>/documents", views.DocumentListView.as_view(), name="documents"),
    path("v1/matters/<int:pk>/documents/<int:doc_id>", views.DocumentDetailView.as_view(),
         name="document"),
    path("v1/matters/<int:pk>/evaluations", views.EvaluationView.as_view(), name="evaluations"),
    path("v1/matters/<int:pk>/follow-ups", follow_up.FollowUpView.as_view(), name="follow_ups"),
    path("v1/matters/<int:pk>/corrections", corrections.CorrectionView.as_view(),
         name="matter-corrections"),
    path("v1/matters/<int:pk>/urgent", urgent.UrgentView.as_view(), name="urgent"),
    path("v1/matters/<int:pk>/questions", citizen_side.QuestionView.as_view(),
         name="matter-question"),
    path("v1/matters/<int:pk>/settlement/code", citizen_side.SettlementCodeView.as_view(),
         name="matter-settlement-code"),
    path("v1/matters/<int:pk>/settlement", citizen_side.SettlementView.as_view(),
         name="matter-settlement"),
    path("v1/urgent", urgent.UrgentListView.as_view(), name="urgent-list"),
    # §40: 督办 feedback, the three recommendations, the adoption feedback.
    path("v1/oversight", oversight.OversightView.as_view(), name="oversight"),
    path("v1/oversight/<str:name>", oversight.OversightActView.as_view(), name="oversight-act"),
    path("v1/matters/<int:pk>/oversight", oversight.MatterOversightView.as_view(),
         name="matter-oversight"),
    path("v1/matters/<int:pk>/oversight/<str:name>", oversight.MatterOversightActView.as_view(),
         name="matter-oversight-act"),
    path("v1/search", views.SearchView.as_view(), name="search"),
    path("v1/bodies", views.BodyListView.as_view(), name="bodies"),
    path("v1/divisions", views.DivisionListView.as_view(), name="divisions"),
    path("v1/categories", views.CategoryListView.as_view(), name="categories"),
    path("v1/warnings", intel.WarningsView.as_view(), name="warnings"),
    path("v1/indicators", indicators.IndicatorListView.as_view(), name="indicators"),
    path("v1/statistics", indicators.StatisticsView.as_view(), name="statistics"),
    path("v1/indicators/<str:code>", indicators.IndicatorDetailView.as_view(),
         name="indicator"),
    path("v1/public/sms-codes", public.SmsCodeView.as_view(), name="public-sms-code"),
    path("v1/public/petitions", public.PetitionSubmitView.as_view(), name="public-submit"),
    path("v1/public/petitions/<str:code>", public.PetitionProgressView.as_view(),
         name="public-progress"),
    path("v1/public/petitions/<str:code>/evaluation", public.PetitionEvaluationView.as_view(),
         name="public-evaluation"),
    path("v1/public/petitions/<str:code>/redo-requests", public.PetitionRedoRequestView.as_view(),
         name="public-redo"),
    path("v1/public/petitions/<str:code>/review-requests", public.PetitionReviewRequestView.as_view(),
         name="public-review"),
    path("v1/public/petitions/<str:code>/sms-codes", public.ActCodeView.as_view(),
         name="public-act-code"),
    path("v1/public/petitions/<str:code>/withdrawal", public.PetitionWithdrawalView.as_view(),
         name="public-withdrawal"),
    path("v1/public/petitions/<str:code>/supplements", public.PetitionSupplementView.as_view(),
         name="public-supplement"),
]

