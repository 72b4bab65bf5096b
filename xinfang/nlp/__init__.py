"""Text intelligence for petition matters: classification, repeat detection, hot topics and
early-warning statistics. Plain Python (numpy, scikit-learn, jieba, zhconv): never import
Django here. See docs/nlp.md.

- :class:`Classifier` - ``Classifier.load(dir).top_k(text, k=3) -> [(label, prob)]``
- :class:`SimilarityIndex` - ``add(id, text, place=None, accused=None)``,
  ``query(text, place=None, accused=None, k=5) -> [(id, score)]``, ``save``/``load``
- :func:`cluster_topics` - ``cluster_topics(items) -> [Topic]``
- :mod:`.warning` - ``poisson_alerts``, ``ewma_alerts``, ``rising``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names are imported on first use (PEP 562): a web worker that renders /topics/ or the
# dashboard from the stored job result needs ``topics.heat`` or ``warning`` only, and must not
# pay for scikit-learn and scipy (``classify``) in time and memory.
_WHERE = {
    "Classifier": "classify", "cross_validate": "classify",
    "DEFAULT_THRESHOLD": "similarity", "SimilarityIndex": "similarity",
    "similar_pairs": "similarity",
    "extract_entities": "text", "normalize": "text", "tokenize": "text",
    "Topic": "topic_types", "TopicItem": "topic_types", "cluster_topics": "topics",
    "Alert": "warning", "ewma_alerts": "warning", "poisson_alerts": "warning",
    "poisson_sf": "warning", "rising": "warning",
}

if TYPE_CHECKING:
    from .classify import Classifier, cross_validate
    from .similarity import DEFAULT_THRESHOLD, SimilarityIndex, similar_pairs
    from .text import extract_entities, normalize, tokenize
    from .topic_types import Topic, TopicItem
    from .topics import cluster_topics
    from .warning import Alert, ewma_alerts, poisson_alerts, poisson_sf, rising


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'xinfang.nlp' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_THRESHOLD",
    "Alert",
    "Classifier",
    "SimilarityIndex",
    "Topic",
    "TopicItem",
    "cluster_topics",
    "cross_validate",
    "ewma_alerts",
    "extract_entities",
    "normalize",
    "poisson_alerts",
    "poisson_sf",
    "rising",
    "similar_pairs",
    "tokenize",
]
