"""`xinfang nlp-train-db`: the hyphenated name of `nlp_train_db` (see that module)."""

from __future__ import annotations

from .nlp_train_db import Command

__all__ = ["Command"]
