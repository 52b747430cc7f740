"""The query language: tokenizer and parser (no database)."""

import re
from html import unescape

import pytest
from django.utils.translation import gettext
from hypothesis import given, settings
from hypothesis import strategies as st

from search.backends import highlight_regex, leaf_pattern, tsquery_text
from search.query import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    And,
    Not,
    Or,
    Phrase,
    QuerySyntaxError,
    Term,
    is_valid_term,
    leaves,
    make_and,
    make_or,
    parse,
    positive_leaves,
    render,
)
from search.service import highlight, snippet

# No example database in the working tree; every run starts from scratch.
FUZZ = settings(database=None, max_examples=400, deadline=None)
PROPERTY = settings(database=None, max_examples=200, deadline=None)

T = Term


# --- the announcement and the issue ----------------------------------------------------------


def test_parse_announcement_binary_not():
    assert parse("Philo not logy") == And((T("Philo"), Not(T("logy"))))


def test_parse_announcement_brackets():
    assert parse("(Philo not logy) or (Psycho and logy)") == Or(
        (And((T("Philo"), Not(T("logy")))), And((T("Psycho"), T("logy"))))
    )


def test_parse_announcement_phrase_in_typographic_quotes():
    assert parse("“Federal Republic of Germany”") == Phrase("Federal Republic of Germany")


def test_parse_phrase_and_bracketed_or():
    assert parse('"Sino-Soviet split" and (trade or technology)') == And(
        (Phrase("Sino-Soviet split"), Or((T("trade"), T("technology"))))
    )


def test_parse_german_keywords():
    assert parse("Leipzig und nicht Budapest") == And((T("Leipzig"), Not(T("Budapest"))))
    assert parse("Leipzig oder Budapest") == Or((T("Leipzig"), T("Budapest")))


@pytest.mark.parametrize(
    "text", ["a AND b", "a And b", "a UND b", "a and b", "a b", "a  \t\n b", "(a) (b)"]
)
def test_parse_keywords_ignore_case_and_adjacent_terms_are_anded(text):
    assert parse(text) == And((T("a"), T("b")))


def test_parse_keywords_any_case_for_or_and_not():
    assert parse("a OR b") == parse("a Oder b") == Or((T("a"), T("b")))
    assert parse("a NOT b") == parse("a Nicht b") == And((T("a"), Not(T("b"))))


# --- precedence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a or b and c", Or((T("a"), And((T("b"), T("c")))))),
        ("a and b or c", Or((And((T("a"), T("b"))), T("c")))),
        ("a b or c d", Or((And((T("a"), T("b"))), And((T("c"), T("d")))))),
        ("not a and b", And((Not(T("a")), T("b")))),
        ("not a or b", Or((Not(T("a")), T("b")))),
        ("a not b or c", Or((And((T("a"), Not(T("b")))), T("c")))),
        ("not (a or b)", Not(Or((T("a"), T("b"))))),
        ("not not a", Not(Not(T("a")))),
        ("a or not b", Or((T("a"), Not(T("b"))))),
        ("(a or b) c", And((Or((T("a"), T("b"))), T("c")))),
    ],
)
def test_parse_precedence_not_then_and_then_or(text, expected):
    assert parse(text) == expected


def test_parse_flattens_nested_and_and_or():
    assert parse("a and (b and c)") == And((T("a"), T("b"), T("c")))
    assert parse("(a or b) or c") == Or((T("a"), T("b"), T("c")))
    assert parse("((a))") == T("a")


# --- words and phrases -----------------------------------------------------------------------


def test_parse_keeps_hyphens_and_punctuation_inside_words():
    assert parse("Sino-Soviet 1950–1965 China’s GWZO,") == And(
        (T("Sino-Soviet"), T("1950–1965"), T("China’s"), T("GWZO,"))
    )


def test_parse_brackets_end_words():
    assert parse("(trade)or(technology)") == Or((T("trade"), T("technology")))


def test_parse_phrase_collapses_whitespace():
    assert parse('"  Sino-Soviet \n\t split "') == Phrase("Sino-Soviet split")


@pytest.mark.parametrize("text", ['"a b"', "“a b”", "„a b“", "«a b»", '"a b”'])
def test_parse_any_quotation_marks(text):
    assert parse(text) == Phrase("a b")


def test_parse_quoted_keyword_is_a_phrase():
    assert parse('"not" and "oder"') == And((Phrase("not"), Phrase("oder")))


def test_parse_brackets_inside_a_phrase_are_text():
    assert parse('"(trade or"') == Phrase("(trade or")


def test_parse_control_characters_separate_words():
    assert parse("a\x00b\u200bc") == And((T("a"), T("b"), T("c")))


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00"])
def test_parse_no_words_is_none(text):
    assert parse(text) is None


def test_leaves_and_positive_leaves():
    node = parse('a not (b or "c d") e')
    assert leaves(node) == [T("a"), T("b"), Phrase("c d"), T("e")]
    assert positive_leaves(node) == [T("a"), T("e")]


# --- malformed queries -----------------------------------------------------------------------


# The messages, as the catalogue has them (the tests run in English).
ENDS_WITH = "The search ends with “%(operator)s”: add a word after it."
EMPTY_QUOTES = (
    "Empty quotation marks at character %(position)s: put words between them or remove them."
)
STRAY_CLOSE = "The bracket “)” at character %(position)s closes a bracket that was never opened."
NEEDS_WORD_BEFORE = "“%(operator)s” at character %(position)s needs a word before it."
WORD_BETWEEN = "Add a word between “%(first)s” and “%(second)s” (character %(position)s)."
NEVER_CLOSED = "The bracket “(” at character %(position)s is never closed: add a “)”."
EMPTY_BRACKETS = "Empty brackets at character %(position)s: put words between them or remove them."
QUOTE_NOT_CLOSED = (
    "The quotation mark at character %(position)s is not closed: "
    "add a closing %(quote)s after the phrase."
)
TOO_LONG = "The search is too long (%(length)s characters; at most %(limit)s)."
TOO_MANY_TERMS = "The search has too many words and phrases (%(count)s; at most %(limit)s)."
TOO_DEEP = "The search nests brackets or “not” too deeply (at most %(limit)s levels)."


def message(msgid: str, **params) -> str:
    return gettext(msgid) % params


@pytest.mark.parametrize(
    ("text", "msgid", "params", "position"),
    [
        ("(trade or", ENDS_WITH, {"operator": "or"}, 7),
        ("not", ENDS_WITH, {"operator": "not"}, 0),
        ("trade und", ENDS_WITH, {"operator": "und"}, 6),
        ('""', EMPTY_QUOTES, {"position": 1}, 0),
        (")", STRAY_CLOSE, {"position": 1}, 0),
        ("a )", STRAY_CLOSE, {"position": 3}, 2),
        ("and or", NEEDS_WORD_BEFORE, {"operator": "and", "position": 1}, 0),
        ("(or a)", NEEDS_WORD_BEFORE, {"operator": "or", "position": 2}, 1),
        ("a and or b", WORD_BETWEEN, {"first": "and", "second": "or", "position": 7}, 6),
        ("not and a", WORD_BETWEEN, {"first": "not", "second": "and", "position": 5}, 4),
        ("a and )", WORD_BETWEEN, {"first": "and", "second": ")", "position": 7}, 6),
        ("(trade", NEVER_CLOSED, {"position": 1}, 0),
        ("a (", NEVER_CLOSED, {"position": 3}, 2),
        ("()", EMPTY_BRACKETS, {"position": 1}, 0),
        ('"Sino-Soviet', QUOTE_NOT_CLOSED, {"position": 1, "quote": '"'}, 0),
    ],
)
def test_parse_malformed_queries_explain_what_is_wrong(text, msgid, params, position):
    expected = message(msgid, **params)

    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)

    assert caught.value.message == expected
    assert str(caught.value) == expected
    assert caught.value.position == position


def exactly(msgid: str, **params) -> str:
    """A ``match=`` pattern for the whole message."""
    return f"^{re.escape(message(msgid, **params))}$"


def test_parse_limits_length_terms_and_depth():
    with pytest.raises(
        QuerySyntaxError, match=exactly(TOO_LONG, length=MAX_LENGTH + 1, limit=MAX_LENGTH)
    ):
        parse("x" * (MAX_LENGTH + 1))
    with pytest.raises(
        QuerySyntaxError, match=exactly(TOO_MANY_TERMS, count=MAX_TERMS + 1, limit=MAX_TERMS)
    ):
        parse(" ".join(["x"] * (MAX_TERMS + 1)))
    too_deep = exactly(TOO_DEEP, limit=MAX_DEPTH)
    with pytest.raises(QuerySyntaxError, match=too_deep):
        parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(QuerySyntaxError, match=too_deep):
        parse("not " * (MAX_DEPTH + 1) + "x")

    assert parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH) == T("x")
    assert parse(" ".join(["x"] * MAX_TERMS)) == And(tuple([T("x")] * MAX_TERMS))


# --- rendering -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("Philo not logy", "Philo and not logy"),
        ("(Philo not logy) or (Psycho and logy)", "Philo and not logy or Psycho and logy"),
        (
            "„Sino-Soviet  split“ und (trade oder technology)",
            '"Sino-Soviet split" and (trade or technology)',
        ),
        ("nicht (a b)", "not (a and b)"),
    ],
)
def test_render_gives_a_canonical_query(text, rendered):
    assert render(parse(text)) == rendered


# --- patterns --------------------------------------------------------------------------------


def test_leaf_pattern_escapes_and_accepts_typographic_variants():
    pattern = leaf_pattern(Phrase("China's 1950-1965 (a.b)*"))

    assert pattern == r"china['’‘ʼ]s\s+1950[-‐‑–—]1965\s+\(a\.b\)\*"
    assert re.search(pattern, "in China’s\n 1950–1965 (a.b)* plan", re.IGNORECASE)
    assert not re.search(pattern, "in China’s 1950–1965 (aXb)* plan", re.IGNORECASE)


def test_tsquery_text_uses_positive_words_as_prefixes():
    node = parse('"Sino-Soviet split" or trade not railway or "Sino-Soviet split" or --')

    assert tsquery_text(node) == "('sino':* <-> 'soviet':* <-> 'split':*) | ('trade':*)"
    assert tsquery_text(parse("not x")) == ""


def test_highlight_marks_matches_and_escapes_everything_else():
    regex = highlight_regex(parse("script or <b> not x"))

    assert highlight("<script>alert(1)</script> & <b>", regex) == (
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; &amp; "
        "<mark>&lt;b&gt;</mark>"
    )


def test_snippet_centres_on_the_first_match():
    text = " ".join(f"word{n}" for n in range(100)) + " needle " + "tail " * 50
    result = snippet(text, highlight_regex(parse("needle")))

    assert result.startswith("… ")
    assert result.endswith(" …")
    assert "<mark>needle</mark>" in result
    assert len(result) < 260


# --- properties ------------------------------------------------------------------------------

WORD_CHARS = st.characters(
    exclude_categories=("Cc", "Cf", "Cs", "Zs", "Zl", "Zp"),
    exclude_characters='"“”„«»()',
)
terms = st.text(WORD_CHARS, min_size=1, max_size=12).filter(is_valid_term).map(Term)
phrases = st.lists(st.text(WORD_CHARS, min_size=1, max_size=8), min_size=1, max_size=4).map(
    lambda words: Phrase(" ".join(words))
)
asts = st.recursive(
    terms | phrases,
    lambda children: (
        children.map(Not)
        | st.lists(children, min_size=2, max_size=4).map(make_and)
        | st.lists(children, min_size=2, max_size=4).map(make_or)
    ),
    max_leaves=12,
)

TOKENS = st.sampled_from(
    [
        "and", "or", "not", "und", "oder", "nicht", "AND", "Nicht", "(", ")", '"', "“", "„",
        "»", "trade", "Philo", "logy", "Sino-Soviet", " ", "  ", "\n", "\x00", "é", "",
    ]
)  # fmt: skip
token_soup = st.lists(TOKENS, max_size=25).map(" ".join) | st.lists(TOKENS, max_size=25).map(
    "".join
)


def _depth(node) -> int:
    if isinstance(node, Term | Phrase):
        return 0
    if isinstance(node, Not):
        return 1 + _depth(node.operand)
    return 1 + max(_depth(op) for op in node.operands)


@FUZZ
@given(st.text(max_size=200))
def test_parse_any_text_returns_an_ast_or_raises_a_syntax_error(text):
    try:
        parse(text)
    except QuerySyntaxError as error:
        assert error.message


@FUZZ
@given(token_soup)
def test_parse_token_soup_returns_an_ast_or_raises_a_syntax_error(text):
    try:
        node = parse(text)
    except QuerySyntaxError as error:
        assert error.message
        assert error.position is None or 0 <= error.position <= len(text)
    else:
        if node is not None:
            assert parse(render(node)) == node


@PROPERTY
@given(asts)
def test_parse_of_render_is_the_ast(node):
    if len(leaves(node)) <= MAX_TERMS and len(render(node)) <= MAX_LENGTH and _depth(node) < 8:
        assert parse(render(node)) == node


@PROPERTY
@given(st.text(max_size=120))
def test_render_of_parse_is_a_fixed_point(text):
    try:
        node = parse(text)
    except QuerySyntaxError:
        return
    if node is not None:
        assert parse(render(node)) == node
        assert render(parse(render(node))) == render(node)


@PROPERTY
@given(terms | phrases)
def test_leaf_pattern_finds_the_leaf_itself(leaf):
    pattern = re.compile(leaf_pattern(leaf), re.IGNORECASE)

    assert pattern.search(f"before {leaf.text} after")
    assert pattern.search(f"before {leaf.text.replace(' ', chr(10) + '  ')} after")


@PROPERTY
@given(st.text(max_size=80), asts)
def test_highlight_keeps_the_text_and_escapes_it(text, node):
    html = highlight(text, highlight_regex(node))
    plain = html.replace("<mark>", "").replace("</mark>", "")

    assert "<" not in plain and ">" not in plain
    assert unescape(plain) == text
