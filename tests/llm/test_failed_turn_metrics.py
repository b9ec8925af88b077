"""A turn that no model could answer still writes its metrics line: model "none", every error."""

from __future__ import annotations

import pytest

from jarvis.assembly import build
from jarvis.config import parse_settings
from jarvis.errors import JarvisError
from jarvis.metrics import read_records


def test_every_model_failing_still_writes_a_metrics_record(tmp_path):
    models = [{"name": n, "file": str(tmp_path / f"{n}.gguf"), "memory_mb": 300, "context": 512}
              for n in ("ghost-a", "ghost-b")]
    settings = parse_settings({
        "general": {"data_dir": str(tmp_path / "data")},
        "llm": {"max_tokens": 4},
        "router": {"keep_alive_s": 0},
        "memory": {"enabled": False},
        "models": models,
    }, tmp_path / "config.toml")
    with build(settings) as jarvis:
        with pytest.raises(JarvisError):
            jarvis.assistant.ask("Who wrote Romeo and Juliet?")  # a question for a model (not the instant path)
    records, bad = read_records(settings.general.metrics_file)
    assert bad == 0 and len(records) == 1
    rec = records[0]
    assert rec["model"] == "none"
    assert rec["route"]["model"] in ("ghost-a", "ghost-b")
    assert rec["error"] and "no model could answer" in rec["error"]
    assert len(rec["fallbacks"]) == 2 and all("not found" in f for f in rec["fallbacks"])
    assert rec["tokens_out"] == 0 and "reply_done" in rec["timings"]
