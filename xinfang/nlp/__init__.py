"""Text intelligence for petition matters: classification, repeat detection, hot topics and
early-warning statistics. Plain Python (numpy, scikit-learn, jieba): never import Django here.
"""

from __future__ import annotations

from .classify import Classifier, cross_validate
from .text import extract_entities, normalize, tokenize

__all__ = ["Classifier", "cross_validate", "extract_entities", "normalize", "tokenize"]
