"""Reading a history file and checking each row against the registration rules that apply to
history (issue 19 item 4).

A row becomes a :class:`HistoricRow` with its organisation records resolved, or a list of
reasons in Chinese. The checks are the registration's own (``validate_registration``:
request, content, class, identity numbers, phones, the accused of a 检举控告) without the bound
on how far back a new matter's receipt may lie, plus what a history row must be consistent
in: the dates in their order and not in the future, the state and the facts it needs, the
outcome fitting the class, and §30 ¶3 (a report is not handled by the body it accuses).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from django.utils import timezone

from xinfang.domain import states as st
from xinfang.org.models import Body, Category, Division

from ..services.registration import PetitionerIn, Registration, validate_registration
from . import columns as cols


class FileProblem(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass
class HistoricRow:
    line: int
    number: str
    received_at: datetime
    channel: str
    title: str
    request: str
    content: str
    division: Division
    category: Category | None
    klass: str
    state: str
    holder: Body
    petitioners: list[PetitionerIn]
    headcount: int
    collective: bool
    lead_body: Body | None = None
    dispatch_kind: str = "forward"
    dispatched_on: date | None = None
    accepted_on: date | None = None
    replied_on: date | None = None
    served_on: date | None = None
    outcome: str = ""
    closure: str = ""
    rating: str = ""
    accused_name: str = ""
    accused_body: Body | None = None
    is_anonymous: bool = False


@dataclass
class RowError:
    line: int
    number: str
    reasons: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = f"第{self.line}行" + (f"（{self.number}）" if self.number else "")
        return f"{head}：" + "；".join(self.reasons)


# --------------------------------------------------------------------------- reading


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header, and (line number as a spreadsheet shows it, cells) for every non-empty
    row, streamed: a file of any length is read in bounded memory (Excel in openpyxl's
    read-only mode)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        rows = _csv_rows(path)
    else:
        raise FileProblem(f"不支持的文件类型 {suffix or '（无扩展名）'}：请使用 .csv 或 .xlsx")
    header = next(rows, None)
    if header is None:
        raise FileProblem("文件为空")
    return [h.strip() for h in header[1]], rows


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {header: cell}) for every non-empty row (a convenience for small files)."""
    header, rows = read_table(path)
    for line, cells in rows:
        yield line, {n: (cells[j].strip() if j < len(cells) else "") for j, n in enumerate(header)}


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open("rb") as fh:
        raw = fh.read(65536)  # a sample to tell the encoding (the file may be 1 GB)
    encoding = "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not just a character cut at the sample's end
            encoding = "gb18030"  # the old systems' Excel exports (GBK is a subset)
    with path.open(encoding=encoding, newline="") as fh:
        for i, values in enumerate(csv.reader(fh), start=1):
            if i > 1 and not any(v.strip() for v in values):
                continue
            yield i, values


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        for i, values in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if i > 1 and not any(cells):
                continue
            yield i, cells
    finally:
        wb.close()


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour, v.minute) != (0, 0) else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def resolve_columns(header: list[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """field → the file's header for it. ``overrides``: {header: field} given by the user."""
    found: dict[str, str] = {}
    for h, f in (overrides or {}).items():
        if f not in cols.COLUMNS:
            raise FileProblem(f"未知字段“{f}”（可用字段：{'、'.join(cols.COLUMNS)}）")
        found[f] = h
    present = set(header)
    for f, aliases in cols.COLUMNS.items():
        if f in found:
            continue
        for a in aliases:
            if a in present:
                found[f] = a
                break
    missing = [cols.COLUMNS[f][0] for f in cols.REQUIRED if f not in found or found[f] not in present]
    if missing:
        raise FileProblem("缺少必需的列：" + "、".join(missing)
                          + "（列名可用 --map 旧列名=字段 对应）")
    return found


# --------------------------------------------------------------------------- checking

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                      r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
WORKDAY_START = time(9, 0)  # a date without a time: the office's morning


def parse_when(text: str) -> datetime | None:
    m = _DATE_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    try:
        day = date(int(y), int(mo), int(d))
        t = time(int(hh), int(mm), int(ss or 0)) if hh is not None else WORKDAY_START
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, t))


class Lookups:
    """The organisation's records, loaded once per import (by code, name and short name)."""

    def __init__(self, default_holder: Body | None) -> None:
        self.default_holder = default_holder
        self.divisions: dict[str, Division | None] = {}
        for d in Division.objects.all():
            self.divisions[d.code] = d
            # A name two divisions share (two 城关镇) must be given by its code.
            self.divisions[d.name] = None if d.name in self.divisions else d
        self.categories: dict[str, Category | None] = {}
        by_pk = {c.pk: c for c in Category.objects.all()}
        for c in by_pk.values():
            self.categories[c.code] = c
            parent = by_pk.get(c.parent_id) if c.parent_id else None
            if parent is not None:
                self.categories[f"{parent.name}/{c.name}"] = c
                self.categories[f"{parent.name}-{c.name}"] = c
            self.categories[c.name] = None if c.name in self.categories else c
        self.bodies: dict[str, Body | None] = {}
        for b in Body.objects.filter(active=True).select_related("division"):
            self.bodies[b.name] = b
            if b.short_name:
                self.bodies[b.short_name] = None if b.short_name in self.bodies else b

        self._when: dict[str, tuple[datetime, date] | None] = {}

    def when(self, text: str) -> tuple[datetime, date] | None:
        """``parse_when`` and the local day, remembered (a file repeats its dates)."""
        try:
            return self._when[text]
        except KeyError:
            pass
        if len(self._when) > 100_000:
            self._when.clear()
        at = parse_when(text)
        hit = self._when[text] = (at, at.date()) if at is not None else None  # local: make_aware
        return hit

    def division(self, text: str) -> Division | None:
        return self.divisions.get(text.strip())

    def category(self, text: str) -> Category | None:
        return self.categories.get(text.strip())

    def body(self, text: str) -> Body | None:
        return self.bodies.get(text.strip())


_STEP_DATES = (("dispatched_on", "转送日期"), ("accepted_on", "受理日期"),
               ("replied_on", "答复日期"), ("served_on", "送达日期"))


class Layout:
    """Where each field's cell is in a row of this file (``resolve_columns`` on its header)."""

    def __init__(self, header: list[str], colmap: Mapping[str, str]) -> None:
        self.colmap = dict(colmap)
        where = {h: j for j, h in enumerate(header)}  # a repeated header: its last column
        self.fields = [f for f in cols.COLUMNS if colmap.get(f) in where]
        self.index = [where[colmap[f]] for f in self.fields]
        self.absent = {f: "" for f in cols.COLUMNS if f not in self.fields}

    def values(self, cells: list[str]) -> dict[str, str]:
        """field → the cell's text, stripped ("" for a column the file lacks)."""
        n = len(cells)
        out = dict(zip(self.fields, [cells[j].strip() if j < n else "" for j in self.index],
                       strict=True))
        out.update(self.absent)
        return out


def check_row(line: int, cells: list[str], layout: Layout, lk: Lookups,
              today: date) -> HistoricRow | RowError:
    v = layout.values(cells)
    get = v.__getitem__
    colmap = layout.colmap

    number = get("number")
    err = RowError(line, number)
    bad = err.reasons.append
    for f in cols.REQUIRED:
        if not get(f):
            bad(f"缺少“{colmap.get(f) or cols.COLUMNS[f][0]}”")
    if len(number) > 32:
        bad("信访件编号超过32个字符")

    received = lk.when(get("received_on")) if get("received_on") else None
    received_at = received[0] if received else None
    if get("received_on") and received_at is None:
        bad(f"信访日期“{get('received_on')}”无法识别（应为 YYYY-MM-DD）")
    dates: dict[str, date | None] = {}
    for f, label in _STEP_DATES:
        text = get(f)
        when = lk.when(text) if text else None
        if text and when is None:
            bad(f"{label}“{text}”无法识别（应为 YYYY-MM-DD）")
        dates[f] = when[1] if when else None

    channel = cols.CHANNELS.get(get("channel"), "")
    if get("channel") and not channel:
        bad(f"信访形式“{get('channel')}”不在可选范围（来信、来访、网上信访、来电、传真、上级转送）")
    klass = cols.KLASSES.get(get("klass"), "") if get("klass") else st.Klass.APPEAL.value
    if not klass:
        bad(f"事项类别“{get('klass')}”应为建议意见类、检举控告类或申诉求决类")
    state = cols.STATES.get(get("state"), "")
    if get("state") and not state:
        bad(f"办理状态“{get('state')}”不在可导入的状态（待处置、已转送、办理中、已答复、已办结、已终结）")

    division = lk.division(get("division")) if get("division") else None
    if get("division") and division is None:
        bad(f"问题属地“{get('division')}”不是本系统的行政区划（重名的请填区划代码）")
    category = lk.category(get("category")) if get("category") else None
    if get("category") and category is None:
        bad(f"内容分类“{get('category')}”不在分类目录中（重名的请填“一级/二级”或分类代码）")
    holder = lk.body(get("holder")) if get("holder") else lk.default_holder
    if holder is None:
        bad(f"登记单位“{get('holder')}”不存在" if get("holder") else "缺少登记单位（或用 --holder 指定）")
    lead_body = lk.body(get("lead_body")) if get("lead_body") else None
    if get("lead_body") and lead_body is None:
        bad(f"责任单位“{get('lead_body')}”不存在")
    accused_body = lk.body(get("accused_body")) if get("accused_body") else None
    if get("accused_body") and accused_body is None:
        bad(f"被反映单位“{get('accused_body')}”不存在")
    dispatch_kind = cols.DISPATCH_KINDS.get(get("dispatch_kind"), "") if get("dispatch_kind") else ""
    if get("dispatch_kind") and not dispatch_kind:
        bad(f"办理方式“{get('dispatch_kind')}”应为转送、交办或直接办理")
    outcome = cols.OUTCOMES.get(get("outcome"), "") if get("outcome") else ""
    if get("outcome") and not outcome:
        bad(f"办理结果“{get('outcome')}”不在可选范围")
    closure = cols.CLOSURES.get(get("closure"), "") if get("closure") else ""
    if get("closure") and not closure:
        bad(f"结案方式“{get('closure')}”不在可选范围")
    rating = cols.RATINGS.get(get("rating"), "") if get("rating") else ""
    if get("rating") and not rating:
        bad(f"满意度“{get('rating')}”应为满意、基本满意或不满意")
    headcount_text = get("headcount") or "1"
    headcount = int(headcount_text) if headcount_text.isdigit() and int(headcount_text) > 0 else 0
    if not headcount:
        bad(f"信访人数“{headcount_text}”应为正整数")

    names = [n for n in re.split(r"[、，,;；]", get("name")) if n.strip()]
    petitioners = [PetitionerIn(name=n.strip(), id_number=get("id_number") if i == 0 else "",
                                phone=get("phone") if i == 0 else "",
                                address=get("address") if i == 0 else "")
                   for i, n in enumerate(names)]
    if err.reasons or received_at is None or division is None or holder is None:
        return err

    # The registration's own rules; a history row may lie any number of years back.
    reg = Registration(
        channel=channel, title=get("title"), request=get("request"), content=get("content"),
        division=division, received_at=received_at, petitioners=petitioners, klass=klass,
        category=category, accused_name=get("accused"), accused_body=accused_body,
        headcount=max(headcount, len(petitioners)), is_anonymous=not petitioners,
        source_doc_no=get("number") if channel == "superior" else "",
    )
    problems = validate_registration(reg)
    problems.pop("received_at", None)
    if not petitioners and klass != st.Klass.REPORT:
        problems["petitioners"] = "缺少信访人姓名（只有检举控告可以匿名）"
    else:
        problems.pop("petitioners", None) if not petitioners else None
    err.reasons.extend(problems.values())
    if len(get("title")) > 200:
        bad("标题超过200个字")

    received_on = received[1] if received else timezone.localdate(received_at)
    if received_on > today:
        bad("信访日期晚于今天")
    chain: list[tuple[str, date | None]] = [
        ("转送日期", dates["dispatched_on"]), ("受理日期", dates["accepted_on"]),
        ("答复日期", dates["replied_on"]), ("送达日期", dates["served_on"])]
    last_label, last = "信访日期", received_on
    for label, d in chain:
        if d is None:
            continue
        if d < last:
            bad(f"{label}早于{last_label}")
        if d > today:
            bad(f"{label}晚于今天")
        last_label, last = label, d

    direct = dispatch_kind == "direct" or (lead_body is not None and lead_body == holder) \
        or (lead_body is None and holder.handles_directly)
    if state != st.State.REGISTERED:
        if lead_body is None and not direct:
            bad("已转送或办理的事项请填写责任单位")
        if dates["dispatched_on"] is None and not direct and state != st.State.FINAL:
            bad("已转送或办理的事项请填写转送日期")
    if state in (st.State.HANDLING, st.State.REPLIED) and dates["accepted_on"] is None:
        bad("办理中或已答复的事项请填写受理日期")
    if state == st.State.REPLIED and (dates["replied_on"] is None or not outcome):
        bad("已答复的事项请填写答复日期和办理结果")
    if outcome and outcome not in st.OUTCOMES_BY_KLASS.get(
            klass, frozenset(st.ReplyOutcome) - st.OUTCOMES_BY_KLASS[st.Klass.SUGGESTION]
            - st.OUTCOMES_BY_KLASS[st.Klass.REPORT]):
        bad("办理结果与事项类别不符（建议意见类：采纳/部分采纳/不采纳；检举控告类：属实/部分属实/"
            "不属实；申诉求决类：支持/部分支持/解释说明/不予支持）")
    if state == st.State.CLOSED and not closure and not (dates["replied_on"] and outcome):
        bad("已办结但未答复的事项请填写结案方式（如不予受理、导入法定程序）")
    if rating and not dates["replied_on"]:
        bad("未答复的事项没有满意度评价")
    # §30 ¶3: a report is never handled by the body it accuses.
    handling_body = holder if direct else lead_body
    if klass == st.Klass.REPORT and accused_body is not None and handling_body == accused_body:
        bad("检举控告不得交由被反映单位办理（§30 ¶3）")
    if err.reasons:
        return err
    return HistoricRow(
        line=line, number=number, received_at=received_at, channel=channel,
        title=get("title"), request=get("request"), content=get("content"),
        division=division, category=category, klass=klass, state=state, holder=holder,
        petitioners=petitioners, headcount=max(headcount, len(petitioners)),
        collective=get("collective") in cols.TRUE_WORDS or headcount >= 5 or len(petitioners) > 1,
        lead_body=holder if direct and state != st.State.REGISTERED else lead_body,
        dispatch_kind="direct" if direct else (dispatch_kind or "forward"),
        dispatched_on=dates["dispatched_on"], accepted_on=dates["accepted_on"],
        replied_on=dates["replied_on"], served_on=dates["served_on"] or dates["replied_on"],
        outcome=outcome, closure=closure, rating=rating, accused_name=get("accused"),
        accused_body=accused_body, is_anonymous=not petitioners,
    )


def header_of(path: Path) -> list[str]:
    header, rows = read_table(path)
    if next(rows, None) is None:
        raise FileProblem("文件没有数据行")
    return header


def sample_csv(rows: list[dict[str, str]]) -> str:
    """A CSV text with the default headers (tests and the bench's generator)."""
    buf = io.StringIO()
    headers = list(rows[0]) if rows else [a[0] for a in cols.COLUMNS.values()]
    w = csv.DictWriter(buf, fieldnames=headers)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
