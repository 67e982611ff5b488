"""How long a post takes to read, from its rendered text (shown on posts, listings and in JSON-LD)."""

from __future__ import annotations

import math
import re
from html import unescape

WORDS_PER_MINUTE = 230
TAG = re.compile(r"<[^>]+>")


def plain_text(html: str) -> str:
    """The text of an HTML fragment on one line, for counting words and for search summaries."""
    return " ".join(unescape(TAG.sub(" ", html)).split())


def word_count(html: str) -> int:
    """Words a reader sees: the text between tags, split at white space (plain_text's words, without
    joining them into one line first)."""
    return len(unescape(TAG.sub(" ", html)).split())


def reading_minutes(words: int) -> int:
    """Whole minutes at an adult's silent reading pace, never less than one."""
    return max(1, math.ceil(words / WORDS_PER_MINUTE))
