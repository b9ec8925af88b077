"""Speech over Jarvis's reply: backchannels and coughs let it play on, bids for the floor cut it
(issue 24.1). The words are the ones whisper-base writes for English and Spanish listeners (espeak-ng
and Kokoro voices); the held reply is a real player writing a WAV file."""

from __future__ import annotations

import numpy as np
import pytest

from devsupport.voicekit import voice_config
from jarvis.audio.devices import WavFileOutput
from jarvis.audio.events import BargeInPause
from jarvis.audio.playback import Player
from jarvis.audio.vad import QUIET, SPEAKING
from jarvis.config import load_settings
from jarvis.messages import SpeechChunk, Utterance
from jarvis.pipeline.echo_guard import EchoGuard
from jarvis.pipeline.floor import FloorHold, asks_for_floor, words_of

BACKCHANNELS = [
    "Mm-hmm.", "Mm-hmm", "M.M.", "MMVM", "Hmm.", "CC.", "Uh-huh.", "Uh uh", "Yeah.", "Yeah, right.", "Right.",
    "Okay.", "OK", "Bali, Bali.",
    "I see.", "Got it.", "Sure.", "Oh", "Wow.", "Exactly.", "Ha ha ha.",
    "Ajá.", "Sí.", "si", "Sí, sí.", "Vale.", "Vale, vale.", "Bale", "Claro.", "¡Claro!", "Ya.", "Bueno.",
    "De acuerdo.", "Ya veo.", "Entiendo.", "Jajaja",
    "", "...", "[coughs]", "(laughs)", "*cough*", "Thank you.", "Gracias.", "Thanks for watching!", "¡Suscríbete!",
]
FLOOR = [
    "Wait.", "Stop.", "Let's stop.", "Hold on.", "Hold on, what was that?", "Wait, stop, I have a different question.",
    "Stop! Please!", "No.", "Shh.", "Excuse me.", "Really?", "Okay, but what about tomorrow?",
    "Yeah, yeah, yeah, yeah, yeah.",
    "Espera.", "Para.", "Para, por favor.", "Oye.", "Oye, una pregunta.", "Un momento.", "¿Y mañana?",
    "Espera para un momento, tengo otra pregunta.", "Sí, pero no.",
]


@pytest.mark.parametrize("text", BACKCHANNELS)
def test_a_listener_s_backchannel_or_a_noise_does_not_ask_for_the_floor(text):
    assert not asks_for_floor(text), words_of(text)


@pytest.mark.parametrize("text", FLOOR)
def test_words_that_ask_for_the_floor_do(text):
    assert asks_for_floor(text), words_of(text)


def test_words_are_folded_as_whisper_spells_them():
    assert words_of("¡Ajá, sí!") == ["aja", "si"]
    assert words_of("Mm-hmm. Uh-huh.") == ["mmhmm", "uhhuh"]
    assert words_of("(coughs) [laughs] *sigh* ok") == ["ok"]


def test_the_hold_cuts_on_length_resumes_on_a_blip_and_settles_once():
    hold = FloorHold(floor_frames=5, quiet_frames=2)
    assert hold.frame(True, False) is None  # not held: nothing to say
    assert hold.begin() and not hold.begin()  # already held: the newest speech goes on deciding
    assert [hold.frame(True, False) for _ in range(4)] == [None] * 4
    assert hold.frame(True, False) == "floor"  # five voiced frames: too long for a backchannel
    assert hold.settle() and not hold.settle() and not hold.active

    hold.begin()
    hold.frame(True, False)
    assert hold.frame(False, True) is None and hold.frame(False, True) == "blip"  # quiet, nothing to hear

    hold.settle()
    hold.begin()
    hold.heard()  # the utterance goes to speech recognition: its words decide, not the quiet or length
    assert all(hold.frame(v, q) is None for v, q in [(False, True)] * 5 + [(True, False)] * 9)
    assert hold.waiting and hold.settle()


class HeldRig:
    """An echo guard with a headset (the microphone does not hear the speaker) and a real player."""

    def __init__(self, tmp_path, **barge: str) -> None:
        extra = "\n".join(f"{k} = {v}" for k, v in barge.items())
        settings = load_settings(voice_config(tmp_path, **{"audio.barge_in": extra} if extra else {}))
        self.events: list = []
        self.cuts = 0
        self.player = Player(WavFileOutput(tmp_path / "said.wav", 24000, realtime=False), self.events.append)
        self.echo = EchoGuard(settings.audio, self.events.append, speakers="headset", echo_cancel="auto", speaks=True)
        self.echo.attach(self.player, self.cut, lambda: True, lambda: False)
        self.player.put(SpeechChunk(np.zeros(24000, np.float32), 24000, "A long reply.", 1, 0))

    def cut(self) -> None:
        self.echo.confirm_pause()  # as the barge-in's first step does
        self.cuts += 1

    def marks(self) -> list[tuple[str, str]]:
        return [(e.state, e.said) for e in self.events if isinstance(e, BargeInPause)]


def test_speech_over_the_reply_holds_it_and_a_backchannel_lets_it_play_on(tmp_path):
    rig = HeldRig(tmp_path)
    rig.echo.on_speech_start()
    assert rig.player.paused and rig.echo.holding and rig.cuts == 0
    rig.echo.on_frame(True, SPEAKING)
    utt = Utterance(np.zeros(8000, np.float32), 16000, 0.0)
    assert rig.echo.held(utt)  # the utterance ended: its words decide, the reply stays held meanwhile
    assert rig.player.paused
    rig.echo.settle(False, "Mm-hmm.")
    rig.echo.settle(True, "late")  # settled already: nothing more happens
    assert not rig.player.paused and not rig.echo.holding and rig.cuts == 0
    assert rig.marks() == [("paused", ""), ("resumed", "Mm-hmm.")]


def test_words_that_ask_for_the_floor_cut_the_held_reply_once(tmp_path):
    rig = HeldRig(tmp_path)
    rig.echo.on_speech_start()
    rig.echo.held(Utterance(np.zeros(8000, np.float32), 16000, 0.0))
    rig.echo.settle(True, "Wait.")
    rig.echo.settle(True, "Wait.")
    assert rig.cuts == 1 and not rig.echo.holding
    assert rig.marks() == [("paused", ""), ("confirmed", "")]


def test_long_speech_cuts_at_once_and_a_blip_resumes(tmp_path):
    rig = HeldRig(tmp_path, floor_ms="300")  # 150 ms to the VAD's start, then 5 voiced frames of 30 ms
    rig.echo.on_speech_start()
    for _ in range(5):
        rig.echo.on_frame(True, SPEAKING)
    assert rig.cuts == 1 and not rig.echo.holding
    assert not rig.echo.held(Utterance(np.zeros(16000, np.float32), 16000, 0.0))  # a normal turn now

    rig = HeldRig(tmp_path)
    rig.echo.on_speech_start()
    rig.echo.on_frame(True, SPEAKING)
    for _ in range(3):  # the VAD dropped it (shorter than min_speech_ms): nothing to hear, play on
        rig.echo.on_frame(False, QUIET)
    assert rig.cuts == 0 and not rig.player.paused and rig.marks() == [("paused", ""), ("resumed", "")]


def test_without_hear_first_speech_over_the_reply_cuts_it_at_once(tmp_path):
    rig = HeldRig(tmp_path, hear_first="false")
    rig.echo.on_speech_start()
    assert rig.cuts == 1 and not rig.echo.holding
    assert not rig.echo.held(Utterance(np.zeros(8000, np.float32), 16000, 0.0))


def test_speech_over_the_held_reply_ends_at_the_first_pause_without_the_end_of_turn_model():
    from jarvis.config import TurnSettings
    from jarvis.pipeline.turn_judge import TurnJudge

    def no_decode(audio):
        raise AssertionError("held speech is decoded once it ends, not while it is judged")

    held = [True]
    judge = TurnJudge(TurnSettings(), no_decode, held=lambda: held[0])
    verdict = judge(np.zeros(8000, np.float32))
    assert verdict.complete and verdict.transcript is None
    held[0] = False  # not held: the model and the decode decide as before (the model is not loaded here)
    with pytest.raises(AssertionError):
        judge(np.zeros(8000, np.float32))
