"""Category classifier: TF-IDF (characters + jieba words, title weighted) + a keyword lexicon
+ calibrated linear SVM, optionally helped by weakly labelled messages (see :mod:`.weak`).

Any deployment trains on its own labelled history; nothing is downloaded at run time.
Plain Python: never import Django here.
"""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from .text import normalize, split_space, tokenize_joined

FORMAT_VERSION = 3  # 3: the library versions the model was made with (``libraries``)
READABLE_VERSIONS = (3,)


class IncompatibleModel(ValueError):
    """A saved model made with other library versions than the running ones: retrain it."""


def library_versions() -> dict[str, str]:
    """The versions a pickled model depends on, recorded beside it."""
    import platform
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "scipy", "jieba"):
        out[dist] = version(dist)
    return out


def _release(v: str, parts: int) -> tuple[str, ...]:
    return tuple(v.split(".")[:parts])


# What must match for a pickle to mean the same model: scikit-learn and Python to the minor
# (estimators' internals change between minors), numpy and scipy to the major.
_MUST_MATCH = {"scikit-learn": 2, "python": 2, "numpy": 1, "scipy": 1}


def check_versions(recorded: dict[str, str] | None) -> None:
    """Raise IncompatibleModel (Chinese and English) unless ``recorded`` fits the running
    libraries."""
    retrain = "请用 `xinfang nlp train` 或 `xinfang nlp-train-db` 重新训练 / retrain the model"
    if not recorded:
        raise IncompatibleModel(
            f"模型文件未记录训练时的库版本，无法确认兼容，{retrain} "
            "(the model does not record the library versions it was made with)")
    now = library_versions()
    bad = [f"{lib} {recorded.get(lib, '?')} → {now[lib]}" for lib, parts in _MUST_MATCH.items()
           if _release(str(recorded.get(lib, "")), parts) != _release(now[lib], parts)]
    if bad:
        raise IncompatibleModel(
            f"模型由不兼容的库版本训练（{'；'.join(bad)}），{retrain} "
            f"(made with incompatible library versions: {', '.join(bad)})")
LEXICON_FILE = Path(__file__).with_name("data") / "category_lexicon.txt"
LEXICON_WEIGHT = 0.3
EXTRA_WEIGHT = 0.3
MODEL_FILE = "model.pkl"
META_FILE = "meta.json"

# A document is either one string ("title\nbody" or just body) or a sequence of fields
# whose first item is the title: ("小区物业乱收费", "我们小区……").
Doc = str | Sequence[str | None]


@dataclass(frozen=True, slots=True)
class Prepared:
    title: str
    full: str  # title + body, normalised
    title_words: str  # space-joined jieba tokens
    full_words: str


def prepare(doc: Doc) -> Prepared:
    if isinstance(doc, str):
        head, _, rest = doc.partition("\n")
        fields: Sequence[str | None] = (head, rest) if rest.strip() else ("", head)
    else:
        fields = list(doc) if len(doc) > 1 else ["", *doc]
    title = normalize(fields[0])
    body = "。".join(x for x in (normalize(f) for f in fields[1:]) if x)
    full = f"{title}。{body}" if title else body
    tw = tokenize_joined(title)
    bw = tokenize_joined(body)
    return Prepared(title, full, tw, f"{tw} {bw}".strip())


class _Features:
    """Four TF-IDF blocks: characters 1–3 of the whole text, words of the whole text,
    characters 1–2 of the title, words of the title; then the keyword lexicon and the margins
    of a model of weakly labelled messages, when given."""

    def __init__(self, lexicon: _Lexicon | None = None, stacked: _Stacked | None = None) -> None:
        self.lexicon = lexicon
        self.stacked = stacked
        self.blocks = [
            ("full", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)),
            ("full_words", TfidfVectorizer(analyzer=split_space, sublinear_tf=True)),
            ("title", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)),
            ("title_words", TfidfVectorizer(analyzer=split_space, sublinear_tf=True)),
        ]
        self.active: list[bool] = []

    def fit_transform(self, docs: Sequence[Prepared]) -> csr_matrix:
        mats = []
        self.active = []
        for attr, vec in self.blocks:
            texts = [getattr(d, attr) for d in docs]
            if attr == "full" and len(docs) < 50:
                vec.set_params(min_df=1)
            try:
                mats.append(vec.fit_transform(texts))
                self.active.append(True)
            except ValueError:  # empty vocabulary, e.g. no titles at all
                self.active.append(False)
        return hstack([*mats, *self._dense(docs)]).tocsr()

    def _dense(self, docs: Sequence[Prepared]) -> list[csr_matrix]:
        # Models saved in format 1 have neither attribute.
        extra = (getattr(self, "lexicon", None), getattr(self, "stacked", None))
        return [x.transform(docs) for x in extra if x is not None]

    def transform(self, docs: Sequence[Prepared]) -> csr_matrix:
        mats = [
            vec.transform([getattr(d, attr) for d in docs])
            for (attr, vec), on in zip(self.blocks, self.active, strict=True)
            if on
        ]
        return hstack([*mats, *self._dense(docs)]).tocsr()


def load_lexicon(path: str | Path = LEXICON_FILE) -> dict[str, tuple[str, ...]]:
    """Keyword groups, one per line: ``name<TAB>term term …`` (``#`` starts a comment)."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in Path(path).read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, terms = line.partition("\t")
        groups[name.strip()] = tuple(normalize(t) for t in terms.split() if t.strip())
    return groups


class _Lexicon:
    """Per keyword group: log(1 + number of its terms in the whole text) and in the title.

    A dozen dense columns that tell the model which department's vocabulary a message uses;
    they generalise from few examples where single n-grams cannot. Weighted by ``weight``
    against the TF-IDF blocks."""

    def __init__(self, groups: dict[str, tuple[str, ...]], weight: float = LEXICON_WEIGHT) -> None:
        self.names = list(groups)
        self.terms = [groups[n] for n in self.names]
        self.weight = weight

    def transform(self, docs: Sequence[Prepared]) -> csr_matrix:
        k = len(self.names)
        M = np.zeros((len(docs), 2 * k))
        for i, d in enumerate(docs):
            for j, terms in enumerate(self.terms):
                M[i, j] = sum(t in d.full for t in terms)
                M[i, k + j] = sum(t in d.title for t in terms)
        return csr_matrix(self.weight * np.log1p(M))


class _Stacked:
    """A linear SVM trained on weakly labelled messages only; its margins become features of
    the main model, which learns how far to trust each of them. It never sees the main
    training labels, so its margins on the training rows are not over-fitted."""

    def __init__(self, docs: Sequence[Prepared], labels: Sequence[str], weight: float = EXTRA_WEIGHT) -> None:
        self.features = _Features(lexicon=None)
        X = self.features.fit_transform(docs)
        self.model = LinearSVC().fit(X, np.asarray(labels, dtype=object))
        self.weight = weight

    def transform(self, docs: Sequence[Prepared]) -> csr_matrix:
        return csr_matrix(self.weight * _margins(self.model, self.features.transform(docs)))


def _margins(model: LinearSVC, X: csr_matrix) -> np.ndarray:
    d = np.asarray(model.decision_function(X))
    return np.stack([-d, d], axis=1) if d.ndim == 1 else d


def _fit_temperature(margins: np.ndarray, truth: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of out-of-fold margins."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = margins * np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(truth)), truth].mean())

    res = minimize_scalar(nll, bounds=(-3.0, 4.0), method="bounded")
    return float(np.exp(res.x))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return p


class Classifier:
    """Train with :meth:`fit`, persist with :meth:`save`, reload with :meth:`load`.

    Confidence is a softmax of the SVM margins with one temperature fitted, by maximum
    likelihood, on out-of-fold margins from stratified cross-validation (temperature scaling).
    """

    def __init__(self, C: float = 1.0, calibration_folds: int = 5, random_state: int = 0,
                 lexicon: bool | str | Path = True, lexicon_weight: float = LEXICON_WEIGHT,
                 extra_weight: float = EXTRA_WEIGHT) -> None:
        self.C = C
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        # True: the shipped keyword groups; a path: another lexicon file; False: TF-IDF only.
        self.lexicon = lexicon
        self.lexicon_weight = lexicon_weight
        self.extra_weight = extra_weight
        self.features = _Features()
        self.model: Any = None
        self.temperature = 1.0
        self.labels: list[str] = []
        self.meta: dict[str, Any] = {}

    # -- training ------------------------------------------------------------------
    def fit(self, docs: Sequence[Doc], labels: Sequence[str],
            extra: tuple[Sequence[Doc], Sequence[str]] | None = None) -> Classifier:
        """Train on ``docs``/``labels``. ``extra`` = (docs, labels) of weakly labelled
        messages (e.g. :func:`.weak.weak_rows`): they train a separate model whose margins
        are stacked as features; they are never mixed into the main training rows."""
        if len(docs) != len(labels):
            raise ValueError("docs and labels differ in length")
        counts = Counter(labels)
        if len(counts) < 2:
            raise ValueError("need at least two distinct labels to train")
        prepared = [prepare(d) for d in docs]
        lexicon = None
        if self.lexicon is not False:
            path = LEXICON_FILE if self.lexicon is True else Path(self.lexicon)
            lexicon = _Lexicon(load_lexicon(path), self.lexicon_weight)
        stacked = None
        if extra is not None and len(set(extra[1])) >= 2:
            stacked = _Stacked([prepare(d) for d in extra[0]], list(extra[1]), self.extra_weight)
        self.features = _Features(lexicon, stacked)
        X = self.features.fit_transform(prepared)
        y = np.asarray(labels, dtype=object)
        folds = min(self.calibration_folds, min(counts.values()))
        self.model = LinearSVC(C=self.C).fit(X, y)
        if folds >= 2:
            # Out-of-fold margins -> one temperature for a softmax (temperature scaling).
            cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            margins = np.zeros((len(y), len(self.model.classes_)))
            for tr, te in cv.split(X, y):
                m = LinearSVC(C=self.C).fit(X[tr], y[tr])
                cols = np.searchsorted(self.model.classes_, m.classes_)
                margins[np.ix_(te, cols)] = _margins(m, X[te])
            truth = np.searchsorted(self.model.classes_, y)
            self.temperature = _fit_temperature(margins, truth)
        else:  # too few examples of some class to calibrate
            self.temperature = 3.0
        self.labels = [str(c) for c in self.model.classes_]
        self.meta = {
            "format_version": FORMAT_VERSION,
            "libraries": library_versions(),
            "labels": self.labels,
            "n_train": len(docs),
            "class_counts": dict(counts),
            "calibration": "temperature" if folds >= 2 else "fixed",
            "temperature": self.temperature,
            "C": self.C,
            "lexicon": None if lexicon is None else {"groups": len(lexicon.names), "weight": lexicon.weight},
            "extra": None if stacked is None else {"n": len(extra[1]) if extra else 0,
                                                   "weight": stacked.weight},
        }
        return self

    # -- inference -----------------------------------------------------------------
    def predict_proba(self, docs: Sequence[Doc]) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("classifier is not trained")
        if not docs:
            return np.zeros((0, len(self.labels)))
        X = self.features.transform([prepare(d) for d in docs])
        return _softmax(_margins(self.model, X) * self.temperature)

    def predict(self, docs: Sequence[Doc]) -> list[tuple[str, float]]:
        """(label, confidence) for every document, in order."""
        P = self.predict_proba(docs)
        idx = P.argmax(axis=1)
        return [(self.labels[i], float(P[r, i])) for r, i in enumerate(idx)]

    def top_k(self, text: Doc, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels with calibrated probabilities, most likely first.

        ``text`` is "title\\nbody", a bare body, or a (title, body) pair.
        """
        P = self.predict_proba([text])[0]
        order = np.argsort(-P)[:k]
        return [(self.labels[i], float(P[i])) for i in order]

    def explain(self, text: Doc, label: str, n: int = 5) -> list[str]:
        """The words and character runs of ``text`` that pushed it most towards ``label``: the
        largest positive products of the linear model's weight and the text's TF-IDF value,
        over the word and character blocks (the lexicon and stacked columns are left out).
        Same word in the title and whole-text blocks counts once, summed."""
        if self.model is None or label not in self.labels:
            return []
        X = self.features.transform([prepare(text)]).tocsr()
        coef = self.model.coef_
        k = self.labels.index(label)
        row = (coef[0] if k == 1 else -coef[0]) if coef.shape[0] == 1 else coef[k]
        names: list[str] = []
        for (_attr, vec), on in zip(self.features.blocks, self.features.active, strict=True):
            if on:
                names.extend(str(x) for x in vec.get_feature_names_out())
        score: dict[str, float] = {}
        for j, v in zip(X.indices.tolist(), X.data.tolist(), strict=True):
            if j < len(names) and len(names[j].strip()) >= 2:
                score[names[j]] = score.get(names[j], 0.0) + v * float(row[j])
        best = sorted((w for w, c in score.items() if c > 0), key=lambda w: -score[w])
        out: list[str] = []
        for w in best:  # a character run inside a word already chosen adds nothing
            if not any(w in o for o in out):
                out.append(w)
            if len(out) == n:
                break
        return out

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        with open(d / MODEL_FILE, "wb") as fh:
            pickle.dump({"features": self.features, "model": self.model, "labels": self.labels}, fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        (d / META_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), "utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Classifier:
        """Load a model directory written by :meth:`save`. Only load directories you trust:
        the model is a pickle."""
        d = Path(directory)
        meta = json.loads((d / META_FILE).read_text("utf-8"))
        if meta.get("format_version") not in READABLE_VERSIONS:
            check_versions(meta.get("libraries"))  # an older format records none: retrain
            raise ValueError(f"unsupported model format {meta.get('format_version')!r}")
        check_versions(meta.get("libraries"))
        with open(d / MODEL_FILE, "rb") as fh:
            state = pickle.load(fh)  # trusted model directory only
        obj = cls(C=float(meta.get("C", 1.0)))
        obj.features, obj.model, obj.labels, obj.meta = state["features"], state["model"], state["labels"], meta
        obj.temperature = float(meta["temperature"])
        return obj


def cross_validate(docs: Sequence[Doc], labels: Sequence[str], folds: int = 5,
                   random_state: int = 0, extra: tuple[Sequence[Doc], Sequence[str]] | None = None,
                   **params: Any) -> dict[str, Any]:
    """Stratified k-fold cross-validation: macro-F1, accuracy, per-class F1, the confusion
    matrix and calibration. ``extra`` (weakly labelled rows) only ever joins the training
    side of a fold; deduplicate it against ``docs`` first (:func:`.weak.weak_rows`)."""
    y = np.asarray(labels, dtype=object)
    pred = np.empty(len(y), dtype=object)
    conf = np.zeros(len(y))
    skf = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    for tr, te in skf.split(np.zeros(len(y)), y):
        clf = Classifier(**params).fit([docs[i] for i in tr], list(y[tr]), extra=extra)
        out = clf.predict([docs[i] for i in te])
        pred[te] = [p for p, _ in out]
        conf[te] = [c for _, c in out]
    classes = sorted(set(y))
    per_class = f1_score(y, pred, labels=classes, average=None)
    correct = pred == y
    # Calibration check: mean confidence vs. accuracy, and the Brier-like gap per decile.
    bins = np.clip((conf * 10).astype(int), 0, 9)
    reliability = [
        {"bin": f"{b / 10:.1f}-{(b + 1) / 10:.1f}", "n": int((bins == b).sum()),
         "mean_confidence": round(float(conf[bins == b].mean()), 4),
         "accuracy": round(float(correct[bins == b].mean()), 4)}
        for b in range(10) if (bins == b).any()
    ]
    return {
        "n": len(y),
        "folds": folds,
        "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "per_class_f1": {c: round(float(f), 4) for c, f in zip(classes, per_class, strict=True)},
        # rows: true label, columns: predicted label, both in the order of "labels".
        "labels": classes,
        "confusion": confusion_matrix(y, pred, labels=classes).tolist(),
        "mean_confidence": round(float(conf.mean()), 4),
        "expected_calibration_error": round(float(sum(
            (bins == b).sum() / len(y) * abs(conf[bins == b].mean() - correct[bins == b].mean())
            for b in range(10) if (bins == b).any())), 4),
        "reliability": reliability,
    }
