"""``xinfang nlp …`` command line: train, predict, eval, similar, topics, bench-similar.

The project's console script calls :func:`main` with the arguments after ``nlp``.
Run directly with ``python -m xinfang.nlp.cli …``. Plain Python: never import Django here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .io import CsvError, read_rows, split_cols, write_rows


def _docs(rows: list[dict[str, str]], cols: list[str]) -> list[tuple[str, ...]]:
    return [tuple(r[c] for c in cols) for r in rows]


def _extra(a: argparse.Namespace, rows: list[dict[str, str]],
           cols: list[str]) -> tuple[list[tuple[str, str]], list[str]] | None:
    """Weakly labelled messages from --extra-replies, minus every message whose title or body
    also occurs in the training CSV, in an --exclude CSV, or in any other CSV beside the
    training CSV (such as an evaluation set): those texts must never enter training."""
    if not a.extra_replies:
        return None
    from .weak import exclusion_keys, text_keys, weak_rows

    keys: set[str] = set()
    for r in rows:
        keys |= text_keys(r[cols[0]], "".join(r[c] for c in cols[1:]))
    train_csv = Path(a.csv).resolve()
    siblings = [p for p in sorted(train_csv.parent.glob("*.csv")) if p != train_csv]
    for path in [*siblings, *map(Path, a.exclude or [])]:
        try:
            keys |= exclusion_keys(path, cols)
        except CsvError:
            if path not in siblings:  # an explicit --exclude must have the text columns
                raise
    weak = weak_rows(a.extra_replies, keys)
    print(json.dumps({"extra_replies": str(a.extra_replies), "weak_rows": len(weak)},
                     ensure_ascii=False), file=sys.stderr)
    return [(w.title, w.body) for w in weak], [w.label for w in weak]


def _clf_params(a: argparse.Namespace) -> dict[str, object]:
    return {"C": a.C, "lexicon": False if a.no_lexicon else (a.lexicon or True),
            "extra_weight": a.extra_weight}


def cmd_train(a: argparse.Namespace) -> int:
    from .classify import Classifier

    cols = split_cols(a.text_cols)
    rows = read_rows(a.csv, [*cols, a.label_col])
    rows = [r for r in rows if r[a.label_col].strip()]
    t0 = time.perf_counter()
    extra = _extra(a, rows, cols)
    clf = Classifier(**_clf_params(a)).fit(_docs(rows, cols), [r[a.label_col].strip() for r in rows],  # type: ignore[arg-type]
                                            extra=extra)
    clf.meta["text_cols"] = cols
    clf.save(a.model)
    print(json.dumps({"model": str(a.model), "n_train": len(rows), "labels": clf.labels,
                      "n_extra": len(extra[1]) if extra else 0,
                      "seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False))
    return 0


def cmd_predict(a: argparse.Namespace) -> int:
    from .classify import Classifier

    cols = split_cols(a.text_cols)
    rows = read_rows(a.csv, cols)
    clf = Classifier.load(a.model)
    has_id = bool(rows) and a.id_col in rows[0]
    preds = clf.predict(_docs(rows, cols))
    n = write_rows(a.out, ["id", "label", "confidence"], (
        (r[a.id_col] if has_id else str(i + 1), label, f"{conf:.4f}")
        for i, (r, (label, conf)) in enumerate(zip(rows, preds, strict=True))
    ))
    print(json.dumps({"out": str(a.out), "rows": n}, ensure_ascii=False))
    return 0


def cmd_eval(a: argparse.Namespace) -> int:
    from .classify import cross_validate

    cols = split_cols(a.text_cols)
    rows = [r for r in read_rows(a.csv, [*cols, a.label_col]) if r[a.label_col].strip()]
    t0 = time.perf_counter()
    extra = _extra(a, rows, cols)
    res = cross_validate(_docs(rows, cols), [r[a.label_col].strip() for r in rows],
                         folds=a.folds, extra=extra, **_clf_params(a))  # type: ignore[arg-type]
    res["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    return 0


def _joined(rows: list[dict[str, str]], cols: list[str]) -> list[str]:
    """First column = title (first line), the rest = body."""
    return [r[cols[0]].strip() + "\n" + "\n".join(r[c] for c in cols[1:]) for r in rows]


def cmd_similar(a: argparse.Namespace) -> int:
    from .similarity import similar_pairs

    cols = split_cols(a.text_cols)
    rows = read_rows(a.csv, [*cols, a.id_col])
    items = list(zip([r[a.id_col] for r in rows], _joined(rows, cols), strict=True))
    t0 = time.perf_counter()
    pairs = similar_pairs(items, threshold=a.threshold)
    n = write_rows(a.out, ["id_a", "id_b", "score"], ((x, y, f"{s:.4f}") for x, y, s in pairs))
    print(json.dumps({"out": str(a.out), "rows": len(rows), "pairs": n,
                      "threshold": a.threshold, "seconds": round(time.perf_counter() - t0, 1)},
                     ensure_ascii=False))
    return 0


def _int(r: dict[str, str], col: str) -> int:
    try:
        return int(float(r[col])) if col else 0
    except (KeyError, ValueError):
        return 0


def _col(a_value: str | None, header: Sequence[str], default: str) -> str:
    """An optional column: the one asked for, else ``default`` when the CSV has it ("" = off)."""
    if a_value is not None:
        return a_value
    return default if default in header else ""


def _header(path: str) -> list[str]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def cmd_topics(a: argparse.Namespace) -> int:
    from .topics import TopicItem, cluster_topics
    from .warning import parse_date

    cols = split_cols(a.text_cols)
    header = _header(a.csv)
    votes_col = _col(a.votes_col, header, "点赞数")
    dislikes_col = _col(a.dislikes_col, header, "反对数")
    time_col = _col(a.time_col, header, "留言时间")
    user_col = _col(a.user_col, header, "留言用户")
    need = [*cols, a.id_col] + [c for c in (votes_col, dislikes_col, time_col, user_col) if c]
    rows = read_rows(a.csv, need)
    texts = _joined(rows, cols)
    t0 = time.perf_counter()
    items = [TopicItem(r[a.id_col], t, _int(r, votes_col), None, None,
                       parse_date(r[time_col]) if time_col else None, _int(r, dislikes_col),
                       r[user_col] or None if user_col else None)
             for r, t in zip(rows, texts, strict=True)]
    topics = cluster_topics(items, threshold=a.threshold, min_size=a.min_size,
                            votes_per_message=a.votes_per_message)
    write_rows(a.out, ["rank", "kind", "topic", "heat", "first", "last", "span_days", "messages",
                           "petitioners", "likes", "dislikes", "places", "keywords", "ids"], (
        (n, "single" if t.single else "topic", t.label, t.heat,
         t.first.isoformat() if t.first else "", t.last.isoformat() if t.last else "", t.span_days,
         t.size, t.petitioners, t.votes, t.dislikes, " ".join(t.entities), " ".join(t.keywords),
         " ".join(t.ids)) for n, t in enumerate(topics, start=1)))
    print(json.dumps({"out": str(a.out), "rows": len(rows), "topics": sum(not t.single for t in topics),
                      "singles": sum(t.single for t in topics), "votes": votes_col or None,
                      "dislikes": dislikes_col or None, "time": time_col or None,
                      "seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False))
    return 0


def cmd_warn(a: argparse.Namespace) -> int:
    from .topics import TopicItem, cluster_topics
    from .warn import topic_warnings
    from .warning import parse_date

    cols = split_cols(a.text_cols)
    header = _header(a.csv)
    votes_col = _col(a.votes_col, header, "点赞数")
    dislikes_col = _col(a.dislikes_col, header, "反对数")
    user_col = _col(a.user_col, header, "留言用户")
    need = [*cols, a.id_col, a.time_col] + [c for c in (votes_col, dislikes_col, user_col) if c]
    rows = read_rows(a.csv, need)
    t0 = time.perf_counter()
    items = [TopicItem(r[a.id_col], t, _int(r, votes_col), None, None, parse_date(r[a.time_col]),
                       _int(r, dislikes_col), r[user_col] or None if user_col else None)
             for r, t in zip(rows, _joined(rows, cols), strict=True)]
    undated = sum(it.when is None for it in items)
    topics = cluster_topics(items, min_size=a.min_size)
    warns = topic_warnings(topics, items, a.period, min_persons=a.min_persons,
                           attention_votes=a.attention_votes)
    out_rows = []
    for w in warns:
        for n in w.flagged:
            how = sorted({x.method for x in w.alerts if x.index == n} | ({"attention"} if n in w.attention else set()))
            base = next((x.baseline for x in w.alerts if x.index == n), "")
            out_rows.append((w.rank, w.topic.label, w.starts[n].isoformat(), w.counts[n], base,
                             "+".join(how), w.topic.size))
    n = write_rows(a.out, ["topic_rank", "topic", "period_start", "count", "baseline", "method",
                           "topic_messages"], out_rows)
    largest = sorted(warns, key=lambda w: (-w.topic.size, w.rank))[:5]
    summary = [{"topic": w.topic.label, "messages": w.topic.size,
                "first_above_baseline": str(w.first_above_baseline or ""),
                "first_flagged": str(w.first_flagged or ""),
                "delay_periods": ((w.first_flagged - w.first_above_baseline).days // (7 if a.period == "week" else 1)
                                  if w.first_flagged and w.first_above_baseline else None)}
               for w in largest]
    print(json.dumps({"out": str(a.out), "rows": len(rows), "undated": undated, "period": a.period,
                      "topics": len(warns), "flags": n, "largest_topics": summary,
                      "seconds": round(time.perf_counter() - t0, 1)}, ensure_ascii=False, indent=1))
    return 0


def cmd_eval_similar(a: argparse.Namespace) -> int:
    from .similarity import evaluate_pairs

    cols = split_cols(a.text_cols)
    rows = read_rows(a.csv, [*cols, a.id_col])
    items = list(zip([r[a.id_col] for r in rows], _joined(rows, cols), strict=True))
    labelled = [(r["id_a"], r["id_b"], r["same"] == "1", r.get("stratum", ""))
                for r in read_rows(a.pairs, ["id_a", "id_b", "same"])]
    out: dict[str, object] = {}
    groups = {"all": labelled,
              "re-posts": [p for p in labelled if p[3] == "repost"],
              "other": [p for p in labelled if p[3] != "repost"]}
    for name, group in groups.items():
        if group:
            out[name] = evaluate_pairs(items, [(x, y, s) for x, y, s, _ in group], a.threshold)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _default_bench_csv() -> Path:
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tipdm2020c" / "messages-with-votes.csv"


def cmd_bench_similar(a: argparse.Namespace) -> int:
    from . import bench

    path = Path(a.csv) if a.csv else _default_bench_csv()
    if path.exists():
        cols = split_cols(a.text_cols)
        rows = read_rows(path, cols)
        base = [(r[cols[0]], "\n".join(r[c] for c in cols[1:])) for r in rows]
        source = str(path)
    else:  # no real data: mutate a few built-in sentences
        base = [(t, b) for t, b in bench.BUILTIN]
        source = "built-in"
    res = bench.run(base, a.n, queries=a.queries, seed=a.seed, progress=a.n >= 200_000)
    out = {"source": source, **res.as_dict()}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def cmd_bench_topics(a: argparse.Namespace) -> int:
    """The cost of the app's ``topics`` job: cluster ``--n`` synthetic matters (mutated real
    messages, dated over 180 days) in full, as the daily full run does; then save and load the
    state and add ``--new`` more matters (dated after them), as the job's incremental run does
    every 15 minutes."""
    import os
    import random
    import resource
    import tempfile
    from datetime import date, timedelta

    from . import bench
    from .topics import TopicItem, TopicState

    path = Path(a.csv) if a.csv else _default_bench_csv()
    if path.exists():
        rows = read_rows(path, ["留言主题", "留言详情"])
        base = [(r["留言主题"], r["留言详情"]) for r in rows]
    else:
        base = list(bench.BUILTIN)
    rng = random.Random(a.seed)
    start = date(2026, 1, 1)
    corpus = list(bench.synthetic_corpus(base, a.n + a.new, seed=a.seed))
    items = [TopicItem(i, text, 0, None, None, start + timedelta(days=rng.randrange(180)), 0, f"p{k}")
             for k, (i, text) in enumerate(corpus[: a.n])]
    new = [TopicItem(i, text, 0, None, None, start + timedelta(days=180), 0, f"q{k}")
           for k, (i, text) in enumerate(corpus[a.n :])]
    del corpus
    out: dict[str, object] = {"n": a.n, "workers": a.workers, "load_before": [round(x, 2) for x in os.getloadavg()]}
    w0, c0 = time.perf_counter(), time.process_time()
    state = TopicState()
    state.add(items, workers=a.workers)
    topics = state.topics(min_size=2)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the forked query workers, reaped
    out["full"] = {"topics": len(topics), "wall_seconds": round(time.perf_counter() - w0, 1),
                   "cpu_seconds": round(time.process_time() - c0, 1),
                   "workers_cpu_seconds": round(kids.ru_utime + kids.ru_stime, 1)}
    del items
    with tempfile.TemporaryDirectory() as tmp:
        w0 = time.perf_counter()
        saved = state.save(Path(tmp) / "topics.pkl")
        out["state_mb"] = round(saved.stat().st_size / 2**20, 1)
        out["save_seconds"] = round(time.perf_counter() - w0, 1)
        del state
        if a.new:
            w0, c0 = time.perf_counter(), time.process_time()
            loaded = TopicState.load(saved)
            assert loaded is not None
            got = loaded.update(new)
            topics = loaded.topics(min_size=2)
            out["incremental"] = {**got, "topics": len(topics),
                                  "wall_seconds": round(time.perf_counter() - w0, 1),
                                  "cpu_seconds": round(time.process_time() - c0, 1)}
    out["rss_mb"] = round(bench._rss_mb())
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--C", type=float, default=1.0, help=argparse.SUPPRESS)
    p.add_argument("--no-lexicon", action="store_true",
                   help="TF-IDF only, without the keyword-group features (the model before 2026-11)")
    p.add_argument("--lexicon", help="another keyword-group file (name<TAB>terms per line)")
    p.add_argument("--extra-replies", metavar="PATH",
                   help="optional weak labels: a CSV of messages with official replies "
                        "(留言主题,留言详情,答复意见); the answering department gives the label")
    p.add_argument("--exclude", action="append", metavar="CSV",
                   help="drop extra rows whose title or body occurs in this CSV (repeatable); "
                        "other CSVs beside --csv are always excluded")
    p.add_argument("--extra-weight", type=float, default=0.3, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xinfang nlp", description="信访文本智能：分类、重复件识别、热点、预警")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train a category classifier on a labelled CSV")
    t.add_argument("--csv", required=True)
    t.add_argument("--text-cols", default="title,body", help="comma-separated; the first is the title")
    t.add_argument("--label-col", default="label")
    t.add_argument("--model", required=True, help="output model directory")
    _model_args(t)
    t.set_defaults(func=cmd_train)

    pr = sub.add_parser("predict", help="write id,label,confidence for every row")
    pr.add_argument("--model", required=True)
    pr.add_argument("--csv", required=True)
    pr.add_argument("--text-cols", default="title,body")
    pr.add_argument("--id-col", default="id")
    pr.add_argument("--out", required=True)
    pr.set_defaults(func=cmd_predict)

    e = sub.add_parser("eval", help="stratified k-fold cross-validation; prints JSON")
    e.add_argument("--csv", required=True)
    e.add_argument("--text-cols", default="title,body")
    e.add_argument("--label-col", default="label")
    e.add_argument("--folds", type=int, default=5)
    _model_args(e)
    e.set_defaults(func=cmd_eval)

    from .similarity import DEFAULT_THRESHOLD

    si = sub.add_parser("similar", help="write id_a,id_b,score for every pair judged the same matter")
    si.add_argument("--csv", required=True)
    si.add_argument("--text-cols", default="留言主题,留言详情", help="comma-separated; the first is the title")
    si.add_argument("--id-col", default="留言编号")
    si.add_argument("--out", required=True)
    si.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    si.set_defaults(func=cmd_similar)

    tp = sub.add_parser("topics", help="hot topics: one row per topic, largest first")
    tp.add_argument("--csv", required=True)
    tp.add_argument("--text-cols", default="留言主题,留言详情")
    tp.add_argument("--id-col", default="留言编号")
    tp.add_argument("--votes-col", default=None,
                    help="likes column (default 点赞数 when the CSV has it; '' to ignore votes)")
    tp.add_argument("--dislikes-col", default=None, help="default 反对数 when present")
    tp.add_argument("--time-col", default=None,
                    help="date column (default 留言时间 when present): bursts and time span")
    tp.add_argument("--user-col", default=None, help="author column (default 留言用户 when present)")
    tp.add_argument("--out", required=True)
    tp.add_argument("--threshold", type=float, default=0.22)
    tp.add_argument("--min-size", type=float, default=2,
                    help="smallest topic written: messages + votes/--votes-per-message (default 2)")
    tp.add_argument("--votes-per-message", type=float, default=20)
    tp.set_defaults(func=cmd_topics)

    w = sub.add_parser("warn", help="rising-count tests per hot topic over time (daily or weekly)")
    w.add_argument("--csv", required=True)
    w.add_argument("--time-col", required=True, help="date column, e.g. 留言时间")
    w.add_argument("--period", choices=("week", "day"), default="week")
    w.add_argument("--text-cols", default="留言主题,留言详情")
    w.add_argument("--id-col", default="留言编号")
    w.add_argument("--votes-col", default=None, help="default 点赞数 when present")
    w.add_argument("--dislikes-col", default=None, help="default 反对数 when present")
    w.add_argument("--user-col", default=None, help="default 留言用户 when present")
    w.add_argument("--min-persons", type=int, default=2,
                   help="distinct petitioners a flagged period needs (default 2)")
    w.add_argument("--attention-votes", type=int, default=100,
                   help="votes in one period that flag it whatever the count (default 100)")
    w.add_argument("--min-size", type=float, default=3, help="smallest topic tested (default 3)")
    w.add_argument("--out", required=True, help="CSV: one row per flagged topic and period")
    w.set_defaults(func=cmd_warn)

    es = sub.add_parser("eval-similar", help="precision/recall on labelled pairs (id_a,id_b,same)")
    es.add_argument("--csv", required=True)
    es.add_argument("--pairs", required=True)
    es.add_argument("--text-cols", default="留言主题,留言详情")
    es.add_argument("--id-col", default="留言编号")
    es.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    es.set_defaults(func=cmd_eval_similar)

    bt = sub.add_parser("bench-topics", help="time hot-topic clustering of N synthetic matters")
    bt.add_argument("--n", type=int, default=20_000)
    bt.add_argument("--new", type=int, default=500,
                    help="matters added by the incremental run after the full one (default 500)")
    bt.add_argument("--workers", type=int, default=2,
                    help="processes for the full run's queries, as the job (default 2)")
    bt.add_argument("--csv", help="real messages to mutate (default: the board's messages-with-votes.csv)")
    bt.add_argument("--seed", type=int, default=0)
    bt.set_defaults(func=cmd_bench_topics)

    b = sub.add_parser("bench-similar", help="lookup latency against N synthetic historic matters")
    b.add_argument("--n", type=int, default=100_000)
    b.add_argument("--queries", type=int, default=1000)
    b.add_argument("--csv", help="real messages to mutate (default: ../shared/data/tipdm2020c/messages-with-votes.csv)")
    b.add_argument("--text-cols", default="留言主题,留言详情")
    b.add_argument("--seed", type=int, default=0)
    b.set_defaults(func=cmd_bench_similar)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.func(args))
    except (CsvError, FileNotFoundError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
