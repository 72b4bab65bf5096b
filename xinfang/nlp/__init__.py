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

from .classify import Classifier, cross_validate
from .similarity import DEFAULT_THRESHOLD, SimilarityIndex, similar_pairs
from .text import extract_entities, normalize, tokenize
from .topics import Topic, TopicItem, cluster_topics
from .warning import Alert, ewma_alerts, poisson_alerts, poisson_sf, rising

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
