"""`xinfang nlp-train-db`: train the intake category model from this deployment's matters.

Labels are the officers' categories — second-level where enough of a parent's children are
labelled, else first-level (XINFANG_NLP_LABEL_LEVEL "auto", the default; "top" or "leaf"
otherwise; petitions.intel.suggestions) — so every correction at intake becomes a training label.
The model goes to XINFANG_MODEL_DIR/category; running servers pick it up on the next request.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from xinfang.petitions import intel


class Command(BaseCommand):
    help = "用本系统已分类的信访事项（含登记时的人工更正）训练内容分类建议模型"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cap", type=int, default=intel.TRAIN_CAP,
                            help="newest labelled matters to use")

    def handle(self, *args: Any, **opts: Any) -> None:
        result = intel.train_from_db(cap=opts["cap"], log_fn=lambda s: self.stderr.write(s))
        self.stdout.write(json.dumps(result, ensure_ascii=False))
