"""The heat of a hot topic (docs/nlp.md, "Heat"): alone, so a page that shows stored topics
imports neither numpy nor jieba nor scikit-learn. Plain Python: never import Django here."""

from __future__ import annotations

import math

VOTES_PER_MESSAGE = 20  # support = (likes + ½·dislikes) / VOTES_PER_MESSAGE messages
DISLIKE_WEIGHT = 0.5  # a 反对 is attention too, worth half a 点赞
CONCENTRATION_DAYS = 30  # heat is scaled by √(30 / max(30, span in days))


def heat(messages: int, likes: int, dislikes: int, span_days: int,
         votes_per_message: float = VOTES_PER_MESSAGE) -> float:
    """Heat of a topic (docs/nlp.md): (messages + (likes + ½·dislikes) / 20) ·
    √(30 / max(30, span in days)). Votes count as messages, 20 to one; a topic that burns for
    a month keeps its full weight, one spread over four months half of it. Without dates the
    span is unknown and the factor is 1."""
    support = (max(likes, 0) + DISLIKE_WEIGHT * max(dislikes, 0)) / votes_per_message
    factor = math.sqrt(CONCENTRATION_DAYS / max(CONCENTRATION_DAYS, span_days)) if span_days else 1.0
    return round((messages + support) * factor, 2)
