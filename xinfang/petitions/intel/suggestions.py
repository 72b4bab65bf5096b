"""Category suggestions at intake: the classifier trained from the deployment's own
labelled matters, its training, and the record of whether the officer kept its choice.

The model (``xinfang nlp-train-db``) lives in ``XINFANG_MODEL_DIR/category``; it is loaded
lazily and cached per process (reloaded when its ``meta.json`` changes). Without a model
the intake form shows no suggestions. The label is the top-level category name, or the
leaf's name with ``XINFANG_NLP_LABEL_LEVEL = "leaf"``. Training reads ``Matter.category``,
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
CORRECTED = "分类建议更正"
OUTSIDE = gettext_noop("不属于已知分类")
# With 7 labels a uniform guess is 0.14; below 0.35 the best label is no better than a coin
# toss between it and the rest, so the model abstains (docs/nlp.md).
ABSTAIN_BELOW = 0.35


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
    rows = (Matter.objects.filter(category__isnull=False).exclude(access.confidential_q())
            .order_by("-received_at", "-pk")
            .values_list("title", "content", "category__name", "category__parent__name",
                         "suggested_category")[:cap])
    leaf = label_level() == "leaf"
    texts, labels, corrections = [], [], 0
    for title, content, name, parent, suggested in rows:
        label = name if leaf or not parent else parent
        texts.append(matter_text(title, content)[:TEXT_CHARS])
        labels.append(label)
        if (suggested and isinstance(suggested, list) and not suggested[0].get("outside")
                and suggested[0].get("label") != label):
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

    clf = Classifier(calibration_folds=CALIBRATION_FOLDS).fit([t for t, _ in pairs],
                                                              [lbl for _, lbl in pairs])
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
    with lock:
        state.pop("clf", None)
    secs = time.monotonic() - t0
    log_fn(f"分类模型已训练：{len(pairs)} 件、{len(keep)} 类（其中人工更正 {corrections} 件），"
           f"{secs:.1f}s → {target}")
    return {"trained": True, "n": len(pairs), "labels": sorted(keep), "corrections": corrections,
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
