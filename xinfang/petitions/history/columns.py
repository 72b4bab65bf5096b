"""The columns of a history file and the values they may hold.

The default mapping is the export of the 国家信访信息系统 as counties receive it (one row per
信访件; the headers below, in any order; extra columns are ignored). A county whose old system
names a column differently passes ``--map 旧列名=字段`` or a JSON mapping file. Plain data: the
parser (``parse.py``) reads it.
"""

from __future__ import annotations

from xinfang.domain.states import ClosureKind, Klass, ReplyOutcome, State

# field → the headers that may carry it (the first is the documented default).
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("信访件编号", "信访编号", "件编号", "编号"),
    "received_on": ("信访日期", "登记日期", "收到日期", "来信来访日期"),
    "channel": ("信访形式", "信访方式", "来源渠道"),
    "title": ("标题", "信访事项", "事项标题"),
    "request": ("信访目的", "诉求", "主要诉求"),
    "content": ("主要内容", "问题概况", "事实与理由", "内容"),
    "division": ("问题属地", "问题发生地", "属地"),
    "category": ("内容分类", "问题分类", "事项分类"),
    "klass": ("事项类别", "信访类别"),
    "name": ("信访人姓名", "姓名", "信访人"),
    "id_number": ("证件号码", "身份证号码", "身份证号"),
    "phone": ("联系电话", "手机号码", "电话"),
    "address": ("住址", "联系地址", "现住址"),
    "headcount": ("信访人数", "人数"),
    "collective": ("是否集体访", "集体访", "是否联名"),
    "holder": ("登记单位", "登记机关", "受理单位"),
    "lead_body": ("责任单位", "主办单位", "承办单位", "办理单位"),
    "dispatch_kind": ("办理方式", "去向", "处理方式"),
    "dispatched_on": ("转送日期", "交办日期", "转交办日期"),
    "accepted_on": ("受理日期", "告知受理日期"),
    "replied_on": ("答复日期", "出具意见日期", "办结日期"),
    "served_on": ("送达日期", "意见书送达日期"),
    "outcome": ("办理结果", "处理意见", "处理结论"),
    "closure": ("结案方式", "办结方式"),
    "rating": ("满意度", "评价结果", "满意度评价"),
    "state": ("办理状态", "当前状态", "状态"),
    "accused": ("被反映人", "被举报人"),
    "accused_body": ("被反映单位", "被举报单位"),
}

REQUIRED = ("number", "received_on", "channel", "title", "request", "content", "division",
            "state")

CHANNELS: dict[str, str] = {
    "来信": "letter", "信": "letter", "写信": "letter",
    "来访": "visit", "访": "visit", "走访": "visit",
    "网上信访": "online", "网上投诉": "online", "网信": "online", "网": "online",
    "网上": "online", "领导信箱": "online", "手机信访": "online",
    "来电": "phone", "电": "phone", "电话": "phone", "12345": "phone",
    "传真": "fax", "扫码": "qr", "上级转送": "superior", "上级交办": "superior",
}

KLASSES: dict[str, str] = {
    "建议意见类": Klass.SUGGESTION.value, "建议意见": Klass.SUGGESTION.value,
    "检举控告类": Klass.REPORT.value, "检举控告": Klass.REPORT.value,
    "申诉求决类": Klass.APPEAL.value, "申诉求决": Klass.APPEAL.value,
}

# The old system's status words, mapped onto the states a history row may be in. The states
# in between (签收, 延期待批, 复查中 …) are transient: a county moves over between them by
# finishing the step in the old system, or imports the matter at the last completed step.
STATES: dict[str, str] = {
    "待处置": State.REGISTERED.value, "待受理": State.REGISTERED.value,
    "已登记": State.REGISTERED.value, "登记": State.REGISTERED.value,
    "待签收": State.DISPATCHED.value, "已转送": State.DISPATCHED.value,
    "已交办": State.DISPATCHED.value, "已转交办": State.DISPATCHED.value,
    "办理中": State.HANDLING.value, "已受理": State.HANDLING.value,
    "已答复": State.REPLIED.value, "已出具意见": State.REPLIED.value,
    "已办结": State.CLOSED.value, "办结": State.CLOSED.value, "已结案": State.CLOSED.value,
    "已终结": State.FINAL.value,
}
IMPORTABLE_STATES = frozenset({State.REGISTERED, State.DISPATCHED, State.HANDLING,
                               State.REPLIED, State.CLOSED, State.FINAL})

DISPATCH_KINDS: dict[str, str] = {
    "转送": "forward", "交办": "assign", "直接办理": "direct", "本机关办理": "direct",
}

OUTCOMES: dict[str, str] = {
    "予以支持": ReplyOutcome.SUPPORTED.value, "支持": ReplyOutcome.SUPPORTED.value,
    "部分支持": ReplyOutcome.PARTLY_SUPPORTED.value,
    "解释说明": ReplyOutcome.EXPLAINED.value, "解释疏导": ReplyOutcome.EXPLAINED.value,
    "不予支持": ReplyOutcome.NOT_SUPPORTED.value, "不支持": ReplyOutcome.NOT_SUPPORTED.value,
    "采纳": ReplyOutcome.ADOPTED.value, "部分采纳": ReplyOutcome.PARTLY_ADOPTED.value,
    "不采纳": ReplyOutcome.NOT_ADOPTED.value,
    "反映属实": ReplyOutcome.SUBSTANTIATED.value, "属实": ReplyOutcome.SUBSTANTIATED.value,
    "部分属实": ReplyOutcome.PARTLY_SUBSTANTIATED.value,
    "反映部分属实": ReplyOutcome.PARTLY_SUBSTANTIATED.value,
    "不属实": ReplyOutcome.UNSUBSTANTIATED.value,
    "反映不属实": ReplyOutcome.UNSUBSTANTIATED.value,
}

CLOSURES: dict[str, str] = {
    "答复办结": ClosureKind.ANSWERED.value, "办结": ClosureKind.ANSWERED.value,
    "不予受理": ClosureKind.NOT_ACCEPTED.value, "不再受理": ClosureKind.NOT_ACCEPTED.value,
    "告知": ClosureKind.INFORMED.value, "告知向有权机关提出": ClosureKind.INFORMED.value,
    "导入法定程序": ClosureKind.CHANNELLED.value,
    "调解": ClosureKind.MEDIATED.value, "和解": ClosureKind.MEDIATED.value,
    "调解和解": ClosureKind.MEDIATED.value,
    "期满结案": ClosureKind.WINDOW_LAPSED.value,
    "复查复核期限届满结案": ClosureKind.WINDOW_LAPSED.value,
    "转政法部门": ClosureKind.REFERRED_POLITICAL_LEGAL.value,
    "转纪检监察": ClosureKind.REFERRED_DISCIPLINE.value,
}

RATINGS: dict[str, str] = {
    "满意": "satisfied", "基本满意": "basic", "不满意": "unsatisfied",
}

TRUE_WORDS = frozenset({"是", "Y", "y", "1", "true", "True", "TRUE", "√"})
