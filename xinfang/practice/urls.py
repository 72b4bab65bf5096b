"""Practice pages (issue 6) under /practice/ and the citizen's reception pages under
/portal/reception/ (namespace ``practice``). Included once from xinfang/urls.py."""

from __future__ import annotations

from django.urls import path

from . import views as v

app_name = "practice"

urlpatterns = [
    path("practice/", v.index, name="index"),
    # 1. 接访安排
    path("practice/schedule/", v.schedule, name="schedule"),
    path("practice/schedule/propose/", v.schedule_propose, name="schedule_propose"),
    path("practice/schedule/add/", v.slot_add, name="slot_add"),
    path("practice/schedule/publish/", v.schedule_publish, name="schedule_publish"),
    path("practice/schedule/<int:pk>/cancel/", v.slot_cancel, name="slot_cancel"),
    path("practice/schedule/<int:pk>/held/", v.slot_held, name="slot_held"),
    path("practice/schedule/compliance/", v.compliance, name="compliance"),
    # 2. 预登记 (staff side)
    path("practice/preregs/", v.preregs, name="preregs"),
    path("practice/preregs/<int:pk>/triage/", v.prereg_triage, name="prereg_triage"),
    # 3. 领导接访
    path("practice/visits/", v.visits, name="visits"),
    path("practice/visits/slot/<int:pk>/", v.slot_page, name="slot"),
    path("practice/visits/slot/<int:pk>/record/", v.visit_record, name="visit_record"),
    path("practice/visits/<int:pk>/assign/", v.visit_assign, name="visit_assign"),
    path("practice/visits/<int:pk>/ack/", v.visit_ack, name="visit_ack"),
    # 4. 包案 / 积案
    path("practice/cases/", v.cases, name="cases"),
    path("practice/cases/open/", v.case_open, name="case_open"),
    path("practice/cases/backlog/", v.backlog, name="backlog"),
    path("practice/cases/backlog/<int:matter_pk>/promote/", v.backlog_promote,
         name="backlog_promote"),
    path("practice/cases/listed/", v.listed, name="listed"),
    path("practice/cases/handover/", v.handover_page, name="handover"),
    path("practice/cases/handover/submit/", v.handover_submit, name="handover_submit"),
    path("practice/cases/<int:pk>/", v.case_page, name="case"),
    path("practice/cases/<int:pk>/<str:action>/", v.case_action, name="case_action"),
    # 5. 日分析·周排名·月通报
    path("practice/reports/daily/", v.report_daily, name="report_daily"),
    path("practice/reports/weekly/", v.report_weekly, name="report_weekly"),
    path("practice/reports/monthly/", v.report_monthly, name="report_monthly"),
    path("practice/reports/monthly/xlsx/", v.report_monthly_xlsx, name="report_monthly_xlsx"),
    path("practice/reports/monthly/pdf/", v.report_monthly_pdf, name="report_monthly_pdf"),
    path("practice/reports/issue/", v.report_issue, name="report_issue"),
    path("practice/reports/doc/<str:kind>/", v.report_doc, name="report_doc"),
    path("practice/reports/doc/<str:kind>/pdf/", v.report_doc_pdf, name="report_doc_pdf"),
    # 6. 源头预防
    path("practice/prevention/", v.prevention, name="prevention"),
    path("practice/prevention/screening/", v.screening_add, name="screening_add"),
    path("practice/prevention/disputes/add/", v.dispute_add, name="dispute_add"),
    path("practice/prevention/disputes/<int:pk>/", v.dispute_page, name="dispute"),
    path("practice/prevention/disputes/<int:pk>/<str:action>/", v.dispute_action,
         name="dispute_action"),
    path("practice/prevention/assessments/", v.assessments, name="assessments"),
    path("practice/prevention/assessments/add/", v.assessment_add, name="assessment_add"),
    path("practice/prevention/assessments/<int:pk>/link/", v.assessment_link,
         name="assessment_link"),
    path("practice/meetings/", v.meetings, name="meetings"),
    path("practice/meetings/add/", v.meeting_add, name="meeting_add"),
    path("practice/meetings/<int:pk>/", v.meeting_page, name="meeting"),
    path("practice/meetings/decisions/<int:pk>/complete/", v.decision_complete,
         name="decision_complete"),
    # Citizen portal: 领导接访日程 and 预登记 (no log-in)
    path("portal/reception/", v.portal_schedule, name="portal_schedule"),
    path("portal/reception/<int:pk>/", v.portal_preregister, name="portal_preregister"),
    path("portal/reception/done/", v.portal_done, name="portal_done"),
    path("portal/reception/lookup/", v.portal_lookup, name="portal_lookup"),
]
