"""``jarvis doctor --deep``: run each stage once on the device the placement plan gives it, and time it.

The reply model generates a short answer (tokens per second, first token), the voice speaks a
sentence and speech recognition hears it back (times faster than real time), the memory embedder
embeds a batch (sentences per second). A stage whose GPU cannot be used falls back to the CPU as it
would in a session, and the row says so; a stage that fails is reported, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.hardware import PlacementPlan

SENTENCE = "Jarvis is checking that every part of the voice pipeline works on this machine."
PROMPT = "In two sentences, why is the sky blue?"


def _row(stage: str, planned: str) -> dict[str, Any]:
    return {"stage": stage, "planned": planned, "device": planned, "load_s": None, "speed": None, "unit": "",
            "detail": "", "notes": [], "error": None}


def _guard(row: dict[str, Any], run: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    try:
        run(row)
    except JarvisError as exc:
        row["error"] = exc.one_line()
    except Exception as exc:  # a report never crashes: say what broke
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
    return row


def check_llm(settings: Settings, plan: PlacementPlan) -> dict[str, Any]:
    """Load the default model through the model pool (as a session does) and generate a short reply."""
    from jarvis.llm.base import ChatMessage, GenerationRequest
    from jarvis.llm.pool import ModelPool
    from jarvis.messages import StageError

    spec = settings.default_model
    placement = plan.get(spec.name)
    row = _row("llm", placement.device if placement else "remote")

    def run(row: dict[str, Any]) -> None:
        events: list[Any] = []
        pool = ModelPool(settings, plan, events.append, keep_alive_s=0)
        try:
            t0 = time.monotonic()
            model = pool.get(spec.name)
            row["load_s"] = round(time.monotonic() - t0, 2)
            row["device"] = pool.resident().get(spec.name, row["device"])
            row["notes"] = [e.message for e in events if isinstance(e, StageError)]
            req = GenerationRequest([ChatMessage("user", PROMPT)], max_tokens=48, temperature=0.0, seed=1)
            model.complete(req)
            stats = model.last_stats
            row["speed"], row["unit"] = round(stats.tokens_per_s, 1), "tok/s"
            ttft = stats.time_to_first_token_s or 0.0
            row["detail"] = f"{spec.name}, first token {ttft:.2f}s, {stats.completion_tokens} tokens"
        finally:
            pool.close()

    return _guard(row, run)


def check_tts(settings: Settings, plan: PlacementPlan) -> tuple[dict[str, Any], Any]:
    """Speak :data:`SENTENCE` with the default language's voice; returns the row and (audio, rate)."""
    from jarvis.tts.voices import VoiceSet

    placement = plan.get("tts")
    row = _row("tts", placement.device if placement else "cpu")
    spoken: list[Any] = []

    def run(row: dict[str, Any]) -> None:
        t0 = time.monotonic()
        voices = VoiceSet(settings.tts, placement.n_threads if placement else 0)
        try:
            voices.speak("Hello.", settings.tts.default_language)  # loads and warms the voice
            row["load_s"] = round(time.monotonic() - t0, 2)
            out = voices.speak(SENTENCE, "en")
            row["speed"], row["unit"] = round(out.duration_s / max(out.seconds, 1e-6), 1), "x real time"
            row["detail"] = f"{out.voice}, {out.duration_s:.1f}s of speech in {out.seconds:.2f}s"
            spoken.append((out.audio, out.sample_rate))
        finally:
            voices.close()

    return _guard(row, run), (spoken[0] if spoken else None)


def check_stt(settings: Settings, plan: PlacementPlan, speech: Any = None) -> dict[str, Any]:
    """Hear the spoken sentence (or two seconds of quiet noise without a voice) once."""
    import numpy as np

    from jarvis.audio.wavio import resample
    from jarvis.stt import SAMPLE_RATE, load_stt, stt_placement

    device, compute, _ = stt_placement(settings, plan)
    row = _row("stt", device)

    def run(row: dict[str, Any]) -> None:
        notes: list[str] = []
        t0 = time.monotonic()
        stt = load_stt(settings, plan, on_fallback=notes.append)
        try:
            row["load_s"] = round(time.monotonic() - t0, 2)
            if speech is not None:
                audio = resample(speech[0], speech[1], SAMPLE_RATE)
            else:
                audio = (np.random.default_rng(0).standard_normal(2 * SAMPLE_RATE) * 0.01).astype(np.float32)
            stt.transcribe(audio[: SAMPLE_RATE // 2], "en")  # the first call costs more than the others
            result = stt.transcribe(audio, "en")
            row["device"], row["notes"] = getattr(stt, "device", device), notes
            row["speed"], row["unit"] = round(result.audio_s / max(result.seconds, 1e-6), 1), "x real time"
            kind = getattr(stt, "compute_type", compute)
            row["detail"] = f"{settings.stt.model.name} {kind}, heard \"{result.text}\""
        finally:
            stt.close()

    return _guard(row, run)


def check_embeddings(settings: Settings, plan: PlacementPlan) -> dict[str, Any]:
    """Embed 32 sentences once (after one warm-up sentence)."""
    from jarvis.memory.embedder import Embedder
    from jarvis.memory.service import embedder_device

    device = embedder_device(settings, plan)
    row = _row("embeddings", device)

    def run(row: dict[str, Any]) -> None:
        t0 = time.monotonic()
        emb = Embedder(settings.memory.embedder, device, threads=settings.memory.embedder_threads)
        emb.encode(["warm up"])
        row["load_s"] = round(time.monotonic() - t0, 2)
        texts = [f"{SENTENCE} ({i})" for i in range(32)]
        t1 = time.monotonic()
        emb.encode(texts)
        row["speed"], row["unit"] = round(len(texts) / max(time.monotonic() - t1, 1e-6)), "sentences/s"
        row["device"], row["detail"] = emb.device, emb.name

    return _guard(row, run)


def deep_check(settings: Settings, plan: PlacementPlan) -> list[dict[str, Any]]:
    """One row per stage: planned and actual device, load time, speed, notes (fallbacks), error."""
    rows = [check_llm(settings, plan)]
    speech = None
    if settings.tts.enabled:
        row, speech = check_tts(settings, plan)
        rows.append(row)
    else:
        rows.append({**_row("tts", "-"), "error": "off (tts.enabled = false)"})
    rows.append(check_stt(settings, plan, speech))
    if settings.memory.enabled:
        rows.append(check_embeddings(settings, plan))
    else:
        rows.append({**_row("embeddings", "-"), "error": "off (memory.enabled = false)"})
    return rows


def run_deep(settings: Settings) -> list[dict[str, Any]]:
    """:func:`deep_check` with this machine's placement plan."""
    from jarvis.hardware import plan_here

    return deep_check(settings, plan_here(settings))


def deep_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The rows as text for ``jarvis doctor --deep``."""
    out = ["", "deep check (each stage once, on the device the plan gives it)"]
    for r in rows:
        where = r["device"] if r["device"] == r["planned"] else f"{r['planned']} -> {r['device']}"
        if r["error"]:
            out.append(f"  {r['stage']:<11} {where:<14} {r['error']}")
            continue
        speed = f"{r['speed']}{'' if r['unit'].startswith('x') else ' '}{r['unit']}"
        out.append(f"  {r['stage']:<11} {where:<14} load {r['load_s']:>5.2f}s  {speed:<16} {r['detail']}")
        out += [f"  {'':<11} note: {n}" for n in r["notes"]]
    return out
