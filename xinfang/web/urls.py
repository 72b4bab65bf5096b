from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from . import account, intel_views, portal, portal_notify, qr, search, supervision, views
from .forms_auth import LoginForm
from .views import oversight as oversight_views

portal_patterns = [
    path("", portal.index, name="index"),
    path("submit/", portal.submit, name="submit"),
    path("submit/code/", portal.send_code, name="send_code"),
    path("track/", portal.track, name="track"),
    path("matter/", portal.matter, name="matter"),
    path("matter/act/<str:name>/", portal.act, name="act"),
    path("matter/code/<str:purpose>/", portal.act_code, name="act_code"),
    path("matter/documents/<int:doc_id>/", portal.document, name="document"),
    path("leave/", portal.leave, name="leave"),
    path("notify/sms/", portal_notify.sms, name="notify_sms"),
    path("notify/email/", portal_notify.email, name="notify_email"),
    path("notify/confirm/<str:token>/", portal_notify.confirm, name="notify_confirm"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm,
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("account/security/", account.security, name="account_security"),
    path("account/password/", account.password_change, name="password_change"),
    path("", views.queue, name="queue"),
    path("queue/badges/", views.queue_badges, name="queue_badges"),
    path("register/", views.register, name="register"),
    path("register/repeats/", views.register_repeats, name="register_repeats"),
    path("register/suggest/", intel_views.register_suggest, name="register_suggest"),
    path("topics/", intel_views.topics, name="topics"),
    path("topics/<int:n>/", intel_views.topic_detail, name="topic"),
    path("warnings/", intel_views.warnings, name="warnings"),
    path("dashboard/", intel_views.dashboard, name="dashboard"),
    path("dashboard/data/", intel_views.dashboard_data, name="dashboard_data"),
    path("matters/<int:pk>/", views.matter_detail, name="matter"),
    path("matters/<int:pk>/act/<str:name>/", views.matter_action, name="matter_action"),
    path("matters/<int:pk>/report/", views.matter_report, name="matter_report"),
    path("matters/<int:pk>/supervise/", views.matter_supervise, name="matter_supervise"),
    path("matters/<int:pk>/handler/", views.matter_assign_handler, name="matter_assign_handler"),
    path("matters/<int:pk>/implementation/", views.matter_implementation,
         name="matter_implementation"),
    path("matters/<int:pk>/recuse/", views.matter_recuse, name="matter_recuse"),
    path("matters/<int:pk>/follow-up/", views.matter_follow_up, name="matter_follow_up"),
    path("matters/<int:pk>/correct/", views.matter_correct, name="matter_correct"),
    path("matters/<int:pk>/personnel-notice/", views.matter_personnel_notice,
         name="matter_personnel_notice"),
    path("matters/<int:pk>/confirm-lapse/", views.matter_confirm_lapse,
         name="matter_confirm_lapse"),
    path("matters/<int:pk>/assist/", views.matter_assist, name="matter_assist"),
    path("matters/<int:pk>/ask/", views.matter_ask, name="matter_ask"),
    path("matters/<int:pk>/settlement/code/", views.matter_settle_code,
         name="matter_settle_code"),
    path("matters/<int:pk>/settlement/", views.matter_settle, name="matter_settle"),
    path("matters/<int:pk>/urgent/<str:name>/", views.matter_urgent, name="matter_urgent"),
    path("matters/<int:pk>/identity/", views.reveal_identity, name="reveal_identity"),
    path("matters/<int:pk>/attachments/", views.matter_attach, name="matter_attach"),
    path("matters/<int:pk>/attachments/<int:att_id>/", views.attachment_download,
         name="attachment"),
    path("matters/<int:pk>/documents/<int:doc_id>/", views.document_html, name="document"),
    path("matters/<int:pk>/documents/<int:doc_id>/pdf/", views.document_pdf,
         name="document_pdf"),
    path("search/", search.search, name="search"),
    path("search/export/", search.export, name="search_export"),
    path("supervision/", supervision.supervision, name="supervision"),
    # §40: 督办 feedback, the three recommendations and the adoption feedback.
    path("oversight/", oversight_views.oversight_page, name="oversight"),
    path("oversight/<str:name>/", oversight_views.oversight_act, name="oversight_act"),
    path("matters/<int:pk>/oversight/<str:name>/", oversight_views.matter_oversight,
         name="matter_oversight"),
    path("qr/", qr.qr_codes, name="qr_codes"),
    path("portal/", include((portal_patterns, "portal"))),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the footer's switcher
]
