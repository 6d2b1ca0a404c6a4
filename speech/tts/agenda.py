"""Which utterance goes next, and when an incoming one cuts off the one playing.

Higher priority first; equal priorities in the order they came. Only an
URGENT request interrupts, and only something less than urgent: a safety
question cuts off small talk or a reminder, never another safety question.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from speech.tts.model import Priority, SpeechRequest


@dataclass(frozen=True, order=True)
class Pending:
    sort_key: tuple[int, int]
    request: SpeechRequest = field(compare=False)
    submitted_at: float = field(compare=False)
    """The clock's monotonic time when the request came in (for time to first audio)."""


class SpeechAgenda:
    def __init__(self) -> None:
        self._heap: list[Pending] = []
        self._arrival = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, request: SpeechRequest, submitted_at: float) -> Pending:
        pending = Pending((-int(request.priority), next(self._arrival)), request, submitted_at)
        heapq.heappush(self._heap, pending)
        return pending

    def put_back(self, pending: Pending) -> None:
        """Return a request taken too early; it keeps its place (its arrival number)."""
        heapq.heappush(self._heap, pending)

    def pop(self) -> Pending:
        return heapq.heappop(self._heap)

    def top_priority(self) -> Priority | None:
        return self._heap[0].request.priority if self._heap else None

    def interrupts(self, playing: Priority) -> bool:
        """Does something waiting have the right to cut off an utterance of `playing`?"""
        top = self.top_priority()
        return top is Priority.URGENT and playing < Priority.URGENT
