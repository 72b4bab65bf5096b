"""Text intelligence in the application (issue 5): thin Django glue over ``xinfang.nlp``,
split by use case.

- ``suggestions``: category suggestions at intake — the classifier trained from the
  deployment's labelled matters, its training, and the event 分类建议采纳/更正;
- ``index``: the same-matter index (which earlier matters are about the same problem);
- ``hints``: repeat and same-matter hints for the 查重 panel and registration (§19 ¶3):
  a repeat is the same petitioner and the same matter, with the refusal it calls for
  (N1/N2/N3, ``domain.repeats``); through the read gate — a link to a matter the user may
  not open is shown masked on the panel, the matter page, its timeline and the API (§30 ¶3);
- ``notes``: what the officer is told after a registration;
- ``hot_topics``, ``early_warning``, ``dashboard``: read models of the user's scope; the
  topics and the topic warnings read the topics job's stored result (``snapshot``) and are
  never clustered in a request;
- ``base``: the per-process cache, ``may_use`` and the scope helpers.

Everything that shows matters goes through ``access.visible_matters``: no number, count or
topic leaks from outside the user's scope. Nothing here writes to a matter but through
``services`` (the category event: ``services.record_event`` plus its audit row; the 提级核查
督办 of a repeat after a reply: ``services.register`` → ``services.supervise``, §40).

This module re-exports the names used elsewhere, so ``from xinfang.petitions import intel``
and ``intel.topics(...)`` keep working.
"""

from __future__ import annotations

from .base import INTEL_ROLES, matter_text, may_use, reset
from .dashboard import dashboard_data
from .early_warning import (
    DEFAULT_SENSITIVE_PERIODS,
    SENSITIVE_LEAD_DAYS,
    WARNING_CACHE_SECONDS,
    WARNING_WEEKS,
    CollectiveWarning,
    RisingWarning,
    SensitiveWarning,
    TopicRisingWarning,
    Warnings,
    collective_warnings,
    rising_warnings,
    sensitive_periods,
    sensitive_warnings,
    topic_rising_warnings,
    upcoming_period,
    warnings_for,
    warnings_json,
)
from .hints import (
    CONTENT,
    MASKED,
    NOT_REPEAT,
    PERSON,
    Hint,
    Hints,
    Proposal,
    RepeatLink,
    apply_panel_choice,
    auto_repeat_of,
    confirmed_repeat,
    level_skip,
    mask_note,
    matter_proposal,
    repeat_hints,
    repeat_link,
)
from .hot_topics import (
    PERIODS,
    TOPIC_CACHE_SECONDS,
    TOPIC_CAP,
    TopicsResult,
    TopicView,
    topics,
    topics_result,
)
from .index import (
    INDEX_CAP,
    REBUILD_SECONDS,
    REPEAT_WINDOW_DAYS,
    SHOW_SCORE,
    Candidate,
    same_matter_candidates,
    similarity_index,
)
from .notes import after_register, after_reply
from .suggestions import (
    CALIBRATION_FOLDS,
    MIN_PER_CLASS,
    MIN_TRAIN,
    TEXT_CHARS,
    TRAIN_CAP,
    category_label,
    classifier,
    label_level,
    model_dir,
    record_category_choice,
    suggest_categories,
    train_from_db,
    training_rows,
)

__all__ = [
    "CALIBRATION_FOLDS", "CONTENT", "DEFAULT_SENSITIVE_PERIODS", "INDEX_CAP", "INTEL_ROLES",
    "MASKED", "MIN_PER_CLASS", "MIN_TRAIN", "NOT_REPEAT", "PERIODS", "PERSON", "REBUILD_SECONDS",
    "REPEAT_WINDOW_DAYS", "SENSITIVE_LEAD_DAYS", "SHOW_SCORE", "TEXT_CHARS",
    "TOPIC_CACHE_SECONDS", "TOPIC_CAP", "TRAIN_CAP", "WARNING_CACHE_SECONDS", "WARNING_WEEKS",
    "Candidate", "CollectiveWarning", "Hint", "Hints", "Proposal", "RepeatLink", "RisingWarning",
    "SensitiveWarning", "TopicRisingWarning", "TopicView", "TopicsResult", "Warnings", "after_register", "after_reply", "apply_panel_choice",
    "auto_repeat_of", "category_label", "classifier", "collective_warnings", "confirmed_repeat",
    "dashboard_data", "label_level", "level_skip", "mask_note", "matter_proposal",
    "matter_text", "may_use", "model_dir", "record_category_choice", "repeat_hints",
    "repeat_link", "reset", "rising_warnings", "same_matter_candidates", "sensitive_periods",
    "sensitive_warnings", "similarity_index", "suggest_categories", "topic_rising_warnings", "topics", "topics_result", "train_from_db",
    "training_rows", "upcoming_period", "warnings_for", "warnings_json",
]
