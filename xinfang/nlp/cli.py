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

from .io import CsvError, read_rows, split_cols, write_rows


def _docs(rows: list[dict[str, str]], cols: list[str]) -> list[tuple[str, ...]]:
    return [tuple(r[c] for c in cols) for r in rows]


def cmd_train(a: argparse.Namespace) -> int:
    from .classify import Classifier

    cols = split_cols(a.text_cols)
    rows = read_rows(a.csv, [*cols, a.label_col])
    rows = [r for r in rows if r[a.label_col].strip()]
    t0 = time.perf_counter()
    clf = Classifier(C=a.C).fit(_docs(rows, cols), [r[a.label_col].strip() for r in rows])
    clf.meta["text_cols"] = cols
    clf.save(a.model)
    print(json.dumps({"model": str(a.model), "n_train": len(rows), "labels": clf.labels,
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
    res = cross_validate(_docs(rows, cols), [r[a.label_col].strip() for r in rows],
                         folds=a.folds, C=a.C)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(res, ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xinfang nlp", description="信访文本智能：分类、重复件识别、热点、预警")
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("train", help="train a category classifier on a labelled CSV")
    t.add_argument("--csv", required=True)
    t.add_argument("--text-cols", default="title,body", help="comma-separated; the first is the title")
    t.add_argument("--label-col", default="label")
    t.add_argument("--model", required=True, help="output model directory")
    t.add_argument("--C", type=float, default=1.0, help=argparse.SUPPRESS)
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
    e.add_argument("--C", type=float, default=1.0, help=argparse.SUPPRESS)
    e.set_defaults(func=cmd_eval)
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
