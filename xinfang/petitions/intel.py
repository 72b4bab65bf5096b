"""Text intelligence in the application (issue 5): thin Django glue over ``xinfang.nlp``.

- **Category suggestions.** A classifier trained from the deployment's own labelled matters
  (``xinfang nlp-train-db``) lives in ``XINFANG_MODEL_DIR/category``. It is loaded lazily
  and cached per process (reloaded when its ``meta.json`` changes). Without a model the
  intake form simply shows no suggestions. The label is the top-level category name, or the
  leaf's name with ``XINFANG_NLP_LABEL_LEVEL = "leaf"``. What the model suggested is stored
  in ``Matter.suggested_category``; an event 分类建议采纳/分类建议更正 records whether the
  officer's category differs. Training reads ``Matter.category``, i.e. the officers'
  choices, so corrections become training labels at the next ``nlp-train-db``.
- **Same-matter detection.** One ``SimilarityIndex`` per process over the matters received in
  the last ``REPEAT_WINDOW_DAYS`` (2 years, at most ``INDEX_CAP`` matters, newest first),
  built lazily from the database, extended on each registration (``on_commit``) and, before
  every lookup, with matters other processes registered since (``pk > last indexed``).
  Rebuilt from scratch every ``REBUILD_SECONDS``. A candidate is *the same matter* when its
  score is at or above the index threshold (0.30, docs/nlp.md) **and** it lies in the same
  division. A repeat is marked automatically only when the same petitioner (ID/phone blind
  index) also matches; otherwise the officer confirms it on the 查重 panel.
- **重复 after a reply** (the original was replied to or closed): with
  ``XINFANG_REPEAT_AFTER_REPLY = "escalate"`` (default) a 督办 "重复信访，提级核查" goes to
  the holder through ``services.supervise`` (§40).
- **Hot topics** (``topics``) and **early warnings** (``warnings_for``): see the functions.

Everything that reads matters goes through ``access.visible_matters``: no count or topic
leaks from outside the user's scope.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.domain import deadlines as dl
from xinfang.domain import states as st
from xinfang.org.models import Body, Category, Division, User

from . import access, services
from .models import Clock, Evaluation, Matter, Petitioner, RepeatKind, Supervision

if TYPE_CHECKING:  # xinfang.nlp (scikit-learn) is imported on first use: pages load fast
    from xinfang.nlp import Classifier, SimilarityIndex

log = logging.getLogger("xinfang.intel")

REPEAT_WINDOW_DAYS = 730  # same-matter index: matters received in the last 2 years …
INDEX_CAP = 200_000  # … at most this many, newest first
REBUILD_SECONDS = 6 * 3600
SHOW_SCORE = 0.2  # candidates shown on the 查重 panel ("可能相关"); same matter from threshold
TRAIN_CAP = 1000  # newest labelled matters used for training (keeps nlp-train-db to seconds)
TEXT_CHARS = 300  # title + the opening of the content: it states the matter, and trains fast
CALIBRATION_FOLDS = 3
MIN_TRAIN = 30  # fewer labelled matters than this: no model
MIN_PER_CLASS = 3  # labels with fewer examples are left out of training
TOPIC_CAP = 3000  # matters clustered per period
TOPIC_CACHE_SECONDS = 300
WARNING_CACHE_SECONDS = 300
WARNING_WEEKS = 12
# Sensitive periods (name, first day "MM-DD", last day "MM-DD"). This is configuration:
# a deployment sets XINFANG_SENSITIVE_PERIODS in settings to its own list.
DEFAULT_SENSITIVE_PERIODS: list[tuple[str, str, str]] = [
    ("全国两会", "03-01", "03-15"),
    ("国庆", "09-25", "10-08"),
]
SENSITIVE_LEAD_DAYS = 14  # warn this many days before a sensitive period starts
INTEL_ROLES = {st.Role.OFFICER.value, st.Role.LEADER.value, st.Role.SUPERVISOR.value,
               st.Role.ADMIN.value}

_lock = threading.RLock()
_state: dict[str, Any] = {}


def reset() -> None:
    """Forget the cached model and index (tests; after a database restore)."""
    with _lock:
        _state.clear()


def may_use(user: User) -> bool:
    """Topics, warnings and the dashboard: 信访干部, leaders, supervisors (and admins)."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in INTEL_ROLES))


def matter_text(title: str, content: str) -> str:
    return f"{(title or '').strip()}\n{(content or '').strip()}"


# --------------------------------------------------------------------------- classifier


def model_dir() -> Path:
    base = getattr(settings, "XINFANG_MODEL_DIR", Path(settings.VAR_DIR) / "models")
    return Path(base) / "category"


def label_level() -> str:
    return getattr(settings, "XINFANG_NLP_LABEL_LEVEL", "top")


def classifier() -> Classifier | None:
    """The trained category model, loaded once per process; None when there is none."""
    d = model_dir()
    try:
        stamp = (str(d), (d / "meta.json").stat().st_mtime_ns)
    except OSError:
        return None
    hit = _state.get("clf")
    if hit and hit[0] == stamp:
        return hit[1]  # type: ignore[no-any-return]
    with _lock:
        from xinfang.nlp import Classifier

        try:
            clf = Classifier.load(d)
        except Exception:  # a half-written or foreign directory: no suggestions, not a 500
            log.exception("cannot load the category model from %s", d)
            return None
        _state["clf"] = (stamp, clf)
        return clf


def category_label(cat: Category | None) -> str:
    """The training label of a category: its top-level name (default) or its own name."""
    if cat is None:
        return ""
    if label_level() == "leaf" or cat.parent_id is None:
        return cat.name
    return cat.parent.name if cat.parent else cat.name


def suggest_categories(title: str, content: str, k: int = 3) -> list[dict[str, Any]]:
    """Top-k categories with calibrated confidence: [{label, prob, percent, category_id}]."""
    text = matter_text(title, content)[:TEXT_CHARS]
    clf = classifier()
    if clf is None or len(text.strip()) < 4:
        return []
    out = clf.top_k(text, k=k)
    cats = Category.objects.filter(name__in=[label for label, _ in out])
    if label_level() != "leaf":
        cats = cats.filter(parent__isnull=True)
    by_name = {c.name: c.pk for c in cats}
    return [{"label": label, "prob": round(p, 4), "percent": round(100 * p),
             "category_id": by_name.get(label)} for label, p in out]


def training_rows(cap: int = TRAIN_CAP) -> tuple[list[str], list[str], int]:
    """(texts, labels, corrections): the newest labelled matters, labelled by officers."""
    rows = (Matter.objects.filter(category__isnull=False).order_by("-received_at", "-pk")
            .values_list("title", "content", "category__name", "category__parent__name",
                         "suggested_category")[:cap])
    leaf = label_level() == "leaf"
    texts, labels, corrections = [], [], 0
    for title, content, name, parent, suggested in rows:
        label = name if leaf or not parent else parent
        texts.append(matter_text(title, content)[:TEXT_CHARS])
        labels.append(label)
        if suggested and isinstance(suggested, list) and suggested[0].get("label") != label:
            corrections += 1  # the officer chose otherwise than the model: a correction
    return texts, labels, corrections


def train_from_db(*, cap: int = TRAIN_CAP, log_fn: Callable[[str], None] = lambda s: None
                  ) -> dict[str, Any]:
    """Train and save the category model from the database's labelled matters."""
    t0 = time.monotonic()
    texts, labels, corrections = training_rows(cap)
    counts = Counter(labels)
    keep = {lbl for lbl, n in counts.items() if n >= MIN_PER_CLASS}
    pairs = [(t, lbl) for t, lbl in zip(texts, labels, strict=True) if lbl in keep]
    if len(pairs) < MIN_TRAIN or len(keep) < 2:
        msg = (f"标注事项不足（{len(pairs)} 件、{len(keep)} 类；至少 {MIN_TRAIN} 件、2 类），"
               "未训练分类模型")
        log_fn(msg)
        return {"trained": False, "reason": msg, "n": len(pairs)}
    from xinfang.nlp import Classifier

    clf = Classifier(calibration_folds=CALIBRATION_FOLDS).fit([t for t, _ in pairs], [lbl for _, lbl in pairs])
    clf.meta.update({"source": "database", "label_level": label_level(),
                     "corrections": corrections, "trained_at": timezone.now().isoformat()})
    target = model_dir()
    tmp = target.with_name(target.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    clf.save(tmp)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    with _lock:
        _state.pop("clf", None)
    secs = time.monotonic() - t0
    log_fn(f"分类模型已训练：{len(pairs)} 件、{len(keep)} 类（其中人工更正 {corrections} 件），"
           f"{secs:.1f}s → {target}")
    return {"trained": True, "n": len(pairs), "labels": sorted(keep), "corrections": corrections,
            "seconds": round(secs, 1), "dir": str(target)}


def record_category_choice(matter: Matter, suggestions: list[dict[str, Any]],
                           user: User | None) -> str | None:
    """Event 分类建议采纳 / 分类建议更正: did the officer keep the model's first suggestion?"""
    if not suggestions or matter.category_id is None:
        return None
    top = suggestions[0]
    chosen = category_label(matter.category)
    adopted = chosen == top["label"]
    label = gettext_noop("分类建议采纳") if adopted else gettext_noop("分类建议更正")  # stored: Chinese
    services._event(  # services owns Event writes; this is one more timeline entry
        matter, "category_suggestion", label, matter.state, matter.state, user, "",
        note=f"建议“{top['label']}”（{top['percent']}%），登记为“{chosen}”", public=False,
        data={"suggested": [s["label"] for s in suggestions], "top": top["label"],
              "top_prob": top["prob"], "chosen": chosen, "adopted": adopted})
    return label


# --------------------------------------------------------------------------- same matter


def _fingerprint(title: str, content: str) -> int:
    return zlib.crc32(matter_text(title, content).encode("utf-8"))


@dataclass
class _Index:
    index: SimilarityIndex
    division: dict[str, str] = field(default_factory=dict)  # matter id -> division code
    print_: dict[str, int] = field(default_factory=dict)  # matter id -> text fingerprint
    max_pk: int = 0
    built: float = 0.0


_COLS = ("pk", "title", "content", "division_id", "division__name", "accused_body__name")


def _add_rows(ix: _Index, rows: Iterable[tuple[Any, ...]]) -> None:
    items = []
    for pk, title, content, div, div_name, accused in rows:
        key = str(pk)
        if key in ix.division:
            continue
        ix.division[key] = div
        ix.print_[key] = _fingerprint(title, content)
        ix.max_pk = max(ix.max_pk, int(pk))
        items.append((key, matter_text(title, content), div_name or None, accused or None))
    if items:
        ix.index.add_many(items)


def _build() -> _Index:
    from xinfang.nlp import SimilarityIndex

    since = timezone.now() - timedelta(days=REPEAT_WINDOW_DAYS)
    rows = list(Matter.objects.filter(received_at__gte=since).order_by("-received_at", "-pk")
                .values_list(*_COLS)[:INDEX_CAP])
    ix = _Index(SimilarityIndex(), built=time.monotonic())
    _add_rows(ix, reversed(rows))
    return ix


def similarity_index() -> _Index:
    """The process-wide index, built on first use and caught up with newer matters."""
    with _lock:
        ix: _Index | None = _state.get("index")
        if ix is None or time.monotonic() - ix.built > REBUILD_SECONDS:
            ix = _state["index"] = _build()
        else:
            _add_rows(ix, Matter.objects.filter(pk__gt=ix.max_pk).order_by("pk")
                      .values_list(*_COLS)[:10_000])
        return ix


def index_matter(matter_id: int) -> None:
    """Add one registered matter to this process's index (if it has been built)."""
    with _lock:
        ix = _state.get("index")
        if ix is not None:
            _add_rows(ix, Matter.objects.filter(pk=matter_id).values_list(*_COLS))


@dataclass
class Candidate:
    matter: Matter
    score: float
    same_division: bool
    threshold: float

    @property
    def same_matter(self) -> bool:
        return self.score >= self.threshold and self.same_division

    @property
    def percent(self) -> int:
        return round(100 * self.score)


def same_matter_candidates(title: str, content: str, division: Division | None,
                           accused_body: Body | None = None, *, exclude_id: int | None = None,
                           k: int = 5) -> list[Candidate]:
    """Earlier matters about the same concrete problem, best first (score ≥ SHOW_SCORE)."""
    if len((title or "") + (content or "")) < 4:
        return []
    ix = similarity_index()
    hits = ix.index.query(matter_text(title, content), accused=accused_body.name if accused_body else None,
                          k=k + 3, exclude=str(exclude_id) if exclude_id else None)
    hits = [(i, s) for i, s in hits if s >= SHOW_SCORE]
    by_pk = Matter.objects.select_related("division", "lead_body", "holder").in_bulk(
        [int(i) for i, _ in hits])
    out = []
    for key, score in hits:
        m = by_pk.get(int(key))
        if m is None or ix.print_.get(key) != _fingerprint(m.title, m.content):
            with _lock:
                _state.pop("index", None)  # the database changed under the index: rebuild next time
            continue
        same_div = division is not None and m.division_id == division.pk
        out.append(Candidate(m, score, same_div, ix.index.threshold))
    return out[:k]


def auto_repeat_of(reg: services.Registration) -> Matter | None:
    """The same petitioner *and* the same matter: the earlier matter to link, else None."""
    mine = {m.pk: m for m in services.find_repeats(reg)}
    if not mine:
        return None
    for c in same_matter_candidates(reg.title, reg.content, reg.division, reg.accused_body):
        if c.same_matter and c.matter.pk in mine:
            return c.matter
    return None


def confirmed_repeat(user: User, value: str | None) -> Matter | None:
    """The matter the officer confirmed as "same matter" on the 查重 panel (if visible)."""
    if not value or not str(value).isdigit():
        return None
    return access.visible_matters(user).filter(pk=int(value)).first()


after_reply = services.is_after_reply


def after_register(matter: Matter, user: User | None, suggestions: list[dict[str, Any]]
                   ) -> list[str]:
    """Bookkeeping after a staff registration: the category event, and messages for the
    officer. Indexing (signal) and 提级核查 (services.register) happen for every channel."""
    notes: list[str] = []
    label = record_category_choice(matter, suggestions, user)
    if label == "分类建议更正":
        notes.append("已记录分类更正，将用于下次训练分类模型")
    original = matter.repeat_of
    if original is not None and Supervision.objects.filter(
            matter=matter, note=services.ESCALATE_NOTE).exists():
        notes.append(f"原件 {original.number} 已答复，已发出督办：{services.ESCALATE_NOTE}")
    return notes


def _on_registered(sender: object, matter_id: int, **kwargs: object) -> None:
    index_matter(matter_id)


services.matter_registered.connect(_on_registered, dispatch_uid="intel-index")


# --------------------------------------------------------------------------- scope helpers


def _scoped(user: User, days: int, division: str = "", category: str = "",
            end: datetime | None = None) -> QuerySet[Matter]:
    end = end or timezone.now()
    qs = access.visible_matters(user).filter(received_at__gt=end - timedelta(days=days),
                                             received_at__lte=end)
    if division:
        d = Division.objects.filter(code=division).first()
        if d is not None:
            qs = qs.filter(Q(division_path=d.path) | Q(division_path__startswith=d.path + "/"))
    if category and category.isdigit():
        qs = qs.filter(Q(category_id=int(category)) | Q(category__parent_id=int(category)))
    return qs


def _scope_key(user: User) -> str:
    return f"{user.pk}:{user.role}:{user.body_id}:{int(user.is_superuser)}"


def _person_keys(matter_ids: list[int]) -> dict[int, str]:
    """One key per matter's lead petitioner (blind index), for counting distinct people."""
    keys: dict[int, str] = {}
    for mid, idx, phone in (Petitioner.objects.filter(matter_id__in=matter_ids, is_lead=True)
                            .values_list("matter_id", "id_index", "phone_index")):
        keys[mid] = idx or phone or f"m{mid}"
    return {m: keys.get(m, f"m{m}") for m in matter_ids}


# --------------------------------------------------------------------------- hot topics


PERIODS = (7, 30, 90)


@dataclass
class TopicView:
    n: int
    label: str
    keywords: list[str]
    ids: list[int]  # this period's matters
    previous: int  # matters of the previous period of the same length
    petitioners: int
    divisions: list[str]

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def trend(self) -> str:
        if self.previous == 0:
            return "新出现"
        change = (self.count - self.previous) * 100 // self.previous
        return f"{change:+d}%"


def topics(user: User, days: int = 30, division: str = "", category: str = "",
           *, min_count: int = 2) -> list[TopicView]:
    """Clusters of this period's visible matters, with the previous period for the trend.

    Both periods are clustered together so a topic's earlier matters count for its trend;
    only topics with ``min_count`` matters in this period are shown. Cached per filter and
    user scope for ``TOPIC_CACHE_SECONDS``."""
    from xinfang.nlp import TopicItem, cluster_topics

    days = days if days in PERIODS else 30
    key = "intel:topics:" + hashlib.sha1(
        f"{_scope_key(user)}|{days}|{division}|{category}|{timezone.localdate()}".encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    now = timezone.now()
    cur_from = now - timedelta(days=days)
    rows = list(_scoped(user, 2 * days, division, category, now)
                .order_by("-received_at").values_list(
                    "pk", "title", "content", "division__name", "accused_body__name",
                    "received_at")[:2 * TOPIC_CAP])
    when = {r[0]: r[5] for r in rows}
    div_of = {r[0]: r[3] for r in rows}
    items = [TopicItem(str(pk), matter_text(t, c), 0, None, acc or None)
             for pk, t, c, _dn, acc, _at in rows]
    found = cluster_topics(items, min_size=2)
    people = _person_keys([r[0] for r in rows]) if found else {}
    out: list[TopicView] = []
    for t in found:
        ids = [int(i) for i in t.ids]
        cur = sorted((i for i in ids if when[i] > cur_from), key=lambda i: when[i], reverse=True)
        if len(cur) < min_count:
            continue
        out.append(TopicView(
            n=0, label=t.label, keywords=t.keywords, ids=cur, previous=len(ids) - len(cur),
            petitioners=len({people[i] for i in cur}),
            divisions=sorted({div_of[i] for i in cur}),
        ))
    out.sort(key=lambda v: (-v.count, -v.petitioners, v.ids[0]))
    for n, v in enumerate(out, start=1):
        v.n = n
    cache.set(key, out, TOPIC_CACHE_SECONDS)
    return out


# --------------------------------------------------------------------------- early warning


@dataclass
class RisingWarning:
    division: str
    category: str
    weeks: list[int]  # weekly counts, oldest first; the last is the past 7 days
    baseline: float
    method: str
    detail: str

    @property
    def count(self) -> int:
        return self.weeks[-1]


@dataclass
class CollectiveWarning:
    kind: str  # "headcount" | "topic"
    label: str
    matters: list[Matter]
    persons: int


@dataclass
class SensitiveWarning:
    period: str
    starts: date
    days_to_start: int
    matter: Matter
    repeats: int


@dataclass
class Warnings:
    rising: list[RisingWarning]
    collective: list[CollectiveWarning]
    sensitive: list[SensitiveWarning]
    # Marked for translation; pages translate it where shown, the API keeps the Chinese.
    test: str = gettext_noop("按属地（乡镇）× 内容分类统计近 12 周每周新收件数。泊松检验：本周件数 x 与前 8 周"
                             "均值 μ 相比，P(X ≥ x | 泊松 μ) < 0.01 且 x ≥ 3 时预警；EWMA 控制图："
                             "标准化残差 (x−μ)/√μ 的指数加权均值（λ = 0.3）超过 3·√(λ/(2−λ)) 时预警。")

    @property
    def total(self) -> int:
        return len(self.rising) + len(self.collective) + len(self.sensitive)


def _week_index(received: datetime, today: date) -> int:
    """0 = the last 7 days (today included), 1 = the 7 days before, …"""
    return (today - timezone.localdate(received)).days // 7


def rising_warnings(user: User, today: date | None = None) -> list[RisingWarning]:
    """Division (township) × top category weekly counts rising above their baseline."""
    from xinfang.nlp import ewma_alerts, poisson_alerts

    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=7 * WARNING_WEEKS - 1),
                                                 datetime.min.time()))
    rows = (access.visible_matters(user).filter(received_at__gte=start)
            .values_list("division_path", "category__parent__name", "category__name",
                         "received_at"))
    series: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * WARNING_WEEKS)
    for path, parent, name, received in rows:
        w = _week_index(received, today)
        if not 0 <= w < WARNING_WEEKS:
            continue
        codes = path.split("/")
        town = codes[3] if len(codes) > 3 else codes[-1]
        series[(town, parent or name or "未分类")][WARNING_WEEKS - 1 - w] += 1
    names = dict(Division.objects.filter(code__in={d for d, _ in series}).values_list("code", "name"))
    out = []
    last = WARNING_WEEKS - 1
    for (div, cat), counts in series.items():
        if counts[last] < 3:
            continue
        alerts = [a for a in poisson_alerts(counts) + ewma_alerts(counts) if a.index == last]
        if not alerts:
            continue
        a = min(alerts, key=lambda a: a.method != "poisson")
        detail = (f"泊松检验 p = {a.p_value:.2g}" if a.method == "poisson"
                  else f"EWMA z = {a.statistic} > {a.limit}")
        out.append(RisingWarning(names.get(div, div), cat, counts, a.baseline,
                                 "+".join(sorted({x.method for x in alerts})), detail))
    out.sort(key=lambda r: -(r.count - r.baseline))
    return out


def collective_warnings(user: User, now: datetime | None = None) -> list[CollectiveWarning]:
    """集体访 risk: a large group on one matter, or ≥ 3 petitioners on one topic in 7 days."""
    from xinfang.nlp import TopicItem, cluster_topics

    now = now or timezone.now()
    since = now - timedelta(days=7)
    min_persons = dl.Policy().collective_visit_min_persons
    recent = access.visible_matters(user).filter(received_at__gt=since, received_at__lte=now)
    out = [CollectiveWarning("headcount", f"{m.title}（{m.headcount} 人）", [m], m.headcount)
           for m in recent.filter(headcount__gte=min_persons).select_related("division")
           .order_by("-headcount")[:20]]
    rows = list(recent.order_by("-received_at").values_list(
        "pk", "title", "content", "accused_body__name")[:TOPIC_CAP])
    groups = cluster_topics([TopicItem(str(pk), matter_text(t, c), 0, None, a or None)
                             for pk, t, c, a in rows], min_size=3)
    if groups:
        ids = [int(i) for g in groups for i in g.ids]
        people = _person_keys(ids)
        by_pk = Matter.objects.select_related("division").in_bulk(ids)
        for g in groups:
            persons = len({people[int(i)] for i in g.ids})
            if persons >= 3:
                out.append(CollectiveWarning("topic", g.label, [by_pk[int(i)] for i in g.ids],
                                             persons))
    return out


def sensitive_periods() -> list[tuple[str, str, str]]:
    return list(getattr(settings, "XINFANG_SENSITIVE_PERIODS", DEFAULT_SENSITIVE_PERIODS))


def upcoming_period(today: date) -> tuple[str, date, date] | None:
    """A sensitive period that is running or starts within SENSITIVE_LEAD_DAYS."""
    for name, first, last in sensitive_periods():
        for year in (today.year, today.year + 1):
            a = date(year, int(first[:2]), int(first[3:]))
            b = date(year, int(last[:2]), int(last[3:]))
            if b < a:
                b = date(year + 1, b.month, b.day)
            if a - timedelta(days=SENSITIVE_LEAD_DAYS) <= today <= b:
                return name, a, b
    return None


def sensitive_warnings(user: User, today: date | None = None) -> list[SensitiveWarning]:
    """Repeat petitioners with an open matter as a sensitive period approaches."""
    today = today or timezone.localdate()
    period = upcoming_period(today)
    if period is None:
        return []
    name, first, _last = period
    qs = (access.visible_matters(user)
          .filter(state__in=[s.value for s in st.OPEN_STATES])
          .exclude(repeat_kind=RepeatKind.FIRST)
          .select_related("division", "repeat_of").order_by("-received_at")[:50])
    out = []
    for m in qs:
        repeats = Matter.objects.filter(
            Q(repeat_of_id=m.repeat_of_id) | Q(pk=m.repeat_of_id)).count() if m.repeat_of_id else 1
        out.append(SensitiveWarning(name, first, max(0, (first - today).days), m, repeats))
    return out


def warnings_for(user: User) -> Warnings:
    """All early warnings within the user's scope; cached for a few minutes per scope."""
    if not may_use(user):
        return Warnings([], [], [])
    key = f"intel:warnings:{_scope_key(user)}:{timezone.localdate()}"
    hit = cache.get(key)
    if hit is None:
        hit = Warnings(rising_warnings(user), collective_warnings(user), sensitive_warnings(user))
        cache.set(key, hit, WARNING_CACHE_SECONDS)
    return hit  # type: ignore[no-any-return]


def warnings_json(w: Warnings) -> dict[str, Any]:
    return {
        "test": w.test,
        "rising": [{"division": r.division, "category": r.category, "count": r.count,
                    "baseline": r.baseline, "weeks": r.weeks, "method": r.method,
                    "detail": r.detail} for r in w.rising],
        "collective": [{"kind": c.kind, "label": c.label, "persons": c.persons,
                        "matters": [{"id": m.pk, "number": m.number} for m in c.matters]}
                       for c in w.collective],
        "sensitive": [{"period": s.period, "starts": s.starts.isoformat(),
                       "days_to_start": s.days_to_start,
                       "matter": {"id": s.matter.pk, "number": s.matter.number},
                       "repeats": s.repeats} for s in w.sensitive],
    }


# --------------------------------------------------------------------------- dashboard


def _rate(num: int, den: int) -> dict[str, Any]:
    return {"numerator": num, "denominator": den,
            "percent": round(100 * num / den, 1) if den else None}


def dashboard_data(user: User, months: int = 12) -> dict[str, Any]:
    """The leader dashboard's figures, from matter-level data within the user's scope.

    按期办结率 (procedure.md §7.2) = 按期答复 ÷ (按期答复 + 超期答复 + 到期未答复), over the
    handling clocks (D6, D14 for suggestions; extensions included in the due date) that fell
    due or were met in the period. 满意率 = (满意 + 基本满意) ÷ rated matters (latest round)."""
    today = timezone.localdate()
    first = date(today.year, today.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    visible = access.visible_matters(user)
    qs = visible.filter(received_at__gte=start)
    month_keys = []
    d = first
    while d <= today:
        month_keys.append(d.strftime("%Y-%m"))
        d = (d + timedelta(days=32)).replace(day=1)
    by_channel: dict[str, Counter[str]] = defaultdict(Counter)
    klass: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    for received, channel, k, parent, name in qs.values_list(
            "received_at", "channel", "klass", "category__parent__name", "category__name"):
        by_channel[channel][timezone.localtime(received).strftime("%Y-%m")] += 1
        klass[k] += 1
        cats[parent or name or "未分类"] += 1
    from .models import Channel

    channel_labels = dict(Channel.choices)
    overdue = Counter(
        Clock.objects.filter(met_on__isnull=True, due_on__lt=today, owed_by_petitioner=False,
                             matter__in=visible.filter(state__in=[s.value for s in st.OPEN_STATES]))
        .values_list("body__name", flat=True))
    on_time = late = missed = 0
    for due, met in (Clock.objects.filter(code__in=["D6", "D14"], matter__in=visible)
                     .filter(Q(met_on__gte=first) | Q(met_on__isnull=True, due_on__gte=first,
                                                      due_on__lt=today))
                     .values_list("due_on", "met_on")):
        if met is None:
            missed += 1
        elif met <= due:
            on_time += 1
        else:
            late += 1
    latest: dict[int, str] = {}
    for mid, rating in (Evaluation.objects.filter(matter__in=visible, at__gte=start)
                        .order_by("matter_id", "round").values_list("matter_id", "rating")):
        latest[mid] = rating
    satisfied = sum(r in (Evaluation.Rating.SATISFIED, Evaluation.Rating.BASIC)
                    for r in latest.values())
    return {
        "months": month_keys,
        "intake_by_channel": [
            {"channel": c, "label": channel_labels.get(c, c),
             "counts": [by_channel[c][m] for m in month_keys]}
            for c in sorted(by_channel, key=lambda c: -sum(by_channel[c].values()))],
        "klass": [{"klass": k, "label": st.KLASS_LABELS.get(st.Klass(k), k), "count": n}
                  for k, n in klass.most_common()],
        "top_categories": [{"label": c, "count": n} for c, n in cats.most_common(10)],
        "overdue_by_unit": [{"unit": b or "未指定", "count": n} for b, n in overdue.most_common(15)],
        "on_time_rate": {**_rate(on_time, on_time + late + missed), "on_time": on_time,
                         "late": late, "overdue_unanswered": missed},
        "satisfaction_rate": _rate(satisfied, len(latest)),
        "total": sum(klass.values()),
        "collective_visits": _collective_visits(qs),
    }


def _collective_visits(qs: QuerySet[Matter]) -> dict[str, int]:
    """集体访 批次 / 人次 (procedure.md §7.2): visits of ``collective_visit_min_persons`` (5) or
    more people; 批次 = how many such visits, 人次 = the people in them."""
    min_persons = dl.Policy().collective_visit_min_persons
    rows = qs.filter(channel="visit", headcount__gte=min_persons).values_list("headcount", flat=True)
    heads = list(rows)
    return {"batches": len(heads), "persons": sum(heads), "min_persons": min_persons}
