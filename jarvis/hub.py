"""Pull GGUF models from the Hugging Face hub (or a mirror named by ``HF_ENDPOINT``) into ``models/``.

huggingface_hub does the talking: the endpoint and token, the repository listing, the file's
metadata (a HEAD: size, commit, and the sha256 the hub publishes for large files) and the HTTP
transfer with its progress bar. The partial download is kept in ``models/.partial/`` under a name
tied to the file's sha256, so a pull that was interrupted (Ctrl-C, a dropped connection, a new
process) resumes where it stopped. Every file is checked against the published sha256 before it
is moved into place; a mismatch deletes the download.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jarvis.errors import BackendUnavailable, JarvisError, ModelCorrupt, ModelNotFound, NeedsKey
from jarvis.gguf import SPLIT

GiB = 1024**3
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
PARTIAL = ".partial"


@dataclass(frozen=True)
class RemoteFile:
    """A file in a hub repository: its path, size and (for large files) published sha256."""

    path: str
    size: int
    sha256: str | None = None

    @property
    def name(self) -> str:
        """The file name without folders (what it is called in ``models/``)."""
        return self.path.rsplit("/", 1)[-1]


def endpoint() -> str:
    """The hub URL huggingface_hub uses (``HF_ENDPOINT`` or https://huggingface.co)."""
    from huggingface_hub import constants

    return constants.ENDPOINT


def parse_ref(ref: str) -> tuple[str, str | None, str | None]:
    """``OWNER/REPO[/FILE]`` or a hub URL -> (repo, file or None, revision or None).

    Raises:
        JarvisError: not something that names a repository.
    """
    text = ref.strip()
    revision = None
    if "://" in text:
        text = urlsplit(text).path
    parts = [p for p in text.strip("/").split("/") if p]
    if len(parts) >= 4 and parts[2] in ("resolve", "blob", "tree"):
        revision, parts = parts[3], parts[:2] + parts[4:]
    if len(parts) < 2:
        raise JarvisError(
            f"not a hub model: '{ref}'",
            "give OWNER/REPO or OWNER/REPO/FILE.gguf, e.g. bartowski/Qwen2.5-7B-Instruct-GGUF",
        )
    return "/".join(parts[:2]), "/".join(parts[2:]) or None, revision


def check_reachable(url: str, timeout: float = 5.0) -> None:
    """Raise :class:`BackendUnavailable` at once when the hub's host cannot be reached (offline).

    Skipped behind a proxy (the proxy, not this machine, connects to the hub).
    """
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY",
                                       "http_proxy")):
        return
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise BackendUnavailable(
            "offline: HF_HUB_OFFLINE is set, so the Hugging Face hub is not contacted", "unset HF_HUB_OFFLINE to pull"
        )
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=timeout).close()
    except OSError as exc:
        raise _offline(url, exc) from None


def _offline(url: str, exc: BaseException | str) -> BackendUnavailable:
    why = getattr(exc, "strerror", None) or str(exc).split("\n")[0] or type(exc).__name__
    return BackendUnavailable(
        f"cannot reach the Hugging Face hub at {url} ({why}): offline?",
        "connect to the internet (or set HF_ENDPOINT to a mirror); a .gguf copied into models/ needs no network",
    )


@contextlib.contextmanager
def hub_errors(repo: str, filename: str | None = None, revision: str | None = None) -> Iterator[None]:
    """Turn huggingface_hub and network failures into one-line JarvisErrors."""
    from huggingface_hub import errors as hf

    where = f"{repo}/{filename}" if filename else repo
    try:
        yield
    except JarvisError:
        raise
    except hf.OfflineModeIsEnabled:
        raise BackendUnavailable("offline: HF_HUB_OFFLINE is set", "unset HF_HUB_OFFLINE to pull") from None
    except hf.GatedRepoError:
        raise NeedsKey(
            f"{repo} is gated: its licence must be accepted on the hub first",
            "accept it on huggingface.co, then `hf auth login` or set HF_TOKEN",
        ) from None
    except hf.RevisionNotFoundError:
        raise ModelNotFound(f"no revision '{revision}' in {repo}", "leave out --revision to use main") from None
    except hf.RemoteEntryNotFoundError:
        raise ModelNotFound(f"{filename} is not in {repo}", f"run `jarvis models pull {repo}` to list its GGUF files") \
            from None
    except hf.RepositoryNotFoundError:
        raise ModelNotFound(
            f"no model repository '{repo}' on the hub",
            "check OWNER/REPO (e.g. bartowski/Qwen2.5-7B-Instruct-GGUF); a private repository needs HF_TOKEN",
        ) from None
    except hf.HfHubHTTPError as exc:
        status = exc.response.status_code if getattr(exc, "response", None) is not None else "?"
        again = "pull again in a while: the download resumes where it stopped" if filename else "try again in a while"
        raise BackendUnavailable(f"the hub answered HTTP {status} for {where}", again) from None
    except (ConnectionError, TimeoutError, socket.gaierror) as exc:
        raise _offline(endpoint(), exc) from None
    except OSError as exc:
        if getattr(exc, "errno", None) == 28:  # ENOSPC
            raise JarvisError(f"disk full while pulling {where}", "free some space and pull again: it resumes") \
                from None
        if "Consistency check failed" in str(exc):
            raise BackendUnavailable(f"the download of {where} was cut short", "pull again: it resumes") from None
        raise JarvisError(f"pulling {where} failed: {exc.strerror or exc}", "check the folder (--dir) is writable") \
            from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "requests", "urllib3"):  # network down
            raise _offline(endpoint(), exc) from None
        raise


def list_files(repo: str, revision: str | None = None) -> list[RemoteFile]:
    """Every file in ``repo`` at ``revision`` (default branch when None), with sizes and sha256."""
    from huggingface_hub import HfApi

    with hub_errors(repo, revision=revision):
        entries = HfApi().list_repo_tree(repo, recursive=True, revision=revision)
        files = []
        for e in entries:
            if not hasattr(e, "size"):
                continue  # a folder
            lfs = getattr(e, "lfs", None)
            sha = (lfs.get("sha256") if isinstance(lfs, dict) else getattr(lfs, "sha256", None)) if lfs else None
            files.append(RemoteFile(e.path, int(e.size or 0), sha))
    return files


def _model_key(path: str) -> str:
    m = SPLIT.match(path.rsplit("/", 1)[-1])
    return path.rsplit("/", 1)[0] + "/" + m["stem"] if m else path


def choose(files: list[RemoteFile], repo: str, filename: str | None) -> list[RemoteFile]:
    """The file(s) to pull: ``filename`` (every shard when it is one), or the repo's one GGUF model.

    With several GGUF models and no file named, a Q4_K_M one is taken when there is exactly one.

    Raises:
        ModelNotFound: no such file, no GGUF in the repo, or several to choose from.
    """
    ggufs = [f for f in files if f.path.lower().endswith(".gguf")]
    groups: dict[str, list[RemoteFile]] = {}
    for f in ggufs:
        groups.setdefault(_model_key(f.path), []).append(f)
    listing = ", ".join(
        f"{g[0].path} ({sum(x.size for x in g) / GiB:.1f} GiB)" for g in list(groups.values())[:8]
    ) + (" ..." if len(groups) > 8 else "")
    if filename is not None:
        hit = [f for f in ggufs if f.path == filename] or [f for f in ggufs if f.name == filename]
        if not hit:
            raise ModelNotFound(
                f"{filename} is not a GGUF file in {repo}", f"its GGUF files: {listing}" if ggufs else "it has none"
            )
        return sorted(groups[_model_key(hit[0].path)], key=lambda f: f.path)
    if not groups:
        raise ModelNotFound(f"{repo} has no GGUF file", "pick a repository with -GGUF in its name")
    if len(groups) == 1:
        return sorted(next(iter(groups.values())), key=lambda f: f.path)
    q4 = [g for key, g in groups.items() if "q4_k_m" in key.lower()]
    if len(q4) == 1:
        return sorted(q4[0], key=lambda f: f.path)
    raise ModelNotFound(
        f"{repo} has {len(groups)} GGUF models: name one, e.g. jarvis models pull {repo}/{ggufs[0].path}",
        f"its GGUF files: {listing}",
    )


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 8 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _git_sha1(path: Path) -> str:
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _digest(path: Path, sha256: str | None, etag: str) -> tuple[bool, str]:
    """(matches, digest): the published sha256 (large files) or git blob id (small ones: the ETag)."""
    if sha256:
        got = file_sha256(path)
        return got == sha256, got
    if _SHA1.match(etag):
        got = _git_sha1(path)
        return got == etag, got
    return True, ""  # the hub published no checksum for it; the size was checked while downloading


def download(
    repo: str, remote: RemoteFile, dest_dir: Path, revision: str | None = None, say: Callable[[str], None] = print,
) -> Path:
    """Download ``remote`` into ``dest_dir`` (resuming a partial download), check it, return its path.

    ``say`` gets a line when a download resumes and when the file is checked (the progress bar is
    huggingface_hub's own, on stderr).

    Raises:
        ModelCorrupt: the file does not match its published sha256 (the download is deleted).
        BackendUnavailable / ModelNotFound / NeedsKey: see :func:`hub_errors`.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    dest = dest_dir / remote.name
    with hub_errors(repo, remote.path, revision):
        url = hf_hub_url(repo, remote.path, revision=revision)
        meta = get_hf_file_metadata(url, retry_on_errors=True)
        etag = (meta.etag or "").strip('"')
        sha256 = etag if _SHA256.match(etag) else remote.sha256
        size = meta.size if meta.size is not None else remote.size
        if dest.is_file() and dest.stat().st_size == size and _digest(dest, sha256, etag)[0]:
            return dest  # pulled before
        part = dest_dir / PARTIAL / f"{remote.name}.{(sha256 or etag or 'x')[:16]}.part"
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        free = shutil.disk_usage(dest_dir).free
        if size - have > free:
            raise JarvisError(
                f"not enough disk space for {remote.name}: {(size - have) / GiB:.1f} GiB needed, "
                f"{free / GiB:.1f} GiB free in {dest_dir}",
                "free some space or pull into another folder with --dir",
            )
        if have:
            say(f"resuming {remote.name} at {have / GiB:.2f} of {size / GiB:.2f} GiB")
        headers = build_hf_headers()
        if urlsplit(meta.location).netloc != urlsplit(url).netloc:
            headers.pop("authorization", None)  # a signed CDN address: the token stays with the hub
        with part.open("ab") as f:
            http_get(meta.location, f, resume_size=have, headers=headers, expected_size=size,
                     displayed_filename=remote.name)
    say(f"checking {remote.name} against its published sha256")
    ok, got = _digest(part, sha256, etag)
    if not ok:
        part.unlink()
        raise ModelCorrupt(
            f"{remote.name} does not match its published sha256 (expected {sha256 or etag}, got {got}); "
            "the download was deleted",
            "pull again; if it keeps happening, a proxy or mirror is changing the file",
        )
    os.replace(part, dest)
    return dest
