"""Practice pages (issue 6, procedure.md §8): 接访安排, 预登记, 领导接访, 包案/积案, reports and
源头预防, plus the citizen portal's published schedule and 预登记. One module per tab.

Views are thin, as in xinfang.web.views: parse a form → access helper → one service call →
redirect (messages) or re-render with the Chinese error and the error's own status
(``_common.submit``). Records are looked up through practice.access (another unit's record
is a 404); division-wide pages (schedule, compliance, reports, screening ledger) need
jurisdiction over the user's division (信访部门, 党委政府, 乡镇, leaders, supervisors) and
answer 403 otherwise. Which form a page offers comes from petitions.permissions, the same
model the services refuse by.
"""

from __future__ import annotations

from ..services.reports import bulletin_rows
from .cases import (
    backlog,
    backlog_promote,
    case_action,
    case_open,
    case_page,
    cases,
    handover_page,
    handover_submit,
    listed,
)
from .hub import index
from .meetings import decision_complete, meeting_add, meeting_page, meetings
from .portal import (
    PORTAL_PREREG_KEY,
    portal_done,
    portal_lookup,
    portal_preregister,
    portal_schedule,
)
from .prevention import (
    assessment_add,
    assessment_link,
    assessments,
    dispute_action,
    dispute_add,
    dispute_page,
    prevention,
    screening_add,
)
from .reports import (
    report_daily,
    report_doc,
    report_doc_pdf,
    report_issue,
    report_monthly,
    report_monthly_pdf,
    report_monthly_xlsx,
    report_weekly,
)
from .schedule import (
    compliance,
    schedule,
    schedule_propose,
    schedule_publish,
    slot_add,
    slot_cancel,
    slot_held,
)
from .triage import prereg_triage, preregs
from .visits import slot_page, visit_ack, visit_assign, visit_record, visits

__all__ = [
    "PORTAL_PREREG_KEY", "assessment_add", "assessment_link", "assessments", "backlog",
    "backlog_promote", "bulletin_rows", "case_action", "case_open", "case_page", "cases",
    "compliance", "decision_complete", "dispute_action", "dispute_add", "dispute_page",
    "handover_page", "handover_submit", "index", "listed", "meeting_add", "meeting_page",
    "meetings", "portal_done", "portal_lookup", "portal_preregister", "portal_schedule",
    "prereg_triage", "preregs", "prevention", "report_daily", "report_doc", "report_doc_pdf", "report_issue", "report_monthly",
    "report_monthly_pdf", "report_monthly_xlsx", "report_weekly", "schedule",
    "schedule_propose", "schedule_publish", "screening_add", "slot_add", "slot_cancel",
    "slot_held", "slot_page", "visit_ack", "visit_assign", "visit_record", "visits",
]
