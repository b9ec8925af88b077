"""Echo cancellation live: Jarvis's own voice looped back into its microphone through PulseAudio.

The rig is the tests' PulseAudio daemon (``devsupport/pulse.py``): ``module-loopback`` from the
speaker's monitor into the microphone (delay 30-60 ms, gain 0.3-0.6, a -60 dBFS noise floor), like
a laptop's open speakers. The real voice pipeline (:func:`jarvis.assembly.build_voice`) listens hands-free
on the virtual devices through sounddevice; each trial hands its player a long reply (Jarvis's
Piper voice, ~9 s, synthesised once) as the TTS stage would, and a user (a LibriVox clip) starts
talking over it 2.5-4 s in (``paplay`` into the microphone). One voice loop per rig (one room per
session), its first 3 s of speech not scored; utterances are not transcribed.

Three conditions on the same rigs (the same seed: the same replies, users and moments), rig by rig
(each rig runs every condition in turn, so a busy machine weighs on them alike):

* ``aec`` -- ``audio.speakers = "open"`` with echo cancellation and the provisional barge-in (the
  defaults: Jarvis's voice pauses at the first sign of the user, the VAD's start confirms it);
* ``aec_no_pause`` -- the same without the provisional pause (``audio.barge_in.pause = false``):
  the reply is cut when the VAD starts, as before;
* ``raw`` -- no echo cancellation and no muting (``speakers = "headset"``): what the VAD hears.

Per trial, in stream samples (no thread timing enters them):

* ``erle_db`` -- the raw microphone over the canceller's output on the echo-only stretch;
* ``echo_alone_vad`` -- the VAD started, or was in an utterance, on the echo alone (before the user);
* ``echo_alone_cut`` -- Jarvis's reply was cut off before the user spoke (its own echo interrupted it);
* ``barged_in`` / ``bargein_ms`` -- the user cut the reply off, and how long after the user's first
  voiced 10 ms (found by cross-correlating the raw microphone with the clip) Jarvis went quiet for
  good: the pause that the VAD then confirmed, else the cut; target 300 ms. ``cut_ms`` is the cut
  itself (the VAD's start). ``bargein_from_voice_ms`` is the same delay from where the voice itself
  starts (15 dB over the clip's own noise floor: the first 10 ms above can be room tone or a breath,
  up to 0.27 s earlier). ``vad_alone_ms`` is the same VAD's own start latency on that clip with
  no echo at all, and ``bargein_added_ms`` what the echo and its cancelling add to it;
* ``speaker_lag_ms`` / ``bargein_audible_ms`` -- from that event until the speaker is quiet for good,
  measured on the speaker itself (``parec`` on its monitor, 5 ms blocks stamped as they arrive: a few
  ms late), and ``bargein_ms`` plus it: when the user hears Jarvis stop (what waits in the device
  buffer, ``audio.output_buffer_ms``, still plays); ``bargein_audible_from_voice_ms`` is the same
  from where the voice starts;
* ``echo_alone_pauses`` / ``echo_alone_resumed`` -- provisional pauses on the echo alone (before the
  user), and how many of them resumed (a false alarm the listener hears as a short gap);
* ``user_pause_resumed`` -- a pause on the user's voice that resumed before the VAD confirmed it.

    .venv/bin/python bench/echo_live.py [--trials 24] [--raw-trials N] [--no-pause-trials N]
        [--resample speex-float-5] [--seed 7] [--output-buffer-ms MS] [--dump DIR]

``--dump DIR`` saves each trial's VAD frames (stream position, voiced, double talk seen, the VAD's
state) and what the VAD heard, for offline looks at which signal is fast and safe.

``--resample`` is the daemon's resampler (``speex-float-1`` is PulseAudio's own default). Prints
one JSON document. Needs pulseaudio and pulseaudio-utils (installed by install.sh).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import emit, pct  # noqa: E402
from bench.echo_cancel import EN, USERS, erle_db, jarvis_speech, onset, vad_starts  # noqa: E402
from devsupport import pulse  # noqa: E402
from devsupport.config import write_config  # noqa: E402
from devsupport.voicekit import voice_models  # noqa: E402
from jarvis.assembly import build, build_voice  # noqa: E402
from jarvis.audio.devices import AudioInput, SoundDeviceInput  # noqa: E402
from jarvis.audio.echo_cancel import estimate_delay  # noqa: E402
from jarvis.audio.events import BargeInPause, HeardText, MicLevel, SpeakingChanged  # noqa: E402
from jarvis.audio.wavio import read_wav  # noqa: E402
from jarvis.config import BargeInSettings, load_settings  # noqa: E402
from jarvis.messages import SpeechChunk  # noqa: E402
from jarvis.pipeline.voice_graph import VoiceOptions  # noqa: E402

SR = 16000
REPLY_S = 9.0
TARGET_MS = 300
OUTPUT_BUFFER_MS: int | None = None  # audio.output_buffer_ms for the sessions (None: the default)
RIGS = ((40, 0.5), (30, 0.6), (60, 0.4), (50, 0.3))  # (delay ms, linear gain) of the loopback


class RecordingInput(AudioInput):
    """The live microphone, keeping every raw block it hands out (what the room sent, before any AEC)."""

    live = True

    def __init__(self, source: SoundDeviceInput) -> None:
        self.source = source
        self.name, self.sample_rate, self.block_frames = source.name, source.sample_rate, source.block_frames
        self.blocks: list[np.ndarray] = []
        self.lock = threading.Lock()

    @property
    def drops(self) -> int:  # type: ignore[override]
        return self.source.drops

    @property
    def block_time(self) -> float | None:  # type: ignore[override]
        return self.source.block_time

    @property
    def overflows(self) -> int:
        return self.source.overflows

    def start(self) -> None:
        self.source.start()

    def read(self, timeout: float = 0.1) -> Any | None:
        block = self.source.read(timeout)
        if block is not None:
            with self.lock:
                self.blocks.append(np.asarray(block, np.float32).copy())
        return block

    def audio(self) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    def close(self) -> None:
        self.source.close()


class SpeakerWatch:
    """What the speaker really plays: ``parec`` on its monitor in 5 ms blocks, each stamped (monotonic)
    as it arrives, so a stamp is a few ms after the sound. Keeps the latest ``keep_s`` seconds."""

    BLOCK = SR // 200
    LOUD = 1e-3  # a block with a sample above this is sound (the speaker's silence is digital zeros)

    def __init__(self, keep_s: float = 120.0) -> None:
        server = pulse.pulse_server()
        self.proc = subprocess.Popen(
            ["parec", "-d", f"{pulse.SPEAKER}.monitor", f"--rate={SR}", "--channels=1", "--format=s16le",
             "--raw", "--latency-msec=5"], stdout=subprocess.PIPE, env=server.env)
        self.blocks: deque[tuple[float, bool]] = deque(maxlen=int(keep_s * 200))
        threading.Thread(target=self._read, name="speaker-watch", daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while data := out.read(self.BLOCK * 2):
            peak = np.abs(np.frombuffer(data, "<i2")).max(initial=0) / 32768
            self.blocks.append((time.monotonic(), bool(peak > self.LOUD)))

    def quiet_after(self, at: float, window_s: float = 1.5) -> float | None:
        """Seconds from ``at`` until the speaker's last sound within ``window_s`` after it ended (0 when
        it was already quiet); None when the recording does not cover the window yet."""
        blocks = list(self.blocks)
        if not blocks or blocks[-1][0] < at + window_s:
            return None
        loud = [t for t, sound in blocks if at <= t <= at + window_s and sound]
        return max(0.0, loud[-1] - at) if loud else 0.0

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


WATCH: SpeakerWatch | None = None


class Session:
    """A voice loop on the rig, its microphone recorded, VAD starts and barge-ins noted in stream samples."""

    def __init__(self, folder: Path, speakers: str, stt: Any, voices: Any, pause: bool = True) -> None:
        m = ROOT / "models"
        buffer = "" if OUTPUT_BUFFER_MS is None else f"\noutput_buffer_ms = {OUTPUT_BUFFER_MS}"
        cfg = write_config(
            folder,
            default="smollm2-135m",
            tts=f'enabled = true\npiper_model = "{m}/piper/en_US-joe-medium.onnx"\n'
            f'kokoro_model = "{m}/kokoro/kokoro-v1.0.int8.onnx"\nkokoro_voices = "{m}/kokoro/voices.npz"',
            audio=f'input_device = "pulse"\noutput_device = "pulse"\nmode = "hands_free"\n'
            f'speakers = "{speakers}"{buffer}',
            **{"audio.turn": "enabled = false\npartial_every_ms = 0",
               "audio.barge_in": f"pause = {'true' if pause else 'false'}"},
        )
        self.jarvis = build(load_settings(cfg), memory=False, metrics=False).start(mcp=False)  # as `jarvis` builds it
        self.assistant = self.jarvis.assistant
        self.mic = RecordingInput(SoundDeviceInput("pulse", SR, 30))
        self.loop = build_voice(self.assistant, VoiceOptions(input=self.mic, stt=stt, voices=voices)).start()
        seg = self.loop.segmenter
        assert seg is not None
        seg.emit = lambda utt: None  # utterances are not turns here: nothing is transcribed or answered
        self.starts: list[int] = []
        hook = seg.on_speech_start

        def started() -> None:
            self.starts.append(seg.position)
            if hook is not None:
                hook()

        seg.on_speech_start = started
        # (stream position, voiced, double-talk blocks so far, hears_user, VAD state, the double-talk
        # detector's excess over the echo in dB or nan) per VAD frame
        self.frames: list[tuple[int, bool, int, bool, str, float]] = []
        frame_hook = seg.on_frame

        def framed(voiced: bool, state: str) -> None:
            echo = self.loop.echo.input
            talk = echo.stats.double_talk_blocks if echo is not None else 0
            excess = echo.double_talk.excess_db if echo is not None else None
            self.frames.append((seg.position, voiced, talk, echo is None or echo.hears_user, state,
                                float("nan") if excess is None else excess))
            if frame_hook is not None:
                frame_hook(voiced, state)

        seg.on_frame = framed
        self.heard: list[np.ndarray] = []  # what the VAD heard (the canceller's output with comfort noise)
        self.cancelled: list[np.ndarray] = []  # the canceller's output (ERLE is measured on it)
        if self.loop.echo.input is not None:
            self.loop.echo.input.tap = lambda raw, ref, cancelled, heard: (
                self.cancelled.append(cancelled.copy()), self.heard.append(heard.copy()))
        self.events: list[tuple[int, Any]] = []  # (stream position when seen, event)
        self.walls: dict[int, float] = {}  # id(event) -> when it was published (monotonic)
        self.states: list[tuple[int, str]] = []  # (stream position after the block, VAD state)
        self.assistant.bus.subscribe(self._seen)

    def _seen(self, event: Any) -> None:
        seg = self.loop.segmenter
        if seg is None:
            return
        if isinstance(event, MicLevel):  # published by the VAD thread right after each block
            self.states.append((seg.position, event.vad_state))
        elif isinstance(event, (SpeakingChanged, HeardText, BargeInPause)):
            self.walls[id(event)] = time.monotonic()
            self.events.append((seg.position, event))

    @property
    def position(self) -> int:
        return self.loop.segmenter.position if self.loop.segmenter is not None else 0

    def speak(self, audio: np.ndarray, turn_id: int) -> None:
        """Hand the player a whole reply, as the TTS stage would."""
        player = self.loop.player
        assert player is not None
        player.put(SpeechChunk(audio, SR, "reply", turn_id, self.assistant.cancel.generation))
        player.end_turn(turn_id)

    def quiet(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.loop.speaking and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.loop.stop()
        self.jarvis.close()


def user_onset(raw: np.ndarray, clip: np.ndarray, near: int) -> int:
    """Stream sample of the user's first voiced 10 ms: where the clip sits in the raw mic (GCC-PHAT)."""
    window = raw[near : near + len(clip) + 2 * SR]
    probe = np.zeros(len(window), np.float32)
    probe[: len(clip)] = clip[: len(window)]
    lag_ms, _ = estimate_delay(probe, window, SR, max_ms=2000)
    return near + lag_ms * SR // 1000 + onset(clip)


def voice_onset(clip: np.ndarray) -> int:
    """First sample of the first 10 ms frame 15 dB above the clip's own noise floor (its 10th percentile
    frame): where the voice itself starts. :func:`onset` (30 dB under the loudest frame) can be the
    recording's room tone (librivox-0880: 0.27 s before the first word) or a breath."""
    n = len(clip) // 160
    db = 10 * np.log10((clip[: n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1e-12)
    return int(np.argmax(db >= np.percentile(db, 10) + 15)) * 160


def vad_alone_ms(clip: np.ndarray, rng: np.random.Generator) -> float:
    """The VAD's own latency on the clip with no echo at all: its start after the clip's onset (ms).

    The same VAD settings over 1 s of the rig's -60 dBFS noise, then the clip in that noise; the
    barge-in delay minus this is what the echo and its cancelling add.
    """
    pad = np.concatenate([np.zeros(SR, np.float32), clip])
    pad = pad + (rng.standard_normal(len(pad)) * 1e-3).astype(np.float32)
    at = SR + onset(clip)
    starts = [s for s in vad_starts(pad) if s >= at]
    return round((starts[0] - at) * 1000 / SR) if starts else float("nan")


def pause_scores(events: list[tuple[int, Any]], user_at: int, cut_at: int | None) -> dict:
    """The provisional pauses of one trial: false ones on the echo alone, and when Jarvis went quiet
    for good (the pause the cut confirmed; else the cut itself), in stream samples."""
    marks = [(p, e.state) for p, e in events if isinstance(e, BargeInPause)]
    paused = [p for p, state in marks if state == "paused"]
    before = [p for p in paused if p < user_at]
    # each pause's end: the next resume or confirmation after it
    ends = [next((q for q, state in marks if q >= p and state != "paused"), None) for p in paused]
    resumed_before = sum(
        1 for p, end in zip(paused, ends, strict=True)
        if p < user_at and end is not None and (end, "resumed") in marks
    )
    on_user = [(p, end) for p, end in zip(paused, ends, strict=True) if p >= user_at]
    user_resumed = any(end is not None and (end, "resumed") in marks for _, end in on_user)
    silent_from = cut_at
    if cut_at is not None and (cut_at, "confirmed") in marks:  # the cut confirmed a pause: quiet since it
        silent_from = max((p for p in paused if p <= cut_at), default=cut_at)
    return {
        "echo_alone_pauses": len(before),
        "echo_alone_resumed": resumed_before,
        "user_pause_resumed": user_resumed,
        "silent_from": silent_from,
        "pause_after_user_ms": round((on_user[0][0] - user_at) * 1000 / SR) if on_user else None,
    }


def audible_ms(sess: Session, quiet_at: int | None) -> float | None:
    """From the event that made Jarvis quiet at stream position ``quiet_at`` (a pause the VAD then
    confirmed, else the cut) until the speaker is quiet for good (:class:`SpeakerWatch`; wall time:
    the only thread-timed figure here)."""
    quiet = [e for p, e in sess.events if p == quiet_at and (
        (isinstance(e, BargeInPause) and e.state == "paused") or (isinstance(e, HeardText) and e.interrupted))]
    if not quiet or WATCH is None:
        return None
    lag = WATCH.quiet_after(sess.walls[id(quiet[0])])
    return None if lag is None else round(lag * 1000)


def dump_trial(folder: Path, turn_id: int, sess: Session, user_at: int, spoke_at: int) -> None:
    """Save the trial's VAD frames and what the VAD heard (``--dump``)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = np.array([(p, v, t, u, s == "starting", s == "speaking") for p, v, t, u, s, _ in sess.frames], np.int64)
    excess = np.array([e for *_, e in sess.frames], np.float64)
    heard = np.concatenate(sess.heard) if sess.heard else np.zeros(0, np.float32)
    np.savez_compressed(folder / f"trial-{turn_id}.npz", frames=frames, excess=excess, heard=heard, user_at=user_at,
                        spoke_at=spoke_at, raw=sess.mic.audio())


def trial(sess: Session, reply: np.ndarray, clip: np.ndarray, clip_path: Path, after_s: float, turn_id: int,
          dump: Path | None = None) -> dict:
    """One reply with the user talking over it; scored in stream samples."""
    deadline = time.monotonic() + 35  # the last utterance has ended (at most audio.vad.max_utterance_s)
    while sess.loop.segmenter is not None and sess.loop.segmenter.state not in ("quiet", "off"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    sess.events.clear()
    sess.walls.clear()
    sess.states.clear()
    sess.frames.clear()
    n_starts = len(sess.starts)
    sess.speak(reply, turn_id)
    deadline = time.monotonic() + 10
    while not any(isinstance(e, SpeakingChanged) and e.speaking for _, e in sess.events):
        if time.monotonic() > deadline:
            raise RuntimeError("the player did not start")
        time.sleep(0.005)
    spoke_at = next(p for p, e in sess.events if isinstance(e, SpeakingChanged) and e.speaking)
    time.sleep(after_s)
    near = sess.position
    pulse.pulse_server().play(clip_path, wait=True)
    time.sleep(1.5)
    sess.quiet()
    time.sleep(0.5)
    raw = sess.mic.audio()
    user_at = user_onset(raw, clip, near)
    voice_at = user_at - onset(clip) + voice_onset(clip)
    starts = sess.starts[n_starts:]
    echo_from = spoke_at + SR // 10  # the echo is in the mic from here on
    # the VAD took the echo for speech: it started, or it was (still) in an utterance, before the user spoke
    voiced = [p for p, state in sess.states if echo_from <= p < user_at and state == "speaking"]
    on_echo = sorted({*(s for s in starts if echo_from <= s < user_at), *voiced[:1]})
    cut = [p for p, e in sess.events if isinstance(e, HeardText) and e.turn_id == turn_id and e.interrupted]
    cut_on_echo = bool(cut) and cut[0] < user_at  # Jarvis's own echo cut the reply off
    by_user = bool(cut) and not cut_on_echo
    paused = pause_scores(sess.events, user_at, cut[0] if cut else None)
    quiet_at = paused.pop("silent_from")
    row: dict = {
        "echo_alone_vad": bool(on_echo),
        "echo_alone_vad_after_s": round((on_echo[0] - spoke_at) / SR, 2) if on_echo else None,
        "echo_alone_cut": cut_on_echo,
        "barged_in": by_user,
        # the user's first word -> Jarvis quiet for good (a confirmed pause, else the cut)
        "bargein_ms": round((quiet_at - user_at) * 1000 / SR) if by_user and quiet_at is not None else None,
        "cut_ms": round((cut[0] - user_at) * 1000 / SR) if by_user else None,  # -> the VAD's start cut it
        # the same delay from where the voice itself starts (see voice_onset)
        "bargein_from_voice_ms": round((quiet_at - voice_at) * 1000 / SR) if by_user and quiet_at is not None else None,
    } | paused
    extra = audible_ms(sess, quiet_at) if row["bargein_ms"] is not None else None
    row["speaker_lag_ms"] = extra  # the silence reaches the speaker this much later
    row["bargein_audible_ms"] = None if extra is None else round(row["bargein_ms"] + extra)
    row["bargein_audible_from_voice_ms"] = None if extra is None else round(row["bargein_from_voice_ms"] + extra)
    if dump is not None:
        dump_trial(dump, turn_id, sess, user_at, spoke_at)
    if sess.cancelled:
        cancelled = np.concatenate(sess.cancelled)
        a, b = echo_from, min(user_at, len(cancelled), len(raw))
        if b - a > SR // 2:
            row["erle_db"] = round(erle_db(raw[a:b], cancelled[a:b]), 1)
    return row


@dataclass
class Condition:
    """One way of running Jarvis on the rigs, with its own trials (the same seed: the same trials)."""

    name: str
    speakers: str
    pause: bool
    trials: int
    rng: np.random.Generator
    rows: list[dict] = field(default_factory=list)
    cancellers: list[dict] = field(default_factory=list)


def run_rig(cond: Condition, r: int, jarvis: list, users: list, baseline: list, dump: Path | None) -> None:
    """``cond``'s share of trials on rig ``r`` (its loopback is open): a fresh voice loop (one room per
    session, as on a laptop: an echo path that changes mid-session makes AEC3 leak until it re-converges)."""
    stt, voices = voice_models()
    delay_ms, gain = RIGS[r]
    per_rig = -(-cond.trials // len(RIGS))
    folder = Path(tempfile.mkdtemp(prefix=f"jarvis-bench-echo-live-{cond.name}-"))
    sess = Session(folder, cond.speakers, stt, voices, cond.pause)
    rng, rows = cond.rng, cond.rows
    try:
        time.sleep(2.0)  # the streams start
        sess.speak(np.concatenate(jarvis)[: 3 * SR], 10 + r)  # the first words of the session: not scored
        sess.quiet()
        time.sleep(1.0)
        for _ in range(per_rig):
            if len(rows) >= cond.trials:
                break
            order = rng.permutation(len(jarvis))
            gap = np.zeros(SR // 5, np.float32)
            reply = np.concatenate([np.concatenate([jarvis[i], gap]) for i in order])[: int(REPLY_S * SR)]
            k = int(rng.integers(len(users)))
            after_s = float(rng.uniform(2.5, 4.0))
            row = trial(sess, reply, users[k], EN / USERS[k], after_s, 100 + len(rows), dump)
            alone = baseline[k]
            added = None if row["bargein_ms"] is None else row["bargein_ms"] - alone
            rows.append(row | {"bargein_added_ms": added, "vad_alone_ms": alone, "delay_ms": delay_ms,
                               "gain": gain, "user": USERS[k]})
        if sess.loop.echo.input is not None:
            stats = sess.loop.echo.input.stats
            fields = {k: getattr(stats, k) for k in stats.__dataclass_fields__}
            cond.cancellers.append({"rig": [delay_ms, gain]} | fields)
    finally:
        sess.close()


def run_conditions(conds: list[Condition], jarvis: list, users: list, dump: Path | None) -> None:
    """Every condition on every rig, rig by rig (so the conditions are interleaved in time: a busy
    machine weighs on them alike)."""
    global WATCH
    server = pulse.pulse_server()
    WATCH = WATCH or SpeakerWatch()
    baseline = [vad_alone_ms(u, np.random.default_rng(0)) for u in users]
    for r, (delay_ms, gain) in enumerate(RIGS):
        for cond in conds:
            with server.loopback(delay_ms, gain):
                run_rig(cond, r, jarvis, users, baseline, dump / cond.name if dump is not None else None)


def dist(values: list) -> dict:
    """p50, p90 and max of ``values``."""
    return {"p50": pct(values, 50), "p90": pct(values, 90), "max": max(values) if values else None}


def summary(rows: list[dict]) -> dict:
    """Rates and percentiles over the trials."""
    n = len(rows)
    lat = [r["bargein_ms"] for r in rows if r["bargein_ms"] is not None]
    cut = [r["cut_ms"] for r in rows if r["cut_ms"] is not None]
    voice = [r["bargein_from_voice_ms"] for r in rows if r["bargein_from_voice_ms"] is not None]
    audible = [r["bargein_audible_ms"] for r in rows if r["bargein_audible_ms"] is not None]
    heard = [r["bargein_audible_from_voice_ms"] for r in rows if r["bargein_audible_from_voice_ms"] is not None]
    lag = [r["speaker_lag_ms"] for r in rows if r["speaker_lag_ms"] is not None]
    added = [r["bargein_added_ms"] for r in rows if r["bargein_added_ms"] is not None]
    erle = [r["erle_db"] for r in rows if r.get("erle_db") is not None]
    out = {
        "trials": n,
        "echo_alone_vad_rate": round(sum(r["echo_alone_vad"] for r in rows) / n, 3),
        "echo_alone_cut_rate": round(sum(r["echo_alone_cut"] for r in rows) / n, 3),
        "barged_in_rate": round(sum(r["barged_in"] for r in rows) / n, 3),
        "bargein_within_300ms_rate": round(sum(1 for x in lat if x <= TARGET_MS) / n, 3),
        "bargein_ms": dist(lat),
        "bargein_added_ms": dist(added),
        "bargein_added_within_300ms_rate": round(sum(1 for x in added if x <= TARGET_MS) / n, 3),
        "cut_ms": dist(cut),
        "bargein_from_voice_ms": dist(voice),
        "bargein_from_voice_within_300ms_rate": round(sum(1 for x in voice if x <= TARGET_MS) / n, 3),
        "speaker_lag_ms": dist(lag),
        "bargein_audible_ms": dist(audible),
        "bargein_audible_from_voice_ms": dist(heard),
        "bargein_audible_from_voice_within_300ms_rate": round(sum(1 for x in heard if x <= TARGET_MS) / n, 3),
        "bargein_audible_within_300ms_rate": round(sum(1 for x in audible if x <= TARGET_MS) / n, 3),
        "echo_alone_pauses_per_trial": round(sum(r["echo_alone_pauses"] for r in rows) / n, 3),
        "echo_alone_pauses_resumed": sum(r["echo_alone_resumed"] for r in rows),
        "trials_with_echo_alone_pause": sum(1 for r in rows if r["echo_alone_pauses"]),
        "user_pause_resumed": sum(1 for r in rows if r["user_pause_resumed"]),
        "paused_on_user": sum(1 for r in rows if r["pause_after_user_ms"] is not None),
    }
    if erle:
        out["erle_db"] = {"mean": round(statistics.mean(erle), 1), "min": min(erle), "p50": pct(erle, 50)}
    triggered = [r["echo_alone_vad_after_s"] for r in rows if r["echo_alone_vad_after_s"] is not None]
    if triggered:
        out["echo_alone_vad_after_s_p50"] = pct(triggered, 50)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--raw-trials", type=int, default=None, help="trials without AEC (default: --trials; 0: none)")
    parser.add_argument("--no-pause-trials", type=int, default=None,
                        help="trials with AEC but no provisional pause (default: --trials; 0: none)")
    parser.add_argument("--output-buffer-ms", type=int, default=None,
                        help="audio.output_buffer_ms (the speaker's device buffer; default: the config's)")
    parser.add_argument("--dump", type=Path, default=None, help="save each trial's VAD frames and audio here")
    parser.add_argument("--resample", default=pulse.RESAMPLE_METHOD, help="PulseAudio's resample-method")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    why = pulse.available()
    if why is not None:
        sys.exit(f"echo_live bench needs PulseAudio: {why}")
    pulse.RESAMPLE_METHOD = args.resample
    global OUTPUT_BUFFER_MS
    OUTPUT_BUFFER_MS = args.output_buffer_ms
    pulse.pulse_server()
    jarvis = jarvis_speech()
    users = [read_wav(EN / name, SR) for name in USERS]
    barge = BargeInSettings()
    results = {}
    conditions = [
        Condition(name, speakers, pause, n, np.random.default_rng(args.seed))
        for name, speakers, pause, n in (
            ("aec", "open", True, args.trials),
            ("aec_no_pause", "open", False, args.trials if args.no_pause_trials is None else args.no_pause_trials),
            ("raw", "headset", False, args.trials if args.raw_trials is None else args.raw_trials),
        )
        if n > 0
    ]
    run_conditions(conditions, jarvis, users, args.dump)
    for cond in conditions:
        results[cond.name] = {"summary": summary(cond.rows), "trials": cond.rows, "canceller": cond.cancellers}
    emit(
        {
            "bench": "echo_live",
            "setup": "variant rig: jarvis.assembly.build on a test config (memory and router off, "
                     "tools on); utterances are counted, not answered",
            "rig": "PulseAudio module-loopback speaker monitor -> mic (delay/gain per trial group), -60 dBFS mic "
            f"noise, resample-method {args.resample}; the voice hands-free through sounddevice; Piper joe reply "
            f"{REPLY_S:.0f} s; LibriVox user from 2.5-4 s; webrtcvad agg 2, 30 ms frames, start 150 ms; "
            f"provisional pause after {barge.pause_ms} ms voiced with double talk, resume after {barge.resume_ms} ms",
            "target_bargein_ms": TARGET_MS,
            "summary": {name: r["summary"] for name, r in results.items()},
            "canceller": {name: r.get("canceller") for name, r in results.items() if r.get("canceller")},
            "trials": {name: r["trials"] for name, r in results.items()},
        }
    )


if __name__ == "__main__":
    main()
