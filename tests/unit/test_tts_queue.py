"""The speech queue's order and interruptions, on the in-memory speaker (no audio, no timing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from homecare.clock import ManualClock
from speech.tts import (
    OutputMode,
    OutputPathError,
    Priority,
    SpeechDone,
    SpeechQueue,
    SpeechRequest,
    Status,
    VoiceProfile,
)
from speech.tts.memory_speaker import MemorySpeaker
from speech.tts.queue import INTERRUPTED_REASON
from tests.support import wait_until


class Collector:
    """Results of a queue, gathered as they come."""

    def __init__(self, queue: SpeechQueue) -> None:
        self.queue = queue
        self.done: list[SpeechDone] = []

    def until(self, count: int) -> list[SpeechDone]:
        def enough() -> bool:
            self.done.extend(self.queue.take_done())
            return len(self.done) >= count

        wait_until(enough, 10, f"{count} utterances done")
        return self.done


def request(utterance_id: str, priority: Priority, text: str = "", lang: str = "ru",
            rate_scale: float = 1.0) -> SpeechRequest:  # fmt: skip
    return SpeechRequest(utterance_id, text or f"Фраза {utterance_id}.", lang, priority, rate_scale)


@pytest.fixture
def held() -> MemorySpeaker:
    """A speaker whose every playback lasts until the test lets it end."""
    return MemorySpeaker(hold_playback=True)


@pytest.fixture
def queue(held: MemorySpeaker) -> Iterator[SpeechQueue]:
    speech_queue = SpeechQueue(held, ManualClock(), VoiceProfile, output=OutputMode.SPEAKER)
    yield speech_queue
    speech_queue.close()


def spoken_texts(speaker: MemorySpeaker) -> list[str]:
    return [text for text, _ in speaker.synthesized]


def test_higher_priority_goes_first_and_equal_ones_in_order(
    queue: SpeechQueue, held: MemorySpeaker
) -> None:
    queue.submit(request("first", Priority.CHAT))
    wait_until(lambda: len(held.playing()) == 1, 5, "the first utterance playing")
    waiting = [
        ("chat", Priority.CHAT),
        ("normal-1", Priority.NORMAL),
        ("reminder", Priority.REMINDER),
        ("normal-2", Priority.NORMAL),
    ]
    for utterance_id, priority in waiting:
        queue.submit(request(utterance_id, priority))
    held.hold_playback = False
    held.finish_playing()

    done = Collector(queue).until(5)
    assert [d.utterance_id for d in done] == ["first", "reminder", "normal-1", "normal-2", "chat"]
    assert all(d.status is Status.SPOKEN for d in done)
    assert held.max_playing_at_once == 1


def test_urgent_interrupts_what_plays_and_the_rest_waits(
    queue: SpeechQueue, held: MemorySpeaker
) -> None:
    queue.submit(request("small-talk", Priority.CHAT))
    wait_until(lambda: len(held.playing()) == 1, 5, "small talk playing")
    queue.submit(request("reminder", Priority.REMINDER))  # waits: only urgent interrupts
    queue.submit(request("fall-check", Priority.URGENT, "Вам нужна помощь?"))
    collector = Collector(queue)
    [interrupted] = collector.until(1)
    assert (interrupted.utterance_id, interrupted.status) == ("small-talk", Status.INTERRUPTED)
    assert interrupted.reason == INTERRUPTED_REASON

    wait_until(lambda: spoken_texts(held)[-1] == "Вам нужна помощь?", 5, "the urgent one playing")
    queue.submit(request("second-urgent", Priority.URGENT))  # never cuts off another urgent
    held.hold_playback = False
    held.finish_playing()

    done = collector.until(4)
    assert [(d.utterance_id, d.status) for d in done] == [
        ("small-talk", Status.INTERRUPTED),
        ("fall-check", Status.SPOKEN),
        ("second-urgent", Status.SPOKEN),
        ("reminder", Status.SPOKEN),
    ]
    assert held.max_playing_at_once == 1


def test_rate_scale_and_the_current_profile_shape_each_voice(tmp_path: Path) -> None:
    speaker = MemorySpeaker()
    profile = VoiceProfile(rate_wpm=150, volume=0.9)
    speech_queue = SpeechQueue(speaker, ManualClock(), lambda: profile, output=OutputMode.SPEAKER)
    try:
        speech_queue.submit(request("as-set", Priority.NORMAL, rate_scale=0.0))
        speech_queue.submit(request("repeat-slower", Priority.NORMAL, rate_scale=0.8))
        Collector(speech_queue).until(2)
        profile = VoiceProfile(rate_wpm=120, volume=1.0)  # the resident asked: slower, louder
        speech_queue.submit(request("after-change", Priority.NORMAL, lang="en-GB"))
        Collector(speech_queue).until(1)
    finally:
        speech_queue.close()
    voices = [(v.lang, v.rate_wpm, v.volume) for _, v in speaker.synthesized]
    assert voices == [("ru", 150, 0.9), ("ru", 120, 0.9), ("en", 120, 1.0)]


def test_bad_requests_fail_with_their_reason_and_the_queue_goes_on(tmp_path: Path) -> None:
    speaker = MemorySpeaker()
    speaker.fail_texts.add("engine trouble")
    speech_queue = SpeechQueue(
        speaker, ManualClock(), VoiceProfile, output=OutputMode.WAV, wav_dir=tmp_path
    )
    try:
        speech_queue.submit(request("empty", Priority.NORMAL, text="   "))
        speech_queue.submit(request("klingon", Priority.NORMAL, lang="tlh"))
        speech_queue.submit(request("broken", Priority.NORMAL, text="engine trouble"))
        speech_queue.submit(request("fine", Priority.NORMAL, text="Всё хорошо."))
        done = Collector(speech_queue).until(4)
    finally:
        speech_queue.close()
    assert [(d.utterance_id, d.status) for d in done] == [
        ("empty", Status.FAILED),
        ("klingon", Status.FAILED),
        ("broken", Status.FAILED),
        ("fine", Status.SPOKEN),
    ]
    assert done[0].reason == "nothing to say: the text is empty"
    assert "unknown language 'tlh'" in done[1].reason
    assert "memory speaker told to fail" in done[2].reason
    # The failed synthesis used number 1: numbers stay unique, gaps are harmless.
    assert done[3].audio_path == tmp_path / "0002-fine.wav" and done[3].audio_path.exists()


def test_wav_output_numbers_files_and_continues_after_a_restart(tmp_path: Path) -> None:
    for run in range(2):
        speech_queue = SpeechQueue(
            MemorySpeaker(), ManualClock(), VoiceProfile, output=OutputMode.BOTH, wav_dir=tmp_path
        )
        try:
            speech_queue.submit(request(f"run{run}-a", Priority.NORMAL))
            speech_queue.submit(request(f"run{run}-b", Priority.NORMAL))
            done = Collector(speech_queue).until(2)
        finally:
            speech_queue.close()
        assert all(d.status is Status.SPOKEN and d.first_audio_s is not None for d in done)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "0001-run0-a.wav", "0002-run0-b.wav", "0003-run1-a.wav", "0004-run1-b.wav"
    ]  # fmt: skip


def test_speaker_only_output_leaves_no_files_and_reports_no_path() -> None:
    speaker = MemorySpeaker()
    speech_queue = SpeechQueue(speaker, ManualClock(), VoiceProfile, output=OutputMode.SPEAKER)
    try:
        speech_queue.submit(request("one", Priority.NORMAL))
        [done] = Collector(speech_queue).until(1)
    finally:
        speech_queue.close()
    assert done.status is Status.SPOKEN and done.audio_path is None
    assert not speaker.played[0].exists()


def test_playback_failure_is_reported_with_the_devices_message(tmp_path: Path) -> None:
    speaker = MemorySpeaker(playback_error="no audio output device: aplay said: audio open error")
    speech_queue = SpeechQueue(
        speaker, ManualClock(), VoiceProfile, output=OutputMode.BOTH, wav_dir=tmp_path
    )
    try:
        speech_queue.submit(request("unheard", Priority.REMINDER))
        [done] = Collector(speech_queue).until(1)
    finally:
        speech_queue.close()
    assert done.status is Status.FAILED and done.reason.startswith("no audio output device")
    assert done.audio_path is not None and done.audio_path.exists()  # the WAV is still kept


def test_wav_output_needs_a_folder() -> None:
    with pytest.raises(ValueError, match="needs a wav_dir"):
        SpeechQueue(MemorySpeaker(), ManualClock(), VoiceProfile, output=OutputMode.WAV)


def test_a_wav_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(OutputPathError, match=r"cannot use .*taken/speech for speech WAV files"):
        SpeechQueue(
            MemorySpeaker(),
            ManualClock(),
            VoiceProfile,
            output=OutputMode.WAV,
            wav_dir=tmp_path / "taken" / "speech",
        )
