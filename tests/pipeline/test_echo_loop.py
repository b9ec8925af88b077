"""Open speakers looped back into the microphone: with echo cancellation Jarvis does not hear itself,
and the user can still interrupt it by voice; without it, its own echo interrupts it.

The rig is PulseAudio's ``module-loopback`` from the virtual speaker's monitor into the virtual
microphone, 40 ms late at half the level, over a -60 dBFS mic noise floor
(:meth:`devsupport.pulse.PulseServer.loopback`); the voice loop listens hands-free through
sounddevice, the reply is the real small LLM telling a story spoken by Piper, and the user is a
LibriVox clip played into the microphone. No timing is asserted (``bench/echo_live.py`` measures).
"""

from __future__ import annotations

import time

from devsupport.voicekit import EN, QUESTION, voice_config, voice_models
from jarvis.assembly import build_voice
from jarvis.audio.events import BargeInPause, HeardText, MicLevel, SpeakingChanged
from jarvis.audio.wavio import read_wav, resample, write_wav
from jarvis.config import load_settings
from jarvis.messages import SpeechChunk, Transcript
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.voice_graph import VoiceOptions

LONG = "Tell me a long story about a dragon who learns to bake bread, with many details."
LLM = (
    'system_prompt = "You are a storyteller. Always answer at length."\n'
    "max_tokens = 48\ntemperature = 0.0\nseed = 7\nhistory_tokens = 1024"
)


REPLY = (
    "The weather in Madrid is sunny today, with a high of twenty four degrees and a light breeze. "
    "I have set a timer for ten minutes. I will let you know when it is done."
)


def well_formed(marks: list[str]) -> bool:
    """Each provisional pause ends once: confirmed (the reply was cut) or resumed."""
    pairs = range(0, len(marks), 2)
    return len(marks) % 2 == 0 and all(marks[i] == "paused" and marks[i + 1] != "paused" for i in pairs)


def words(text: str) -> set[str]:
    return {w.strip(".,!?;:'\"").lower() for w in text.split()} - {""}


class Rig:
    """Jarvis listening hands-free on the looped-back virtual devices, every event recorded."""

    def __init__(self, folder, speakers: str, echo_cancel: str = "auto", **sections: str) -> None:
        audio = (f'input_device = "pulse"\noutput_device = "pulse"\nmode = "hands_free"\n'
                 f'speakers = "{speakers}"\necho_cancel = "{echo_cancel}"')
        config = voice_config(folder, llm=LLM, audio=audio, **sections)
        self.assistant = Assistant(load_settings(config)).start()
        self.seen = EventRecorder(self.assistant.bus)
        stt, voices = voice_models()
        self.loop = build_voice(self.assistant, VoiceOptions(stt=stt, voices=voices)).start()
        time.sleep(2.0)  # PulseAudio's ALSA plugin takes a moment before the microphone delivers

    def of(self, kind: type) -> list:
        return [e for e in self.seen.events if isinstance(e, kind)]

    def states_while_speaking(self) -> list[str]:
        """The VAD state of each block heard while Jarvis's voice was playing (up to the block that cut it off)."""
        states: list[str] = []
        speaking = cut = False
        for e in self.seen.events:
            if isinstance(e, SpeakingChanged) and e.speaking:
                speaking = True
            elif isinstance(e, HeardText):
                cut = True  # the block that cut it off publishes its state after this
            elif isinstance(e, MicLevel) and speaking:
                states.append(e.vad_state)
                if cut:
                    break
        return states

    def speak(self, audio, rate: int) -> None:
        """Hand the player REPLY's audio as turn 1 and wait until it plays."""
        player = self.loop.player
        player.put(SpeechChunk(audio, rate, REPLY, 1, self.assistant.cancel.generation))
        player.end_turn(1)
        self.seen.wait_for(SpeakingChanged, lambda e: e.speaking, 30)

    def play_when_settled(self, server, clip, after_s: float) -> None:
        """Wait ``after_s``, then until the canceller has settled on Jarvis's voice (the microphone is
        muted until then; a fixed wait was too short on a loaded machine), then play ``clip``."""
        time.sleep(after_s)
        echo = self.loop.echo.input
        deadline = time.monotonic() + 20
        while not echo.settled and time.monotonic() < deadline:
            time.sleep(0.05)
        server.play(clip)

    def close(self) -> None:
        self.loop.stop()
        self.assistant.shutdown()


def _speak_over_loopback(tmp_path, server, attempt: int):
    with server.loopback(delay_ms=40, gain=0.5):
        folder = tmp_path / f"try-{attempt}"
        folder.mkdir()
        rig = Rig(folder, "open")
        try:
            turn = rig.assistant.submit_text(LONG)
            heard = rig.seen.wait_for(HeardText, lambda e: e.turn_id == turn, 240)
            time.sleep(1.5)  # long enough for an echo to become a turn, had it been heard
        finally:
            rig.close()
    return rig, heard


def test_with_echo_cancellation_jarvis_does_not_hear_its_own_reply(tmp_path, server):
    # bench/echo_live.py measures the rate: 0 of 24 replies cut off by their own echo on a quiet
    # machine, 1 of 24 VAD starts on echo. Under a loaded CI a rare leak once cut a reply, so one
    # second try is allowed; without cancelling every reply cuts itself off (the test below).
    rig, heard = _speak_over_loopback(tmp_path, server, 1)
    if heard is not None and heard.interrupted:
        rig, heard = _speak_over_loopback(tmp_path, server, 2)
    assert rig.loop.echo.mode == "aec"
    assert heard is not None and heard.text, "the reply was not spoken"
    assert not heard.interrupted, "Jarvis interrupted itself: its echo reached the VAD"
    assert [t for t in rig.of(Transcript) if t.source == "voice"] == []
    # the VAD may still take a rare leak of echo for speech (the loop then waits for the user's voice
    # over the echo, sees none and ignores it); without cancelling it hears speech all along
    states = rig.states_while_speaking()
    assert len(states) > 300 and states.count("speaking") < 0.1 * len(states), states
    stats = rig.loop.echo.input.stats
    assert stats.far_active_blocks > 100 and stats.erle_db is not None and stats.erle_db > 10, stats
    assert stats.delay_ms is not None  # the echo was found in the microphone: the rig really loops back


def test_without_echo_cancellation_the_echo_alone_interrupts_jarvis(tmp_path, server):
    """The same rig with the microphone open and nothing taken out (as a headset would be): Jarvis's
    own voice starts the VAD and cuts the reply off -- what the canceller is there to prevent."""
    with server.loopback(delay_ms=40, gain=0.5):
        rig = Rig(tmp_path, "headset")
        try:
            turn = rig.assistant.submit_text(LONG)
            heard = rig.seen.wait_for(HeardText, lambda e: e.turn_id == turn, 240)
        finally:
            rig.close()
    assert rig.loop.echo.input is None and rig.loop.echo.mode == "none"
    assert "speaking" in rig.states_while_speaking()
    assert heard is not None and heard.interrupted  # by nothing but its own voice


def test_the_user_interrupts_jarvis_by_voice_over_its_echo(tmp_path, server):
    with server.loopback(delay_ms=40, gain=0.5):
        rig = Rig(tmp_path, "open")
        try:
            first = rig.assistant.submit_text(LONG)
            rig.seen.wait_for(SpeakingChanged, lambda e: e.speaking, 240)
            time.sleep(3.0)  # Jarvis has been talking for a while
            server.play(QUESTION)  # "he was not an ill disposed young man", over Jarvis's voice
            said = rig.seen.wait_for(Transcript, lambda t: t.source == "voice", 120)
        finally:
            rig.close()
    cut = [e for e in rig.of(HeardText) if e.turn_id == first]
    assert cut and cut[0].interrupted, "the user's voice did not interrupt Jarvis"
    # what was said over Jarvis's voice comes through the canceller damaged; the end is clear ("young
    # man": whisper-base writes "men" for the damaged vowel about one run in ten, issue 24.5)...
    assert said is not None, "nothing was heard"
    heard = words(said.text)
    assert "young" in heard and heard & {"man", "men"}, said
    # ...and none of Jarvis's own words came through as the user's
    echo = {w for w in words(cut[0].text) if len(w) >= 5} - words("he was not an ill disposed young man")
    assert echo and not heard & echo, (said, cut[0].text)
    roles = [(t.role, t.interrupted) for t in rig.assistant.conversation.turns][:3]
    assert roles == [("user", False), ("assistant", True), ("user", False)]
    # the user's first voiced frames paused Jarvis and the VAD's start confirmed it (bench/echo_live.py:
    # 22 of 24; the others were cut by the VAD's start as before): no pause is left hanging
    marks = [e.state for e in rig.of(BargeInPause)]
    assert well_formed(marks) and not rig.loop.player.paused, marks


def test_a_click_over_jarvis_pauses_it_and_the_reply_plays_on_to_its_end(tmp_path, server):
    """30 ms of a voice over Jarvis's (a tongue click, a knock): loud enough that the microphone holds
    more than the echo, so Jarvis's voice pauses at once; the VAD does not confirm it, so it plays on
    from where it paused. Up to three clicks in one reply; every chunk is heard to its end.

    webrtcvad holds a click as speech for a few frames more, and whether that reaches the VAD's
    150 ms start varies with the echo around it; here the start needs 600 ms, so the click is
    never a barge-in and what is tested is the pause and the resume (tests/audio/test_barge_in.py
    has the frame counts with the default start)."""
    clip = read_wav(EN / "librivox-0870.wav", 16000)
    click = tmp_path / "click.wav"
    write_wav(click, clip[16000:16480] * 3.0, 16000)  # mid-word, peak about -11 dBFS
    with server.loopback(delay_ms=40, gain=0.5):
        rig = Rig(tmp_path, "open", **{"audio.vad": "start_ms = 600"})
        try:
            spoken = rig.loop.models.voices().speak(REPLY, "en")
            rig.speak(spoken.audio, spoken.sample_rate)
            for _ in range(3):  # a click on a loaded machine does not always show as double talk: up to three
                if any(e.state == "resumed" for e in rig.of(BargeInPause)):
                    break
                rig.play_when_settled(server, click, 2.5)
            heard = rig.seen.wait_for(HeardText, lambda e: e.turn_id == 1, 60)
        finally:
            rig.close()
    assert rig.loop.echo.mode == "aec"
    marks = [e.state for e in rig.of(BargeInPause)]
    assert heard is not None and not heard.interrupted and heard.text == REPLY, marks  # played to its end
    assert "paused" in marks and "confirmed" not in marks and well_formed(marks), marks
    assert [t for t in rig.of(Transcript) if t.source == "voice"] == []


def test_a_backchannel_over_jarvis_holds_its_voice_and_the_reply_plays_on_to_its_end(tmp_path, server):
    """"Yeah." said over Jarvis's voice (Piper, as a listener would): the VAD starts on it, the reply
    is held while it is transcribed, and as a backchannel it lets the reply play on (issue 24.1).
    Up to three tries: on a loaded machine a short word over the echo does not always start the VAD
    (then nothing was held, and the test says so). The cut after 1.2 s of speech (``floor_ms``, tested
    in tests/pipeline/test_floor.py) is moved out of the way: in one CI run the canceller's leak around
    the word kept the VAD in speech that long and the reply was cut before the word was heard."""
    with server.loopback(delay_ms=40, gain=0.5):
        rig = Rig(tmp_path, "open", **{"audio.barge_in": "floor_ms = 4000"})
        try:
            voices = rig.loop.models.voices()
            said = voices.speak("Yeah.", "en")
            clip = tmp_path / "yeah.wav"
            write_wav(clip, resample(said.audio, said.sample_rate, 16000), 16000)
            reply = voices.speak(REPLY, "en")
            rig.speak(reply.audio, reply.sample_rate)
            for _ in range(3):  # the reply is long enough for three tries only if the first ones come soon
                if any(e.state == "resumed" and e.said for e in rig.of(BargeInPause)):
                    break
                rig.play_when_settled(server, clip, 1.0)
                deadline = time.monotonic() + 4  # heard, transcribed and settled
                while not any(e.state == "resumed" for e in rig.of(BargeInPause)) and time.monotonic() < deadline:
                    time.sleep(0.05)
            heard = rig.seen.wait_for(HeardText, lambda e: e.turn_id == 1, 90)
        finally:
            rig.close()
    marks = [(e.state, e.said) for e in rig.of(BargeInPause)]
    assert any(state == "resumed" and said for state, said in marks), marks  # held, heard, played on
    assert heard is not None and not heard.interrupted and heard.text == REPLY, marks
    assert "confirmed" not in [state for state, _ in marks] and well_formed([s for s, _ in marks]), marks
    assert [t for t in rig.of(Transcript) if t.source == "voice"] == []  # a backchannel is no turn

