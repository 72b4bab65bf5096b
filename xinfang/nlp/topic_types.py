"""The items and topics of :mod:`.topics` as plain data: importing them costs no numpy and no
jieba, so code that only reads a stored result (the web pages' topic warnings, :mod:`.warn`)
does not load the text stack. Plain Python: never import Django here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class TopicItem:
    id: str
    text: str  # "title\nbody"
    votes: int = 0  # likes (点赞数)
    place: str | None = None
    accused: str | None = None
    when: date | None = None  # the message's date: topics split at pauses, heat uses the span
    dislikes: int = 0  # 反对数
    author: str | None = None  # petitioner/user key: distinct petitioners per topic


@dataclass(slots=True)
class Topic:
    label: str  # headline of the group's most central member
    keywords: list[str]
    ids: list[str]
    votes: int  # likes
    entities: list[str] = field(default_factory=list)  # places/objects named
    heat: float = 0.0
    dislikes: int = 0
    first: date | None = None
    last: date | None = None
    petitioners: int = 0  # distinct authors (messages without an author count one each)
    groups: list[str] = field(default_factory=list)  # places/units given by the input
    single: bool = False  # one message, hot by its votes alone (reported separately)
    lead: str = ""  # id of the most central member (whose headline is the label)
    keyword_ids: dict[str, list[str]] = field(default_factory=dict)  # keyword -> members with it

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def span_days(self) -> int:
        return (self.last - self.first).days + 1 if self.first and self.last else 0
