"""The search query language: a tokenizer and a recursive-descent parser producing an AST.

As in the idw archive search the announcements came from::

    Philo not logy
    (Philo not logy) or (Psycho and logy)
    "Sino-Soviet split" and (trade or technology)
    Leipzig und nicht Budapest

- Words are fragments, matched case-insensitively anywhere in a text ("logy" matches
  "Philology"); quoted phrases ("…", “…”, „…“, «…») match as a whole, any run of whitespace
  in the text counting as one space.
- ``and``/``und``, ``or``/``oder``, ``not``/``nicht`` in any case; brackets group.
  Precedence: ``not`` > ``and`` (also between adjacent terms) > ``or``.
- ``not`` is a prefix operator; written between two terms it reads as the announcement's
  binary use: ``Philo not logy`` is ``Philo and (not logy)``.
- To search for a keyword itself, quote it: ``"not"``.

Nothing here touches the database; `search.backends` turns the AST into SQL. Every
problem is a `QuerySyntaxError` whose message can be shown to the person who typed the query.
"""

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 500
MAX_TERMS = 30
MAX_DEPTH = 20

# Opening and closing quotation marks are interchangeable: „German“, “English”, «French».
QUOTES = frozenset('"“”„«»')
# What an error message suggests to close a phrase opened with a mark (any of QUOTES does).
CLOSING_QUOTES = {"„": "“", "“": "”", "«": "»", "»": "«"}
OPEN_BRACKET = "("
CLOSE_BRACKET = ")"


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; ``message`` is meant for the person who typed it and
    ``position`` is the 0-based offset of the offending character (``None``: the whole
    query).

    The message is a lazy translation with named ``params``: it is put together in the
    language active when it is read (the page's), not in the one active when it was raised.
    """

    def __init__(self, message, position: int | None = None, /, **params):
        super().__init__(message, position)
        self._message = message
        self.params = params
        self.position = position

    @property
    def message(self) -> str:
        text = str(self._message)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word fragment, as typed (matching ignores case)."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Quoted words; ``text`` has its whitespace collapsed to single spaces."""

    text: str


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class And:
    """Two or more operands, none of them an `And` (the parser flattens)."""

    operands: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    """Two or more operands, none of them an `Or` (the parser flattens)."""

    operands: tuple["Node", ...]


Leaf = Term | Phrase
Node = Term | Phrase | Not | And | Or


def make_and(operands) -> Node:
    """``And`` of the operands, flattened; a single operand is returned as it is."""
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, And) else (operand,))
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def make_or(operands) -> Node:
    flat: list[Node] = []
    for operand in operands:
        flat.extend(operand.operands if isinstance(operand, Or) else (operand,))
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def leaves(node: Node) -> list[Leaf]:
    """Every term and phrase, in query order."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Not):
        return leaves(node.operand)
    return [leaf for operand in node.operands for leaf in leaves(operand)]


def positive_leaves(node: Node) -> list[Leaf]:
    """The terms and phrases a match contains (not those under ``not``): what snippets
    highlight and what ranking counts."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, Not):
        return []
    return [leaf for operand in node.operands for leaf in positive_leaves(operand)]


# --- tokens ----------------------------------------------------------------------------------


class Kind(Enum):
    WORD = "word"
    PHRASE = "phrase"
    AND = "and"
    OR = "or"
    NOT = "not"
    OPEN = "("
    CLOSE = ")"
    END = "end"


KEYWORDS = {
    "and": Kind.AND,
    "und": Kind.AND,
    "or": Kind.OR,
    "oder": Kind.OR,
    "not": Kind.NOT,
    "nicht": Kind.NOT,
}


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    position: int


def is_separator(char: str) -> bool:
    """Whitespace, and characters nobody types on purpose (control and format characters,
    lone surrogates): they separate words and never reach the database."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs")


def is_keyword(word: str) -> bool:
    return word.casefold() in KEYWORDS


def _is_word_char(char: str) -> bool:
    return not (is_separator(char) or char in QUOTES or char in (OPEN_BRACKET, CLOSE_BRACKET))


def normalize_phrase(text: str) -> str:
    """Runs of separators become one space; none at either end."""
    words, current = [], []
    for char in text:
        if is_separator(char):
            if current:
                words.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return " ".join(words)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if is_separator(char):
            i += 1
        elif char == OPEN_BRACKET:
            tokens.append(Token(Kind.OPEN, char, i))
            i += 1
        elif char == CLOSE_BRACKET:
            tokens.append(Token(Kind.CLOSE, char, i))
            i += 1
        elif char in QUOTES:
            end = i + 1
            while end < n and text[end] not in QUOTES:
                end += 1
            if end == n:
                raise QuerySyntaxError(
                    _(
                        "The quotation mark at character %(position)s is not closed: "
                        "add a closing %(quote)s after the phrase."
                    ),
                    i,
                    position=i + 1,
                    quote=CLOSING_QUOTES.get(char, char),
                )
            phrase = normalize_phrase(text[i + 1 : end])
            if not phrase:
                raise QuerySyntaxError(
                    _(
                        "Empty quotation marks at character %(position)s: put words between "
                        "them or remove them."
                    ),
                    i,
                    position=i + 1,
                )
            tokens.append(Token(Kind.PHRASE, phrase, i))
            i = end + 1
        else:
            end = i
            while end < n and _is_word_char(text[end]):
                end += 1
            word = text[i:end]
            tokens.append(Token(KEYWORDS.get(word.casefold(), Kind.WORD), word, i))
            i = end
    tokens.append(Token(Kind.END, "", n))
    return tokens


# --- parser ----------------------------------------------------------------------------------

_OPERAND_STARTS = (Kind.WORD, Kind.PHRASE, Kind.OPEN, Kind.NOT)


class _Parser:
    """Grammar (precedence: not > and > or)::

    query    := [or_expr] END
    or_expr  := and_expr (OR and_expr)*
    and_expr := not_expr ([AND] not_expr)*      -- adjacent operands: implicit and
    not_expr := NOT not_expr | atom
    atom     := WORD | PHRASE | "(" or_expr ")"
    """

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.current
        # `or_expr` stops only at the end or at a bracket it did not open.
        if token.kind is not Kind.END:
            raise self.stray_close(token)
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while self.current.kind is Kind.OR:
            operator = self.advance()
            operands.append(self.and_expr(after=operator))
        return make_or(operands)

    def and_expr(self, after: Token | None = None) -> Node:
        operands = [self.not_expr(after)]
        while True:
            if self.current.kind is Kind.AND:
                operator = self.advance()
                operands.append(self.not_expr(operator))
            elif self.current.kind in _OPERAND_STARTS:
                operands.append(self.not_expr())
            else:
                return make_and(operands)

    def not_expr(self, after: Token | None = None) -> Node:
        if self.current.kind is Kind.NOT:
            operator = self.advance()
            with self.nested():
                return Not(self.not_expr(operator))
        return self.atom(after)

    def atom(self, after: Token | None) -> Node:
        token = self.current
        if token.kind is Kind.WORD:
            self.advance()
            return Term(token.text)
        if token.kind is Kind.PHRASE:
            self.advance()
            return Phrase(token.text)
        if token.kind is Kind.OPEN:
            self.advance()
            if self.current.kind is Kind.CLOSE:
                raise QuerySyntaxError(
                    _(
                        "Empty brackets at character %(position)s: put words between them "
                        "or remove them."
                    ),
                    token.position,
                    position=token.position + 1,
                )
            if self.current.kind is not Kind.END:
                with self.nested():
                    node = self.or_expr()
                if self.current.kind is Kind.CLOSE:
                    self.advance()
                    return node
            raise QuerySyntaxError(
                _("The bracket “(” at character %(position)s is never closed: add a “)”."),
                token.position,
                position=token.position + 1,
            )
        raise self.missing_operand(after, token)

    def missing_operand(self, after: Token | None, token: Token) -> QuerySyntaxError:
        if after is not None:
            if token.kind is Kind.END:
                return QuerySyntaxError(
                    _("The search ends with “%(operator)s”: add a word after it."),
                    after.position,
                    operator=after.text,
                )
            return QuerySyntaxError(
                _("Add a word between “%(first)s” and “%(second)s” (character %(position)s)."),
                token.position,
                first=after.text,
                second=token.text,
                position=token.position + 1,
            )
        if token.kind is Kind.CLOSE:
            return self.stray_close(token)
        # An operator where an operand should start: at the beginning or after “(”.
        return QuerySyntaxError(
            _("“%(operator)s” at character %(position)s needs a word before it."),
            token.position,
            operator=token.text,
            position=token.position + 1,
        )

    @staticmethod
    def stray_close(token: Token) -> QuerySyntaxError:
        return QuerySyntaxError(
            _("The bracket “)” at character %(position)s closes a bracket that was never opened."),
            token.position,
            position=token.position + 1,
        )

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(
                _("The search nests brackets or “not” too deeply (at most %(limit)s levels)."),
                limit=MAX_DEPTH,
            )
        try:
            yield
        finally:
            self.depth -= 1


def parse(text: str) -> Node | None:
    """The AST of a query; ``None`` for a query without any words (criteria only).

    Raises `QuerySyntaxError` with a message for the person who typed it.
    """
    if len(text) > MAX_LENGTH:
        raise QuerySyntaxError(
            _("The search is too long (%(length)s characters; at most %(limit)s)."),
            length=len(text),
            limit=MAX_LENGTH,
        )
    tokens = tokenize(text)
    if len(tokens) == 1:
        return None
    terms = sum(1 for token in tokens if token.kind in (Kind.WORD, Kind.PHRASE))
    if terms > MAX_TERMS:
        raise QuerySyntaxError(
            _("The search has too many words and phrases (%(count)s; at most %(limit)s)."),
            count=terms,
            limit=MAX_TERMS,
        )
    return _Parser(tokens).parse()


# --- rendering -------------------------------------------------------------------------------


def render(node: Node) -> str:
    """A query text that parses back to the same AST (canonical form: lowercase English
    keywords, brackets only where precedence needs them)."""
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Phrase):
        return f'"{node.text}"'
    if isinstance(node, Not):
        inner = render(node.operand)
        return f"not ({inner})" if isinstance(node.operand, And | Or) else f"not {inner}"
    if isinstance(node, And):
        return " and ".join(
            f"({render(op)})" if isinstance(op, Or) else render(op) for op in node.operands
        )
    return " or ".join(render(op) for op in node.operands)


def is_valid_term(text: str) -> bool:
    """Whether ``text`` can stand unquoted as a `Term` (used by the tests' generators)."""
    return bool(text) and all(_is_word_char(c) for c in text) and not is_keyword(text)
