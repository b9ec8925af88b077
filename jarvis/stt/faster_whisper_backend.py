"""faster-whisper (CTranslate2) speech recognition from a local model folder.

The model folder is never a hub name: a missing folder raises :class:`ModelNotFound`. The lazy
segment generator faster-whisper returns is consumed here, in the caller's (the STT stage's) thread.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jarvis import cuda
from jarvis.errors import AudioFormatError, ConfigError, ModelLoadError, ModelNotFound
from jarvis.stt.base import SAMPLE_RATE, SpeechToText, SttResult

log = logging.getLogger(__name__)

# Below this many samples (0.1 s) or this peak level there is nothing to recognise.
_MIN_SAMPLES = SAMPLE_RATE // 10
_SILENCE_PEAK = 1e-4
# A short temperature ladder: one greedy pass, two retries when the text is repetitive or unlikely.
_TEMPERATURES = (0.0, 0.4, 0.8)
# Decoding budget per 30 s window: people say at most ~4 tokens a second; noise makes whisper loop.
_TOKENS_PER_S = 10
_MIN_TOKENS = 24
_MAX_TOKENS = 220
# Text that compresses this well is a repetition loop (a hallucination), never speech.
_MAX_COMPRESSION = 2.4
# Whisper's own "no speech" probability, with an unsure decode, marks text made up from noise.
_NO_SPEECH = 0.6
_UNSURE_LOGPROB = -0.5
# An unsure decode is kept when Silero VAD (bundled with faster-whisper) finds this much speech in
# the audio: whisper-base is unsure of some real Spanish questions ("que hora es en Madrid": no
# speech 0.70, log-prob -0.58), while hiss and hum have no speech for Silero at all (measured).
_VOICED_S = 0.3
# Below this detected probability for the likeliest allowed language, the short path decodes in
# the two likeliest and keeps the likelier text: whisper-base heard Kokoro's Spanish "¿Cuál es la
# capital de Italia?" as English (en 0.41, es 0.26) and wrote it translated.
_SURE_LANGUAGE = 0.6
# Below this probability for a language other than the conversation's (``prefer``), the short path
# decodes in both and keeps the likelier text. On the voice eval's 192 questions (whisper-base,
# espeak-ng and Kokoro voices): Kokoro's Spanish detected as English 2 -> 0 times when the
# conversation was in Spanish, 2 -> 4 when the user had just switched from English.
_PREFER_UNLESS = 0.8
_CLOSE = 0.5  # ... and only when the second is at least half as likely (a Spanish decode read as English
# can still score well: it comes out translated)
# What the short path's decoder is told came just before, per language: a person asking Jarvis a
# question. It steers whisper-base to the language's spelling and to question form on unclear speech
# (espeak-ng's "¿Cuál es la capital de Japón?" was "o ales a capitan de Japón." without it). A
# decode that repeats the cue is thrown away (echoes_cue); the full path gets no cue: with the
# temperature ladder it once wrote "I have a question for you." four times for a Spanish question.
CUES = {
    "en": "Hi, Jarvis. I have a question for you.",
    "es": "Hola, Jarvis. Tengo una pregunta para ti.",
}
# The short-context path: utterances up to this long are encoded with a window of their own length
# plus this much silence (Whisper's encoder otherwise always sees 30 s); a result below this
# average log-probability is decoded again the usual way.
_SHORT_MAX_S = 20.0
_SHORT_PADS_S = (1.0, 2.0)  # trailing silence of the first pass, and of the second when the first loops
_SHORT_MIN_LOGPROB = -0.8
_SHORT_TOKENS_PER_S = 10
# "old-s-----------------": a run of one symbol (or of one letter) is a decode gone wrong
_DEGENERATE = re.compile(r"([^\w\s])\1{4,}|(\w)\2{7,}")
_LOOP_WORDS = 4  # a run this long said twice in one short utterance is a decoding loop


def echoes_cue(text: str, cues: dict[str, str]) -> bool:
    """True when ``text`` repeats a sentence of a cue (whisper continued the prompt, not the audio)."""
    said = re.sub(r"[^\w ]", "", text.lower())
    for cue in cues.values():
        for sentence in re.split(r"[.!?¿¡]\s*", cue.lower()):
            words = re.sub(r"[^\w ]", "", sentence).strip()
            if len(words.split()) >= 3 and words in said:
                return True
    return False


def is_heard(segment: Any, voiced: Callable[[], bool] = lambda: False) -> bool:
    """False for a segment whisper made up from noise: a repetition loop, or unsure text on non-speech.

    ``voiced`` is asked only about unsure text: True keeps it (the audio holds speech after all).
    """
    if not segment.text.strip() or segment.compression_ratio > _MAX_COMPRESSION:
        return False
    return not is_unsure(segment.no_speech_prob, segment.avg_logprob) or voiced()


def is_unsure(no_speech_prob: float, avg_logprob: float) -> bool:
    """Whisper thinks there may be no speech and is unsure of its text: the text may be made up."""
    return no_speech_prob > _NO_SPEECH and avg_logprob < _UNSURE_LOGPROB


def speech_seconds(samples: Any) -> float:
    """Seconds of speech Silero VAD finds in ``samples`` (16 kHz float32); a few ms for a short utterance."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions(min_speech_duration_ms=100))
    return sum(span["end"] - span["start"] for span in spans) / SAMPLE_RATE


def has_speech(samples: Any) -> bool:
    """True when Silero VAD hears at least ``_VOICED_S`` of speech in ``samples``."""
    return speech_seconds(samples) >= _VOICED_S


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of it zlib-compressed: above ~2.4 it repeats itself (a loop)."""
    import zlib

    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


def is_degenerate(text: str) -> bool:
    """True for a run of one symbol (5+) or one letter (8+): a decode gone wrong, not speech."""
    return _DEGENERATE.search(text) is not None


def repeats_itself(text: str) -> bool:
    """True when the text loops: any run of 4+ words said twice, or a shorter one three times in a row.

    A false alarm only costs the slow decode, so the test is eager.
    """
    words = [w.strip(".,;:!?¿¡\"'") for w in text.lower().split()]
    words = [w for w in words if w]
    grams = [tuple(words[i:i + _LOOP_WORDS]) for i in range(len(words) - _LOOP_WORDS + 1)]
    if len(set(grams)) < len(grams):
        return True
    return _loops(words) or _loops(words[:-1])  # a loop may stop in the middle of a word


_SENTENCE = re.compile(r"[^.!?]*[.!?]+")


def first_of_repeats(text: str) -> str | None:
    """The sentence a looping decode said over and over ("Tell me. Tell me. Tell me. Te" -> "Tell me."), else None.

    A window cut to the audio sometimes makes whisper miss its end token after a right sentence and
    say it again until the length limit. When the text is one complete sentence said at least twice,
    then at most a cut-off start of it, that sentence is what was heard.
    """
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text)]
    if len(sentences) < 2:
        return None
    rest = text[sum(len(m.group(0)) for m in _SENTENCE.finditer(text)):].strip()

    def norm(part: str) -> str:
        return " ".join(w.strip(".,;:!?¿¡\"'") for w in part.lower().split())

    first = norm(sentences[0])
    if not first or any(norm(s) != first for s in sentences[1:]):
        return None
    return sentences[0] if first.startswith(norm(rest)) else None


def _loops(words: list[str]) -> bool:
    """The words are one run said twice, or end with a run of 1-3 words said three times in a row."""
    half = len(words) // 2
    if half >= 2 and len(words) % 2 == 0 and words[:half] == words[half:]:
        return True
    for n in range(1, _LOOP_WORDS):
        if len(words) >= 3 * n and words[-n:] == words[-2 * n:-n] == words[-3 * n:-2 * n]:
            return True
    return False


def split_device(device: str) -> tuple[str, int]:
    """``"cpu"`` -> ("cpu", 0); ``"cuda"`` -> ("cuda", 0); ``"cuda:1"`` -> ("cuda", 1)."""
    if device.startswith("cuda"):
        _, _, index = device.partition(":")
        return "cuda", int(index) if index.isdigit() else 0
    return "cpu", 0


class FasterWhisperSTT(SpeechToText):
    """Whisper through faster-whisper.

    Args:
        model_dir: a CTranslate2 Whisper folder (holding ``model.bin``).
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        compute_type: ``int8``, ``int8_float16``, ``float16``, ``float32`` ...
        cpu_threads: threads for CPU inference (0 = library default).
        beam_size: 1 for greedy decoding (fastest).
        language: a fixed language code, or None to detect it per utterance.
        short_context: decode utterances under 20 s with an encoder window cut to their length.
        languages: when detecting, pick the most likely of these (empty: any language).
        on_fallback: called with one line when a GPU cannot be used and the model moves to the CPU
            (cuBLAS/cuDNN missing, out of GPU memory, no driver), at load or during a transcription.
        english_check: a second English recogniser (:class:`~jarvis.stt.moonshine.MoonshineEnglish`)
            for English whisper is unsure of: a finished (not ``quick``) English decode whose mean
            token log-probability is below ``english_check_below`` is decoded again by it; its text wins
            when its own mean log-probability is higher and at least ``english_check_sure``
            (``last_engine`` says whose text was kept).

    A GPU that fails never stops speech recognition: the model is loaded on the CPU (int8) instead,
    ``fallback_note`` says why, and the line goes to the log and to ``jarvis.notices``.

    Raises:
        ModelNotFound: the folder or its ``model.bin`` is missing.
        ModelLoadError: CTranslate2 refused the model on the CPU too.
    """

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        beam_size: int = 1,
        language: str | None = None,
        short_context: bool = True,
        languages: tuple[str, ...] = (),
        on_fallback: Callable[[str], None] | None = None,
        english_check: Any = None,
        english_check_below: float = -0.15,
        english_check_sure: float = -0.3,
    ) -> None:
        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").is_file():
            raise ModelNotFound(
                f"speech recognition model not found: {model_dir}",
                "run ./install.sh to fetch the models, or set stt.model to a CTranslate2 Whisper folder",
            )
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            from jarvis.errors import MissingDependency

            raise MissingDependency("faster-whisper is not installed", "run ./install.sh") from exc
        self._whisper_class = WhisperModel
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = max(0, cpu_threads)
        self.model_dir = model_dir
        self.beam_size = beam_size
        self.language = language or None
        self.short_context = short_context
        self.languages = tuple(languages)
        self.on_fallback = on_fallback
        self.fallback_note = ""  # why the model left the GPU, when it did
        self.last_path = ""  # "short" or "full": how the last utterance was decoded
        self.last_logprob: float | None = None  # the mean token log-probability of the last decode
        self.last_engine = "whisper"  # which recogniser's text the last utterance kept
        self.english_check = english_check
        self.english_check_below = english_check_below
        self.english_check_sure = english_check_sure
        self.cues: dict[str, str] = dict(CUES)  # what the decoder is told came before (see CUES)
        t0 = time.monotonic()
        self._model: Any = None
        if device.startswith("cuda"):
            self._load_on_gpu()
        if self._model is None:
            self._model = self._load(self.device, self.compute_type)
        self.load_seconds = time.monotonic() - t0
        self.multilingual = bool(getattr(self._model.model, "is_multilingual", True))
        self.supported_languages = tuple(self._model.supported_languages)
        if self.language:
            self.check_language(self.language)
        for code in self.languages:
            self.check_language(code)
        log.info("loaded %s on %s/%s in %.2fs", model_dir.name, device, compute_type, self.load_seconds)

    def _load(self, device: str, compute_type: str) -> Any:
        kind, index = split_device(device)
        try:
            return self._whisper_class(
                str(self.model_dir),
                device=kind,
                device_index=index,
                compute_type=compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelLoadError(
                f"cannot load {self.model_dir.name} on {device} ({compute_type}): {exc}",
                "set stt.device = \"cpu\" and stt.compute_type = \"int8\" in config.toml",
            ) from None

    def _load_on_gpu(self) -> None:
        """Load on ``self.device`` and run one short encode there; on any CUDA failure move to the CPU.

        Missing cuBLAS/cuDNN is checked first: CTranslate2 aborts the process (no exception) when
        cuDNN is missing at the first convolution.
        """
        lacking = cuda.missing("ctranslate2") if cuda.driver_present() else []
        if lacking:
            self._fall_back(cuda.missing_line(lacking))
            return
        try:
            self._model = self._load(self.device, self.compute_type)
            self._gpu_check()
        except ModelLoadError as exc:
            self._model = None
            self._fall_back(cuda.reason(exc.message.split(": ", 1)[-1]))
        except RuntimeError as exc:
            self._model = None
            self._fall_back(cuda.reason(exc))

    def _gpu_check(self) -> None:
        """One encoder pass on a second of silence: allocation and cuBLAS/cuDNN errors show up now."""
        import ctranslate2
        import numpy as np

        mel = self._model.feature_extractor(np.zeros(SAMPLE_RATE, np.float32), padding=0)
        frames = mel.shape[1] - mel.shape[1] % 2
        self._model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None, :, :frames])))

    def _fall_back(self, why: str) -> None:
        """Load the model on the CPU (int8) and say once why the GPU was left."""
        line = cuda.fallback_line("speech recognition", self.device, why)
        self.fallback_note = line
        log.warning(line)
        cuda.announce(line)
        if self.on_fallback is not None:
            self.on_fallback(line)
        self._model = None
        self.device, self.compute_type = "cpu", "int8"
        self._model = self._load("cpu", "int8")

    def check_language(self, language: str) -> str:
        """Return ``language`` when the model knows it; :class:`ConfigError` otherwise."""
        if self.multilingual and language not in self.supported_languages:
            raise ConfigError(
                f"unknown language code '{language}' for speech recognition",
                "use a two-letter code such as en, es, fr, de (or leave stt.language empty to detect it)",
            )
        return language

    def transcribe(self, audio: Any, language: str | None = None, quick: bool = False) -> SttResult:
        """Recognise one utterance (float32 mono 16 kHz); see :meth:`SpeechToText.transcribe`."""
        import numpy as np

        samples = np.asarray(audio)
        if samples.ndim != 1:
            raise AudioFormatError(
                f"speech recognition needs mono audio, got an array of shape {samples.shape}",
                "mix the channels down (jarvis.audio.wavio.read_wav does this)",
            )
        samples = samples.astype(np.float32, copy=False)
        audio_s = len(samples) / SAMPLE_RATE
        lang = (language or self.language or None) if self.multilingual else "en"
        if lang:
            self.check_language(lang)
        t0 = time.monotonic()
        self.last_logprob = None
        self.last_engine = "whisper"
        if len(samples) < _MIN_SAMPLES or float(np.max(np.abs(samples))) < _SILENCE_PEAK:
            return SttResult("", lang, 0.0, audio_s, time.monotonic() - t0)
        budget = min(_MAX_TOKENS, int(_MIN_TOKENS + _TOKENS_PER_S * min(audio_s, 30.0)))
        try:
            text, detected, prob = self._decode(samples, lang, budget, quick, audio_s)
        except (RuntimeError, ValueError) as exc:
            if not (self.device.startswith("cuda") and cuda.is_cuda_error(exc)):
                raise ModelLoadError(f"speech recognition failed: {exc}", "see the log file") from None
            self._fall_back(cuda.reason(exc))  # out of GPU memory mid-session: the CPU takes over
            try:
                text, detected, prob = self._decode(samples, lang, budget, quick, audio_s)
            except (RuntimeError, ValueError) as again:
                raise ModelLoadError(f"speech recognition failed: {again}", "see the log file") from None
        if not quick and detected == "en" and text.strip() and self.english_check is not None:
            text = self._check_english(samples, text)
        return SttResult(text.strip(), detected, prob, audio_s, time.monotonic() - t0, self.last_logprob)

    def _check_english(self, samples: Any, text: str) -> str:
        """``text``, or the second recogniser's when whisper was unsure and the second is sure, and surer.

        An unsure second text is no better than whisper's: taking it would lift the turn over the
        "didn't catch that" bar (jarvis.stt.understood) with words neither recogniser was sure of.
        """
        mine = self.last_logprob
        if mine is not None and mine >= self.english_check_below:
            return text
        try:
            other, other_logprob = self.english_check.transcribe(samples)
        except Exception:  # noqa: BLE001 - a second opinion that fails leaves whisper's text
            log.warning("the second English recogniser failed; whisper's text is kept", exc_info=True)
            return text
        if (not other or other_logprob is None or other_logprob < self.english_check_sure
                or is_degenerate(other) or repeats_itself(other) or (mine is not None and other_logprob <= mine)):
            return text
        log.debug("english check: %r (%.2f) over whisper's %r (%s)", other, other_logprob, text, mine)
        self.last_logprob = other_logprob
        self.last_engine = self.english_check.name
        return other

    def _decode(
        self, samples: Any, lang: str | None, budget: int, quick: bool, audio_s: float,
    ) -> tuple[str, str | None, float]:
        use_short = (self.short_context or quick) and audio_s <= _SHORT_MAX_S
        short = self._short(samples, lang, budget) if use_short else None
        if short is not None:
            self.last_path = "short"
            return short
        if quick:  # no slow second pass while the speaker is still talking
            self.last_path = "none"
            return "", lang, 0.0
        self.last_path = "full"
        return self._full(samples, lang, budget)

    def _full(self, samples: Any, lang: str | None, budget: int) -> tuple[str, str | None, float]:
        """faster-whisper's own loop: the 30 s window, the temperature ladder, the segment filters."""
        segments, info = self._model.transcribe(
            samples,
            language=lang,
            beam_size=self.beam_size,
            temperature=list(_TEMPERATURES),
            compression_ratio_threshold=_MAX_COMPRESSION,
            condition_on_previous_text=False,
            max_new_tokens=budget,
            vad_filter=False,
        )
        if lang is None and self.languages and info.language not in self.languages:
            # detected a language the user does not speak to Jarvis: take the likeliest one they do
            ranked = [(code, p) for code, p in (info.all_language_probs or []) if code in self.languages]
            if ranked:
                text, _, _ = self._full(samples, ranked[0][0], budget)
                return text, ranked[0][0], float(ranked[0][1])
        # The generator does the work: consume it here, in this thread.
        voiced: list[bool] = []  # Silero's opinion, asked once and only for unsure text

        def heard_speech() -> bool:
            if not voiced:
                voiced.append(has_speech(samples))
            return voiced[0]

        kept = [s for s in segments if is_heard(s, heard_speech)]
        text = " ".join(s.text.strip() for s in kept)
        weight = sum(max(1, len(s.tokens)) for s in kept)
        self.last_logprob = sum(s.avg_logprob * max(1, len(s.tokens)) for s in kept) / weight if kept else None
        return text, info.language or lang, 1.0 if lang else float(info.language_probability)

    def _short(self, samples: Any, lang: str | None, budget: int) -> tuple[str, str | None, float] | None:
        """Greedy passes with the encoder window cut to the audio; None when the result looks unsure.

        Whisper pads every input to 30 s, so on a CPU the encoder costs the same for "hi" as for a
        paragraph. CTranslate2 accepts shorter windows: a 3 s question then costs ~0.1 s instead of
        ~0.7 s. A cut window sometimes makes the decoder miss its end token and repeat the sentence:
        a second pass with more trailing silence fixes that; text still looping, or that the model
        is unsure of, is left to the full path.
        """
        for pad_s in _SHORT_PADS_S:
            heard = self._short_pass(samples, lang, budget, pad_s)
            if heard is not None:
                return heard
        return None

    def _short_pass(
        self, samples: Any, lang: str | None, budget: int, pad_s: float,
    ) -> tuple[str, str | None, float] | None:
        import ctranslate2
        import numpy as np

        model = self._model
        padded = np.concatenate([samples, np.zeros(int(pad_s * SAMPLE_RATE), np.float32)])
        mel = model.feature_extractor(padded, padding=0)
        frames = mel.shape[1] - mel.shape[1] % 2
        features = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None, :, :frames]))
        encoded = model.model.encode(features, to_cpu=False)
        prob = 1.0
        tries: list[tuple[str | None, float]] = [(lang, prob)]
        prefer = self.prefer
        if lang is None:
            ranked = [(t.strip("<|>"), p) for t, p in model.model.detect_language(encoded)[0]]
            allowed = [(code, p) for code, p in ranked if not self.languages or code in self.languages] or ranked
            tries = allowed[:1]
            if len(allowed) > 1 and allowed[0][1] < _SURE_LANGUAGE and allowed[1][1] >= _CLOSE * allowed[0][1]:
                tries = allowed[:2]  # two close candidates: decode both, keep the likelier text
            leaned = [(c, p) for c, p in allowed[1:] if c == prefer]
            if leaned and allowed[0][1] < _PREFER_UNLESS:  # unsure, and not the conversation's language
                tries = [allowed[0], leaned[0]]
        # ~10 tokens a second is fast talk; running past it without an end token is a repetition loop
        budget = min(budget, int(_SHORT_TOKENS_PER_S * len(samples) / SAMPLE_RATE) + 16)
        decodes = [(code, p, *self._generate(encoded, code, budget)) for code, p in tries]
        lang, prob, tok, result = max(decodes, key=lambda d: float(d[3].scores[0]) if d[3].scores else -9.0)
        ids = [t for t in result.sequences_ids[0] if t < tok.eot]
        text = tok.decode(ids).strip()
        if echoes_cue(text, self.cues):  # the decoder went on with the cue instead of the audio
            return None
        if len(ids) >= budget - 1 or repeats_itself(text):  # a loop (the length limit stopped it)
            unit = first_of_repeats(text)
            if unit is None:
                return None
            text = unit
        avg_logprob = float(result.scores[0]) if result.scores else 0.0
        if not text:
            return ("", lang, prob) if result.no_speech_prob > _NO_SPEECH else None
        if (compression_ratio(text) > _MAX_COMPRESSION or avg_logprob < _SHORT_MIN_LOGPROB or repeats_itself(text)
                or is_degenerate(text)):
            return None
        if is_unsure(result.no_speech_prob, avg_logprob) and not has_speech(samples):
            return "", lang, prob
        self.last_logprob = avg_logprob
        return text, lang, float(prob)

    def _generate(self, encoded: Any, lang: str | None, budget: int) -> tuple[Any, Any]:
        """One greedy decode of ``encoded`` in ``lang`` after the language's cue: (tokenizer, result)."""
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        tok = Tokenizer(model.hf_tokenizer, self.multilingual, task="transcribe", language=lang)
        cue = self.cues.get(lang or "", "")
        before = [tok.sot_prev, *tok.encode(" " + cue)] if cue else []
        prompt = [*before, *tok.sot_sequence, tok.no_timestamps]
        result = model.model.generate(
            encoded, [prompt], beam_size=self.beam_size, max_length=len(prompt) + budget,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
        )[0]
        return tok, result

    def close(self) -> None:
        """Drop the model so CTranslate2 frees its memory."""
        self._model = None
