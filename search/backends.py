"""From a query AST to database filters and ranking, with the same results on SQLite and
PostgreSQL.

Matching: every term or phrase becomes one regular expression (`leaf_pattern`), the
case-insensitive ``iregex`` lookup on each searched text field: SQLite runs it with Python's
``re`` (Django's REGEXP function), PostgreSQL with ``~*``. The patterns are escaped literals
whose only operators are ``\\s+`` (whitespace inside a phrase) and two small character
classes (typographic apostrophes and dashes match the ASCII ones), which both engines read
the same way, Unicode case folding included; SQLite's ``LIKE`` (behind ``icontains``) folds
ASCII only, so it would not find "ÜBER" in "über" where PostgreSQL does.

Fragments, not words: "logy" matches "Philology", as the announcement's example
``(Philo not logy) or (Psycho and logy)`` needs. PostgreSQL's full-text search cannot do that
(its lexemes are whole words; ``logy:*`` is a prefix), so on PostgreSQL:

- the regular expressions are served by trigram GIN indexes (``pg_trgm``, migration
  ``0004_search_indexes``), which is PostgreSQL's own index for substring and regex matching;
  each term becomes ``id IN (SELECT id … UNION ALL SELECT …)`` (see `leaf_filter`), whose
  parts the planner can answer from those indexes and which it runs once per query;
- full-text search ranks: `SearchRank` over a ``'simple'``-configuration `SearchVector` of
  the titles (an event's title weighs more than its subtitle; a person's name), against a
  `SearchQuery` with every positive word as a prefix (``'philo':*``). 'simple' because
  programmes mix English and German (an English stemmer would mangle German words, and
  matching does not depend on it anyway). Long texts (descriptions, abstracts, bios) decide
  whether something matches, not how high it ranks: ``to_tsvector`` costs about 5 µs per
  title and far more per abstract, for every matching row of every search (a stored vector
  column would avoid that, but PostgreSQL then refuses to alter the columns it is built
  from, a trap for later migrations).

SQLite orders by date (events, sessions) and name (people) only.
"""

import re
from dataclasses import dataclass
from functools import reduce
from operator import add

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Model, Q

from workshop.models import Event, EventPerson, Person, Session

from .query import And, Leaf, Node, Not, Or, Phrase, Term, positive_leaves

APOSTROPHES = "'’‘ʼ"
DASHES = "-‐‑–—"
_APOSTROPHE_CLASS = f"[{APOSTROPHES}]"
_DASH_CLASS = f"[{DASHES}]"  # the ASCII hyphen first: a literal in both engines


def leaf_pattern(leaf: Leaf) -> str:
    """The regular expression of a term or phrase, valid for Python's ``re`` and for
    PostgreSQL's ``~*`` alike."""
    parts = []
    for char in leaf.text:
        if char == " ":  # only inside phrases (normalized to single spaces)
            parts.append(r"\s+")
        elif char in APOSTROPHES:
            parts.append(_APOSTROPHE_CLASS)
        elif char in DASHES:
            parts.append(_DASH_CLASS)
        else:
            # Lowercase (the match ignores case anyway; PostgreSQL's ~* is faster with a
            # lowercase pattern) unless that changes the length ("İ" → "i̇"). re.escape
            # escapes ASCII punctuation only; PostgreSQL reads a backslash before a
            # non-alphanumeric character as that character.
            lower = char.lower()
            parts.append(re.escape(lower if len(lower) == 1 else char))
    return "".join(parts)


def highlight_regex(node: Node | None) -> re.Pattern | None:
    """One Python regex for what a query's matches contain, longest alternatives first."""
    if node is None:
        return None
    patterns = sorted({leaf_pattern(leaf) for leaf in positive_leaves(node)}, key=len)
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in reversed(patterns)), re.IGNORECASE)


@dataclass(frozen=True)
class Related:
    """Text of other rows that belongs to the searched row: ``model`` rows whose ``field``
    matches give the searched row's id in ``key`` (a session's section title, a person's
    affiliations)."""

    model: type[Model]
    field: str
    key: str


@dataclass(frozen=True)
class Target:
    """What one kind of result searches, and what ranks it on PostgreSQL."""

    model: type[Model]
    fields: tuple[str, ...]
    rank_fields: tuple[tuple[str, str], ...]
    related: tuple[Related, ...] = ()


# Never meeting details nor email addresses: only these fields are ever matched.
EVENTS = Target(
    model=Event,
    fields=("title", "subtitle", "description", "organizer"),
    rank_fields=(("title", "A"), ("subtitle", "B")),
)
SESSIONS = Target(
    model=Session,
    fields=("title", "abstract"),
    rank_fields=(("title", "A"),),
    related=(Related(Session, "section__title", "id"),),
)
PEOPLE = Target(
    model=Person,
    fields=("name", "bio"),
    rank_fields=(("name", "A"),),
    related=(Related(EventPerson, "affiliation", "person_id"),),
)


def leaf_filter(target: Target, leaf: Leaf) -> Q:
    """``id IN (ids whose text matches)``: the ids come from one SELECT over the row's own
    fields (an OR that PostgreSQL serves with a bitmap OR of trigram index scans) and one per
    related text, UNION ALL. Each term is matched once per query, ``not`` is a plain
    ``NOT IN``, and a session without a section needs no NULL care."""
    pattern = leaf_pattern(leaf)
    own = Q()
    for field in target.fields:
        own |= Q(**{f"{field}__iregex": pattern})
    ids = target.model.objects.filter(own).values("id").order_by()
    for related in target.related:
        matching = related.model.objects.filter(**{f"{related.field}__iregex": pattern})
        ids = ids.union(matching.values(related.key).order_by(), all=True)
    return Q(id__in=ids)


def text_filter(target: Target, node: Node) -> Q:
    """The rows of ``target``'s model whose text matches the query."""
    if isinstance(node, Term | Phrase):
        return leaf_filter(target, node)
    if isinstance(node, Not):
        return ~text_filter(target, node.operand)
    operands = [text_filter(target, operand) for operand in node.operands]
    if isinstance(node, And):
        return reduce(lambda a, b: a & b, operands)
    assert isinstance(node, Or)
    return reduce(lambda a, b: a | b, operands)


_WORD = re.compile(r"[^\W_]+")


def tsquery_text(node: Node | None) -> str:
    """A ``to_tsquery`` text OR-ing the positive terms and phrases, each word as a prefix:
    ``('sino':* <-> 'soviet':* <-> 'split':*) | ('trade':*)``. Words are letters and digits
    only, so the quoting cannot break."""
    if node is None:
        return ""
    parts: list[str] = []
    for leaf in positive_leaves(node):
        words = _WORD.findall(leaf.text.lower())
        part = " <-> ".join(f"'{word}':*" for word in words)
        if part and f"({part})" not in parts:
            parts.append(f"({part})")
    return " | ".join(parts)


def rank_expression(target: Target, node: Node | None) -> SearchRank | None:
    """PostgreSQL only: the full-text rank of a row for the query (``None``: nothing to rank
    by, e.g. criteria alone or only fragments without letters)."""
    text = tsquery_text(node)
    if not text:
        return None
    vectors = [
        SearchVector(field, weight=weight, config="simple") for field, weight in target.rank_fields
    ]
    vector = reduce(add, vectors)
    return SearchRank(vector, SearchQuery(text, search_type="raw", config="simple"))
