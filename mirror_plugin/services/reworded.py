"""Sentences stored in one language, shown in the reader's.

A background job (a sync, a health check, a job runner's thread) runs in no user's language,
so the registry error it stores (an integration's ``last_error``, a failed job's ``error``, a
tag cache's error) is written in English; a ``flask mirror`` command in a Chinese terminal or a
request of a Chinese user stores Chinese. The rows keep that text: rows written by every
earlier version stay readable and nothing is migrated. When one is shown, :func:`reworded`
recognises it as one of the plugin catalogue's sentences, in either language, with the values
put into it (a host, a status, the Harbor call that failed, itself a message), and writes the
same sentence again in the reader's language. Text no catalogue has (a registry's own words
quoted in a sentence, a message a later version changed) is shown as it was stored.

Recognising a sentence is a full match of the catalogue's text with each placeholder as a
wildcard; when several match, the one with the most fixed text wins (the most specific).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mirror_plugin.i18n import DOMAIN, LOCALES, catalogue, current_locale

#: A placeholder of a catalogue message: ``%(name)s``, ``%(name)r``, ``%(name)d`` or ``%%``.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?([sdr%])")
#: A sentence needs this many bytes of fixed text (UTF-8: a Chinese character weighs 3, as it
#: says about as much as a short English word) to be recognised: ``%(a)s: %(b)s`` matches any
#: text with a colon, and would "translate" text that is no such sentence.
MIN_FIXED = 8
#: Values that are sentences themselves (Harbor's "list projects") are reworded too, this deep.
MAX_DEPTH = 3


@dataclass(frozen=True)
class _Sentence:
    msgid: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    prefix: str
    suffix: str
    fixed: int


def _sentence(msgid: str, text: str) -> _Sentence | None:
    """``text`` (``msgid`` or its translation) as a pattern capturing its values in order."""
    parts, names, literals, position = [], [], [], 0
    for match in PLACEHOLDER.finditer(text):
        literals.append(text[position : match.start()])
        parts.append(re.escape(literals[-1]))
        if match.group(2) == "%":
            literals.append("%")
            parts.append("%")
        elif match.group(1) is None:
            return None  # positional placeholders: the plugin's messages name theirs
        else:
            names.append(match.group(1))
            parts.append("(.+?)")
        position = match.end()
    literals.append(text[position:])
    parts.append(re.escape(literals[-1]))
    fixed = sum(len(literal.strip().encode()) for literal in literals)
    if fixed < MIN_FIXED:
        return None
    # The text before the first placeholder and after the last: a cheap test before the regex.
    prefix, suffix = literals[0], literals[-1]
    return _Sentence(msgid, re.compile("".join(parts), re.S), tuple(names), prefix, suffix, fixed)


@functools.cache
def _sentences() -> tuple[dict[str, str], tuple[_Sentence, ...]]:
    """The catalogue's sentences in every language: fixed texts by text, and the patterns of
    those with values (plural messages are left out: no stored sentence is one)."""
    exact: dict[str, str] = {}
    patterns: list[_Sentence] = []
    texts: set[tuple[str, str]] = set()
    for locale in LOCALES:
        # The compiled catalogue (shared with gettext): its msgids, and its texts where the
        # locale's differ (an English entry is compiled only when it rewords the source).
        compiled: dict[object, str] = getattr(catalogue(DOMAIN, locale), "_catalog", {})
        for msgid, text in compiled.items():
            if isinstance(msgid, str) and msgid:
                texts.update({(msgid, msgid), (msgid, text)})
    for msgid, text in sorted(texts):
        if PLACEHOLDER.search(text) is None:
            exact.setdefault(text, msgid)
        elif (sentence := _sentence(msgid, text)) is not None:
            patterns.append(sentence)
    return exact, tuple(patterns)


@functools.lru_cache(maxsize=4096)
def _recognised(text: str) -> tuple[str, dict[str, str]] | None:
    """(msgid, values by placeholder name) of the catalogue sentence ``text`` is, if any."""
    exact, patterns = _sentences()
    if text in exact:
        return exact[text], {}
    best: tuple[int, str, dict[str, str]] | None = None
    for sentence in patterns:
        if not (text.startswith(sentence.prefix) and text.endswith(sentence.suffix)):
            continue
        match = sentence.pattern.fullmatch(text)
        if match is not None and (best is None or sentence.fixed > best[0]):
            values = dict(zip(sentence.names, match.groups(), strict=True))
            best = (sentence.fixed, sentence.msgid, values)
    return None if best is None else (best[1], best[2])


@functools.lru_cache(maxsize=4096)
def _reworded(text: str, locale: str, depth: int) -> str:
    found = _recognised(text)
    if found is None:
        return text
    msgid, values = found
    translated = catalogue(DOMAIN, locale).gettext(msgid)

    def value(match: re.Match[str]) -> str:
        if match.group(2) == "%":
            return "%"
        stored = values.get(match.group(1) or "")
        if stored is None:
            return match.group(0)
        if match.group(2) == "s" and depth < MAX_DEPTH:
            return _reworded(stored, locale, depth + 1)
        return stored

    return PLACEHOLDER.sub(value, translated)


def reworded(text: str) -> str:
    """``text``, a stored sentence, in the current reader's language when the catalogue has
    it (in either language); otherwise as stored."""
    if not text:
        return text
    return _reworded(text, current_locale(), 0)
