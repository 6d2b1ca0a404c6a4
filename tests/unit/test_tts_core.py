"""The plain parts of speech output: voices, the resident's profile, text, ordering, file names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from speech.tts import (
    BadVoiceSettingError,
    EmptyTextError,
    Priority,
    ProfileChange,
    ProfileError,
    ProfileStore,
    SpeechRequest,
    UnknownLanguageError,
    VoiceProfile,
)
from speech.tts.agenda import SpeechAgenda
from speech.tts.aplay import describe_aplay_failure
from speech.tts.engine_process import _describe_start_failure
from speech.tts.phrases import confirmation
from speech.tts.queue import next_file_number, wav_file_name
from speech.tts.text import prepare_text
from speech.tts.voice import check_rate, check_volume, normalise_language


@pytest.mark.parametrize(("given", "expected"), [("ru", "ru"), ("RU", "ru"), ("ru-RU", "ru"),
                                                 ("en_GB", "en"), (" en ", "en")])  # fmt: skip
def test_language_codes_are_normalised(given: str, expected: str) -> None:
    assert normalise_language(given) == expected


@pytest.mark.parametrize("lang", ["de", "", "russian"])
def test_unknown_language_names_the_voices_there_are(lang: str) -> None:
    with pytest.raises(UnknownLanguageError, match=r"unknown language .*the voices are ru, en"):
        normalise_language(lang)


def test_slower_steps_down_to_a_floor_then_says_so() -> None:
    profile = VoiceProfile()
    rates = []
    for _ in range(5):
        profile, change = profile.slower()
        rates.append((profile.rate_wpm, change))
    assert rates == [
        (135, ProfileChange.SLOWER),
        (120, ProfileChange.SLOWER),
        (105, ProfileChange.SLOWER),
        (100, ProfileChange.SLOWER),
        (100, ProfileChange.ALREADY_SLOWEST),
    ]


def test_louder_steps_up_to_full_volume_exactly() -> None:
    profile, change = VoiceProfile(volume=0.7).louder()
    assert (profile.volume, change) == (0.8, ProfileChange.LOUDER)
    profile, _ = profile.louder()
    profile, _ = profile.louder()
    assert profile.volume == 1.0
    assert profile.louder() == (profile, ProfileChange.ALREADY_LOUDEST)


@pytest.mark.parametrize(
    ("rate_scale", "expected_wpm"), [(0.0, 150), (1.0, 150), (0.8, 120), (0.1, 90), (5.0, 220)]
)
def test_rate_scale_multiplies_the_residents_rate_within_limits(
    rate_scale: float, expected_wpm: int
) -> None:
    voice = VoiceProfile(rate_wpm=150, volume=0.9).voice("ru", rate_scale)
    assert (voice.lang, voice.rate_wpm, voice.volume, voice.engine_voice) == (
        "ru", expected_wpm, 0.9, "ru"
    )  # fmt: skip


def test_rate_and_volume_given_by_a_person_are_checked_not_clamped() -> None:
    assert check_rate(90) == 90 and check_volume(0.0) == 0.0
    with pytest.raises(BadVoiceSettingError, match="rate 300 words per minute is out of range"):
        check_rate(300)
    with pytest.raises(BadVoiceSettingError, match=r"volume 1.5 is out of range 0..1"):
        check_volume(1.5)


def test_profile_persists_and_a_missing_file_gives_the_default(tmp_path: Path) -> None:
    path = tmp_path / "resident" / "voice_profile.json"
    store = ProfileStore(path, VoiceProfile(160, 0.8))
    assert store.load() == VoiceProfile(160, 0.8)
    store.save(VoiceProfile(120, 1.0))
    assert json.loads(path.read_text()) == {"rate_wpm": 120, "volume": 1.0}
    assert ProfileStore(path).load() == VoiceProfile(120, 1.0)  # a new process reads it back
    assert not path.with_name("voice_profile.json.tmp").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"rate_wpm": "fast"}', "rate_wpm must be a whole number"),
        ('{"rate_wpm": 400}', "rate 400 words per minute is out of range"),
        ('{"volume": 3}', "volume 3.0 is out of range"),
    ],
)
def test_malformed_profile_file_is_named_with_the_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "voice_profile.json"
    path.write_text(content)
    with pytest.raises(ProfileError, match=message) as caught:
        ProfileStore(path).load()
    assert str(path) in str(caught.value)


def test_text_is_trimmed_and_empty_text_is_refused() -> None:
    assert prepare_text("  Пора   принять\nтаблетку. ") == "Пора принять таблетку."
    for empty in ("", "   ", "\n\t"):
        with pytest.raises(EmptyTextError, match="nothing to say: the text is empty"):
            prepare_text(empty)


def test_long_text_is_cut_at_the_last_sentence_end_that_fits() -> None:
    sentence = "Это предложение из нескольких слов. "  # 36 characters with its space
    text = sentence * 40
    cut = prepare_text(text, max_chars=1000)
    assert len(cut) <= 1000 and cut.endswith("слов.")
    assert cut.count("слов.") == 1000 // len(sentence)


def test_long_text_without_sentences_is_cut_at_a_space_then_hard() -> None:
    assert prepare_text("слово " * 300, max_chars=100) == " ".join(["слово"] * 16)
    assert prepare_text("а" * 150, max_chars=100) == "а" * 100


def test_agenda_orders_by_priority_then_arrival() -> None:
    agenda = SpeechAgenda()
    for name, priority in [("chat", Priority.CHAT), ("normal-1", Priority.NORMAL),
                           ("reminder", Priority.REMINDER), ("normal-2", Priority.NORMAL),
                           ("urgent", Priority.URGENT)]:  # fmt: skip
        agenda.add(SpeechRequest(name, "text", "ru", priority), submitted_at=0.0)
    order = [agenda.pop().request.utterance_id for _ in range(len(agenda))]
    assert order == ["urgent", "reminder", "normal-1", "normal-2", "chat"]


def test_only_urgent_interrupts_and_never_another_urgent() -> None:
    agenda = SpeechAgenda()
    agenda.add(SpeechRequest("r", "text", "ru", Priority.REMINDER), submitted_at=0.0)
    assert not agenda.interrupts(Priority.CHAT)
    agenda.add(SpeechRequest("u", "text", "ru", Priority.URGENT), submitted_at=0.0)
    assert agenda.interrupts(Priority.CHAT) and agenda.interrupts(Priority.REMINDER)
    assert not agenda.interrupts(Priority.URGENT)


def test_put_back_keeps_the_place_in_line() -> None:
    agenda = SpeechAgenda()
    first = agenda.add(SpeechRequest("first", "text", "ru", Priority.NORMAL), submitted_at=0.0)
    agenda.add(SpeechRequest("second", "text", "ru", Priority.NORMAL), submitted_at=0.0)
    assert agenda.pop() == first
    agenda.put_back(first)
    assert agenda.pop().request.utterance_id == "first"


def test_unknown_priority_numbers_count_as_normal() -> None:
    assert Priority.from_number(3) is Priority.URGENT
    assert Priority.from_number(200) is Priority.NORMAL


def test_wav_names_sort_in_order_and_stay_safe(tmp_path: Path) -> None:
    assert wav_file_name(7, "a1b2-c3") == "0007-a1b2-c3.wav"
    assert wav_file_name(12, "../../etc/passwd") == "0012-_etc_passwd.wav"
    assert wav_file_name(1, "") == "0001-utterance.wav"
    assert next_file_number(tmp_path) == 1
    for name in ("0003-x.wav", "0011-y.wav", "notes.txt", "12-z.wav.part"):
        (tmp_path / name).write_bytes(b"")
    assert next_file_number(tmp_path) == 12


def test_confirmations_in_both_languages() -> None:
    assert confirmation(ProfileChange.SLOWER, "ru") == "Хорошо, буду говорить медленнее."
    assert confirmation(ProfileChange.ALREADY_LOUDEST, "ru") == (
        "Громче уже нельзя: это самая большая громкость."
    )
    assert confirmation(ProfileChange.LOUDER, "en-GB") == "All right, I will speak louder."


def test_aplay_failure_becomes_one_clear_line() -> None:
    stderr = (
        "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\n"
        "ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default\n"
        "aplay: main:831: audio open error: No such file or directory\n"
    )
    assert describe_aplay_failure(stderr, 1) == (
        "no audio output device: aplay said: audio open error: No such file or directory"
    )
    assert describe_aplay_failure("", 3) == "audio playback failed: aplay said: exit code 3"


def test_engine_start_failures_say_what_to_install() -> None:
    missing_library = RuntimeError(
        "This means you probably do not have eSpeak or eSpeak-ng installed!"
    )
    assert _describe_start_failure(missing_library).startswith(
        "espeak-ng is not installed (apt-get install espeak-ng): RuntimeError"
    )
    missing_module = ModuleNotFoundError("No module named 'pyttsx3'", name="pyttsx3")
    assert _describe_start_failure(missing_module) == (
        "pyttsx3 is not installed: pip install 'homecare[speech]'"
    )
