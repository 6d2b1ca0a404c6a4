"""Text as the engine gets it: trimmed, never empty, never endless."""

from __future__ import annotations

import re

from speech.tts.errors import EmptyTextError

MAX_TEXT_CHARS = 1000

# The end of a sentence: its punctuation (and closing quotes/brackets), then a space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»)\]]*(?=\s)")


def prepare_text(text: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """`text` with its whitespace collapsed, cut at a sentence end if longer than `max_chars`.

    A listener copes with a reply that stops after a sentence; one that stops
    mid-word sounds broken. Without a sentence end in reach the cut falls on
    a space, and only a text with no space at all is cut hard.
    """
    collapsed = " ".join(text.split())
    if not collapsed:
        raise EmptyTextError("nothing to say: the text is empty")
    if len(collapsed) <= max_chars:
        return collapsed
    head = collapsed[: max_chars + 1]  # +1: a sentence ending exactly at the limit still counts
    ends = [match.end() for match in _SENTENCE_END.finditer(head) if match.end() <= max_chars]
    if ends:
        return head[: ends[-1]]
    space = head.rfind(" ", 0, max_chars + 1)
    return head[:space] if space > 0 else head[:max_chars]
