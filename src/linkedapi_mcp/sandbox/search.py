"""Keyword search the way LinkedIn's search box reads it.

* Words match whole words, case-insensitively and with accents folded (``AI`` matches "AI" and
  "#AI" but not "plain" or "email"; ``Zürich`` matches "Zurich"). [INFERRED] a word also matches
  its plural with ``s``/``es`` ("engineer" finds "Engineers"), as LinkedIn's stemming does.
* ``"quoted phrases"`` match those words next to each other, in order.
* ``AND``, ``OR`` and ``NOT`` (upper case, as LinkedIn requires) combine terms, with parentheses
  for grouping; words side by side must all match (an implied ``AND``). Precedence, as LinkedIn
  documents it: quotes, parentheses, ``NOT``, ``AND``, ``OR``.
* [INFERRED] a malformed query (an unclosed quote or parenthesis, a dangling operator) is read
  leniently: the stray operator is dropped, an unclosed group closes at the end.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

Words = tuple[str, ...]
Predicate = Callable[[Words], bool]

_NO_DECOMPOSITION = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "đ": "d"})
_TOKEN = re.compile(r'"[^"]*"?|\(|\)|[^\s()"]+')


@functools.lru_cache(maxsize=1 << 16)
def words(text: str) -> Words:
    """Lower-case ASCII words of ``text`` (accents folded, punctuation dropped)."""
    plain = unicodedata.normalize("NFKD", text.translate(_NO_DECOMPOSITION)).encode("ascii", "ignore").decode()
    return tuple(re.findall(r"[a-z0-9]+", plain.lower()))


def _word_matches(query: str, word: str) -> bool:
    return word == query or (word.startswith(query) and word[len(query) :] in ("s", "es"))


def _phrase(query: Words) -> Predicate:
    size = len(query)

    def match(hay: Words) -> bool:
        if size == 0:
            return True
        for start in range(len(hay) - size + 1):
            if all(_word_matches(q, hay[start + k]) for k, q in enumerate(query)):
                return True
        return False

    return match


def phrase_in(needle: str | None, hay: str | None) -> bool:
    """Whether the words of ``needle`` occur next to each other in ``hay`` (filters use this)."""
    return _phrase(words(needle or ""))(words(hay or ""))


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse_or(self) -> Predicate | None:
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.parse_and())
        found = [p for p in parts if p is not None]
        if not found:
            return None
        return found[0] if len(found) == 1 else (lambda hay: any(p(hay) for p in found))

    def parse_and(self) -> Predicate | None:
        parts: list[Predicate] = []
        while (token := self.peek()) is not None and token not in ("OR", ")"):
            if token == "AND":
                self.take()
                continue
            part = self.parse_not()
            if part is not None:
                parts.append(part)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else (lambda hay: all(p(hay) for p in parts))

    def parse_not(self) -> Predicate | None:
        if self.peek() == "NOT":
            self.take()
            inner = self.parse_not()
            return None if inner is None else (lambda hay: not inner(hay))
        return self.parse_atom()

    def parse_atom(self) -> Predicate | None:
        token = self.take()
        if token == "(":
            inner = self.parse_or()
            if self.peek() == ")":
                self.take()
            return inner
        if token.startswith('"'):
            return _phrase(words(token.strip('"')))
        query = words(token)
        return _phrase(query) if query else None


@functools.lru_cache(maxsize=1024)
def compile_query(term: str) -> Predicate | None:
    """A predicate over a word tuple, or ``None`` when the query has no words (matches all)."""
    parser = _Parser(_TOKEN.findall(term))
    parts: list[Predicate] = []
    while parser.peek() is not None:
        if parser.peek() == ")":  # a stray closing parenthesis
            parser.take()
            continue
        part = parser.parse_or()
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else (lambda hay: all(p(hay) for p in parts))


def matches(term: str | None, hay: Iterable[str | None]) -> bool:
    """Whether the fields in ``hay`` answer the search ``term`` (no term matches everything).

    Fields are joined with a separator word, so a phrase never spans two fields."""
    if not term:
        return True
    predicate = compile_query(term)
    if predicate is None:
        return True
    joined: list[str] = []
    for field in hay:
        if field:
            joined.extend(words(field))
            joined.append("\x00")
    return predicate(tuple(joined))
