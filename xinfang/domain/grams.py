"""Character bigrams: how the keyword index sees Chinese text (issue 19 item 2).

Chinese has no spaces between words and most search words are two characters, so the index
holds every two-character piece of a text. A term of two or more characters occurs in a text
exactly when the term's bigrams occur there one after the other — a phrase of bigrams — which
is what the SQLite index (an FTS5 table that stores positions) is asked. PostgreSQL's GIN index
keeps only which bigrams a text holds, so there a term of three or more characters is checked
by ``LIKE`` on the few matters that hold all its bigrams.

Case: letters are folded with ``str.lower`` on both sides, so ``KTV`` finds ``ktv``, as
SQLite's ``LIKE`` and Django's ``icontains`` do for ASCII.

The SQLite tokenizer (``ascii``) splits on anything but ASCII letters and digits, so each
bigram is written as the hexadecimal code points of its two characters joined by ``x``
(``停车`` → ``505cx8f66``): punctuation, spaces and line breaks are bigrams like any other
and the positions of the pieces stay one apart. Plain Python: used by the database function
``xf_grams`` (xinfang.core.sqlite) and by the queries (xinfang.petitions.textindex).
"""

from __future__ import annotations

from itertools import pairwise

MIN_CHARS = 2  # a term shorter than this is not served by the index (a scan)
MAX_GRAMS = 16  # bigrams of one term sent to PostgreSQL's GIN (a longer term: LIKE decides)

_HEX: dict[str, str] = {}


def _hex(c: str) -> str:
    h = _HEX.get(c)
    if h is None:
        h = _HEX[c] = format(ord(c), "x")
    return h


def fold(text: str) -> str:
    return text.lower()


def tokens(text: str | None) -> str:
    """The index's view of one field: its bigrams in order, space-separated, hex-encoded."""
    if not text or len(text) < 2:
        return ""
    h = [_hex(c) for c in fold(text)]
    return " ".join([a + "x" + b for a, b in pairwise(h)])


def phrase(term: str) -> str:
    """An FTS5 query for ``term`` (two characters or more): the phrase of its bigrams."""
    return '"' + tokens(term) + '"'


def term_bigrams(term: str) -> list[str]:
    """The distinct bigrams of ``term`` (folded) without whitespace: every one of them occurs
    in any text that contains ``term`` (PostgreSQL's ``xinfang_bigrams`` array)."""
    t = fold(term)
    grams = {t[i:i + 2] for i in range(len(t) - 1)}
    return sorted(g for g in grams if not any(c.isspace() for c in g))[:MAX_GRAMS]


def scope(holder: int | None, lead: int | None, review: int | None, recheck: int | None,
          division_path: str | None, dispatched_to: str | None) -> str:
    """Who may see a matter, as index tokens beside its text (the SQLite index's ``scope``
    column, database function ``xf_scope``): ``b<id>`` for each body that holds, leads,
    reviews or rechecks it or received a dispatch of it (``dispatched_to``: their ids, comma
    separated, in any order), and ``d<code>`` for each division on its place's path — the
    two ways a body sees a matter (petitions.access.visible_matters). A search then walks only
    the hits its user's unit may see; the rows are still checked against the real rule.

    Sorted and without repeats, so the same matter state always gives the same string (the
    index removes a row by the exact values it was given)."""
    bodies = {x for x in (holder, lead, review, recheck) if x}
    bodies |= {int(x) for x in (dispatched_to or "").split(",") if x.strip()}
    places = [seg for seg in (division_path or "").split("/") if seg]
    return " ".join([*(f"b{b}" for b in sorted(bodies)), *(f"d{p}" for p in places)])


def scope_tokens(body_id: int, division_code: str | None) -> list[str]:
    """What a body sees, as scope tokens: its own ``b`` token, and for a body with a
    jurisdiction the ``d`` token of its division."""
    return [f"b{body_id}"] + ([f"d{division_code}"] if division_code else [])


def scope_query(tokens: list[str]) -> str:
    """The FTS5 filter for any of ``tokens`` in the ``scope`` column."""
    return "scope:(" + " OR ".join(tokens) + ")"


def indexable(term: str) -> bool:
    return len(term) >= MIN_CHARS and not any(c.isspace() for c in term)
