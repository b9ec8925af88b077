"""Only the owner's voice (issue 24.3): the speaker embedding on real voices, the voiceprint kept
0600 and forgotten, ``jarvis voice enroll|status|forget``, and the STT stage dropping another voice.

The embedder is the real d-vector ONNX model (``models/speaker/``, installed by install.sh); the
voices are the LibriVox fixtures (three readers, and the 60 s lecture) and Jarvis's Piper voice.
"""

from __future__ import annotations

import json
import stat

import numpy as np
import pytest

from devsupport.paths import FIXTURES
from devsupport.voicekit import voice_config, voice_models
from jarvis.audio.events import OtherVoice
from jarvis.audio.speaker_id import (
    OwnerCheck,
    SpeakerEmbedder,
    forget_voiceprint,
    load_voiceprint,
    save_voiceprint,
    voiceprint_path,
)
from jarvis.audio.wavio import read_wav, resample, write_wav
from jarvis.cli import main as cli_main
from jarvis.config import load_settings
from jarvis.errors import ModelNotFound
from jarvis.messages import Utterance
from jarvis.pipeline.recorder import EventRecorder
from jarvis.pipeline.runner import Assistant
from jarvis.pipeline.stt_stage import SttStage

EN = FIXTURES / "speech" / "en"
SR = 16000


@pytest.fixture(scope="module")
def embedder(tmp_path_factory) -> SpeakerEmbedder:
    settings = load_settings(voice_config(tmp_path_factory.mktemp("speaker")))
    return SpeakerEmbedder(settings.audio.speaker.model)


def lecture() -> np.ndarray:
    return read_wav(EN / "lecture-60s.wav", SR)


def test_the_same_voice_scores_higher_than_other_voices(embedder):
    talk = lecture()
    owner = embedder(talk[: 15 * SR])  # enrolled on the first 15 s
    same = [float(embedder(talk[i : i + 3 * SR]) @ owner) for i in range(20 * SR, 56 * SR, 6 * SR)]
    others = [float(embedder(read_wav(EN / f"librivox-{n}.wav", SR)) @ owner) for n in ("0870", "0880", "0920")]
    _, voices = voice_models()
    spoken = voices.speak("The weather in Madrid is sunny today, with a light breeze.", "en")
    others.append(float(embedder(resample(spoken.audio, spoken.sample_rate, SR)) @ owner))
    assert min(same) > max(others), (same, others)
    assert np.isclose(np.linalg.norm(owner), 1.0, atol=1e-4) and owner.shape == (256,)


def test_a_missing_model_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelNotFound) as err:
        SpeakerEmbedder(tmp_path / "nope.onnx")
    assert "install.sh" in err.value.hint


def test_the_voiceprint_is_private_and_can_be_forgotten(tmp_path):
    data = tmp_path / "data"
    path = save_voiceprint(data, np.full(256, 1 / 16, np.float32), 14.2)
    assert path == voiceprint_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700
    assert np.allclose(load_voiceprint(data), 1 / 16)
    path.write_text("{not json")
    assert load_voiceprint(data) is None  # a damaged file is no voiceprint (enrol again)
    assert forget_voiceprint(data) and not path.exists() and not forget_voiceprint(data)


def cli(tmp_path, *argv: str) -> int:
    return cli_main(["--config", str(tmp_path / "config.toml"), *argv])


def test_enroll_status_and_forget_from_the_command_line(tmp_path, capsys):
    voice_config(tmp_path)
    wav = tmp_path / "me.wav"
    write_wav(wav, lecture()[: 16 * SR], SR)
    assert cli(tmp_path, "voice", "enroll", "--input", str(wav), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["voiced_s"] >= 8 and out["only_my_voice"] is False
    assert cli(tmp_path, "voice", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enrolled"] and not status["in_use"]
    assert cli(tmp_path, "voice", "forget") == 0
    assert "deleted" in capsys.readouterr().out
    assert cli(tmp_path, "voice", "status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["enrolled"] is False


def test_too_little_speech_stores_nothing(tmp_path, capsys):
    voice_config(tmp_path)
    wav = tmp_path / "short.wav"
    write_wav(wav, lecture()[: 3 * SR], SR)
    assert cli(tmp_path, "voice", "enroll", "--input", str(wav)) != 0
    err = capsys.readouterr().err
    assert "s of speech heard" in err and "nothing was stored" in err and "Traceback" not in err
    settings = load_settings(tmp_path / "config.toml")
    assert not voiceprint_path(settings.general.data_dir).exists()


def test_the_stt_stage_drops_another_voice_and_hears_the_owner(tmp_path, embedder):
    settings = load_settings(voice_config(tmp_path))
    assistant = Assistant(settings)
    seen = EventRecorder(assistant.bus)
    decoded: list = []
    stt, _ = voice_models()

    def recogniser():
        decoded.append(True)
        return stt

    talk = lecture()
    owner = OwnerCheck(embedder, embedder(talk[: 15 * SR]), settings.audio.speaker.threshold)
    stage = SttStage(assistant, recogniser, lambda: None, owner=owner)
    other = read_wav(EN / "librivox-0880.wav", SR)
    stage.process(Utterance(other, SR, 0.0))
    assert decoded == [] and [type(e) for e in seen.events if isinstance(e, OtherVoice)] == [OtherVoice]
    stage.process(Utterance(talk[30 * SR : 34 * SR], SR, 0.0))
    assert decoded == [True]  # the owner's words are transcribed (and submitted as a turn)
