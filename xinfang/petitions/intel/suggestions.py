"""Category suggestions at intake: the classifier trained from the deployment's own
labelled matters, its training, and the record of whether the officer kept its choice.

The model (``xinfang nlp-train-db``) lives in ``XINFANG_MODEL_DIR/category``; it is loaded
lazily and cached per process (reloaded when its ``meta.json`` changes). Without a model
the intake form shows no suggestions. Labels (``XINFANG_NLP_LABEL_LEVEL``):

- ``"auto"`` (default, issue 18 item 6): the organisation's own second-level categories
  where the deployment has labelled enough of them — a first-level category is split into
  its children when at least ``MIN_LEAVES`` of them have ``MIN_PER_LEAF`` labelled matters
  each; those children are labels, and the matters of its other children (and of the parent
  itself) keep the parent's label. A parent with too few labelled children stays one label.
- ``"top"``: first-level categories only; ``"leaf"``: every category as labelled.

A suggestion carries the category's id, so the routing table's rules for a second-level
category (e.g. 物业 → the township, §22 ¶1) fire from it. Training reads ``Matter.category``,
i.e. the officers' choices, so corrections become training labels at the next training.
The routed unit (§22 ¶1) is the routing table's, ``xinfang.domain.routing``."""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from xinfang.audit import services as audit
from xinfang.org.models import Category, User

from .. import access, services
from ..models import Matter
from .base import lock, matter_text, state

if TYPE_CHECKING:  # xinfang.nlp (scikit-learn) is imported on first use: pages load fast
    from xinfang.nlp import Classifier

log = logging.getLogger("xinfang.intel")

TRAIN_CAP = 1000  # newest labelled matters used for training (keeps nlp-train-db to seconds)
TEXT_CHARS = 300  # title + the opening of the content: it states the matter, and trains fast
CALIBRATION_FOLDS = 3
MIN_TRAIN = 30  # fewer labelled matters than this: no model
MIN_PER_CLASS = 3  # labels with fewer examples are left out of training
# "auto" labels: a second-level category is a label of its own from this many labelled
# matters, when at least MIN_LEAVES children of its parent have as many (docs/nlp.md).
MIN_PER_LEAF = 15
MIN_LEAVES = 2
CORRECTED = "分类建议更正"
OUTSIDE = gettext_noop("不属于已知分类")
# With 7 labels a uniform guess is 0.14; below 0.35 the best label is no better than a coin
# toss between it and the rest, so the model abstains (docs/nlp.md).
ABSTAIN_BELOW = 0.35


def model_dir() -> Path:
    base = getattr(settings, "XINFANG_MODEL_DIR", Path(settings.VAR_DIR) / "models")
    return Path(base) / "category"


def label_level() -> str:
    return str(getattr(settings, "XINFANG_NLP_LABEL_LEVEL", "auto"))


def min_per_leaf() -> int:
    return int(getattr(settings, "XINFANG_NLP_MIN_PER_LEAF", MIN_PER_LEAF))


def label_plan(counts: Counter[int], level: str | None = None) -> dict[int, int]:
    """category id -> the id of the category its matters are labelled with, for the
    categories in ``counts`` (labelled matters per category id)."""
    level = level or label_level()
    cats = {c.pk: c for c in Category.objects.filter(pk__in=list(counts))}
    top = {pk: (c.parent_id or pk) for pk, c in cats.items()}
    if level == "leaf":
        return {pk: pk for pk in cats}
    if level == "top":
        return top
    enough = {pk for pk, c in cats.items() if c.parent_id and counts[pk] >= min_per_leaf()}
    split = {p for p, n in Counter(cats[pk].parent_id for pk in enough).items()
             if n >= MIN_LEAVES}
    return {pk: pk if pk in enough and cats[pk].parent_id in split else top[pk] for pk in cats}


def _label_names(ids: set[int]) -> dict[int, str]:
    """The label of each category: its name, "parent／name" when two labels share a name."""
    cats = {c.pk: c for c in Category.objects.filter(pk__in=ids).select_related("parent")}
    dup = {n for n, k in Counter(c.name for c in cats.values()).items() if k > 1}
    return {pk: (f"{c.parent.name}／{c.name}" if c.name in dup and c.parent else c.name)
            for pk, c in cats.items()}


def classifier() -> Classifier | None:
    """The trained category model, loaded once per process; None when there is none."""
    d = model_dir()
    try:
        stamp = (str(d), (d / "meta.json").stat().st_mtime_ns)
    except OSError:
        return None
    hit = state.get("clf")
    if hit and hit[0] == stamp:
        return hit[1]  # type: ignore[no-any-return]
    with lock:
        from xinfang.nlp import Classifier

        try:
            clf = Classifier.load(d)
        except Exception:  # a half-written or foreign directory: no suggestions, not a 500
            log.exception("cannot load the category model from %s", d)
            return None
        state["clf"] = (stamp, clf)
        return clf


def category_label(cat: Category | None) -> str:
    """The training label of a category as the current model knows it: its own name when it
    is one of the model's labels (a second-level category it was trained on), else its
    top-level name (or its own name with ``XINFANG_NLP_LABEL_LEVEL = "leaf"``)."""
    if cat is None:
        return ""
    clf = classifier()
    known = clf.meta.get("categories", {}) if clf is not None else {}
    for label, pk in known.items():
        if pk == cat.pk:
            return str(label)
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
    by_name: dict[str, int] = dict(clf.meta.get("categories") or {})
    if not by_name:  # a model trained before labels carried their category (top level)
        cats = Category.objects.filter(name__in=[label for label, _ in out])
        if label_level() == "top":
            cats = cats.filter(parent__isnull=True)
        by_name = {c.name: c.pk for c in cats}
    # Outside these labels: when even the best label is this unsure, the model abstains and
    # says so; the officer chooses unaided.
    if out and out[0][1] < abstain_below():
        return [{"label": OUTSIDE, "prob": round(out[0][1], 4), "percent": round(100 * out[0][1]),
                 "category_id": None, "outside": True, "words": []}]
    return [{"label": label, "prob": round(p, 4), "percent": round(100 * p),
             "category_id": by_name.get(label), "outside": False,
             # the words that drove it, shown beside the routing reason
             "words": clf.explain(text, label, n=4) if n == 0 else []}
            for n, (label, p) in enumerate(out)]


def abstain_below() -> float:
    """The top probability under which the model abstains (``XINFANG_NLP_ABSTAIN``)."""
    return float(getattr(settings, "XINFANG_NLP_ABSTAIN", ABSTAIN_BELOW))


def training_rows(cap: int = TRAIN_CAP) -> tuple[list[str], list[str], int]:
    """(texts, labels, corrections): the newest labelled matters, labelled by officers."""
    texts, labels, corrections, _ = _training_rows(cap)
    return texts, labels, corrections


def _training_rows(cap: int) -> tuple[list[str], list[str], int, dict[str, int]]:
    rows = list(Matter.objects.filter(category__isnull=False).exclude(access.confidential_q())
                .order_by("-received_at", "-pk")
                .values_list("title", "content", "category_id", "suggested_category")[:cap])
    plan = label_plan(Counter(r[2] for r in rows))
    names = _label_names(set(plan.values()))
    texts, labels, corrections = [], [], 0
    for title, content, cat, suggested in rows:
        label = names[plan[cat]]
        texts.append(matter_text(title, content)[:TEXT_CHARS])
        labels.append(label)
        if (suggested and isinstance(suggested, list) and not suggested[0].get("outside")
                and suggested[0].get("label") != label):
            corrections += 1  # the officer chose otherwise than the model: a correction
    return texts, labels, corrections, {names[pk]: pk for pk in set(plan.values())}


def train_from_db(*, cap: int = TRAIN_CAP, log_fn: Callable[[str], None] = lambda s: None
                  ) -> dict[str, Any]:
    """Train and save the category model from the database's labelled matters."""
    t0 = time.monotonic()
    texts, labels, corrections, category_of = _training_rows(cap)
    counts = Counter(labels)
    keep = {lbl for lbl, n in counts.items() if n >= MIN_PER_CLASS}
    pairs = [(t, lbl) for t, lbl in zip(texts, labels, strict=True) if lbl in keep]
    if len(pairs) < MIN_TRAIN or len(keep) < 2:
        msg = (f"标注事项不足（{len(pairs)} 件、{len(keep)} 类；至少 {MIN_TRAIN} 件、2 类），"
               "未训练分类模型")
        log_fn(msg)
        return {"trained": False, "reason": msg, "n": len(pairs)}
    from xinfang.nlp import Classifier

    clf = Classifier(calibration_folds=CALIBRATION_FOLDS).fit([t for t, _ in pairs],
                                                              [lbl for _, lbl in pairs])
    clf.meta.update({"source": "database", "label_level": label_level(),
                     "categories": {lbl: category_of[lbl] for lbl in sorted(keep)},
                     "second_level": sorted(lbl for lbl in keep if Category.objects.filter(
                         pk=category_of[lbl], parent__isnull=False).exists()),
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
    with lock:
        state.pop("clf", None)
    secs = time.monotonic() - t0
    log_fn(f"分类模型已训练：{len(pairs)} 件、{len(keep)} 类（其中人工更正 {corrections} 件），"
           f"{secs:.1f}s → {target}")
    return {"trained": True, "n": len(pairs), "labels": sorted(keep),
            "second_level": clf.meta["second_level"], "corrections": corrections,
            "seconds": round(secs, 1), "dir": str(target)}


def record_category_choice(matter: Matter, suggestions: list[dict[str, Any]],
                           user: User | None) -> str | None:
    """Event 分类建议采纳 / 分类建议更正: did the officer keep the model's first suggestion?

    One timeline entry (``services.record_event``) and its audit row, in one transaction."""
    if not suggestions or matter.category_id is None or suggestions[0].get("outside"):
        return None
    top = suggestions[0]
    chosen = category_label(matter.category)
    adopted = chosen == top["label"]
    label = gettext_noop("分类建议采纳") if adopted else gettext_noop(CORRECTED)  # stored: Chinese
    data = {"suggested": [s["label"] for s in suggestions], "top": top["label"],
            "top_prob": top["prob"], "chosen": chosen, "adopted": adopted}
    with transaction.atomic():
        services.record_event(
            matter, "category_suggestion", label, matter.state, matter.state, user, "",
            note=f"建议“{top['label']}”（{top['percent']}%），登记为“{chosen}”", public=False,
            data=data)
        audit.record("category_suggestion", actor=user, object_type="matter",
                     object_id=matter.pk, matter_id=matter.pk, data=data)
    return label
