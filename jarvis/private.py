"""Files only the user can read: everything Jarvis writes in ``data_dir`` is 0600 in 0700 folders.

Conversations, metrics and the log hold what the user said; other accounts on the machine must not
read them. Folders Jarvis creates get 0700; its own files are created 0600, and an older file left
group- or world-readable by an earlier version is tightened when it is opened again. Stdlib only.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, tighten_existing: bool = True) -> Path:
    """Create ``path`` and any missing parent folder with mode 0700; returns ``path``.

    ``tighten_existing``: an existing ``path`` that is ours and open to others is set to 0700 (for
    Jarvis's own folders, conversations and logs; not for ``data_dir``, which the user may have
    pointed at a folder of their own).

    Raises:
        OSError: the folder cannot be created.
    """
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # created meanwhile by another process
            pass
    if tighten_existing or missing:
        tighten(path, DIR_MODE)
    return path


def tighten(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` when it is ours and grants anything to group or others."""
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(mode)
    except OSError:  # not ours, or gone: nothing to tighten
        pass


def open_private(path: Path, mode: str = "a") -> IO[str]:
    """Open a text file (UTF-8) for appending (``"a"``) or writing (``"w"``), created 0600.

    The folder must exist (see :func:`private_dir`).

    Raises:
        OSError: the file cannot be opened.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        st = os.fstat(fd)
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def tighten_tree(root: Path) -> None:
    """Make every folder under ``root`` (itself included) 0700 and every file 0600, where ours.

    For stores written by libraries that create files with the process umask (ChromaDB): run after
    opening and after writes, so an older world-readable store is fixed and new files follow.
    Links are not followed.
    """
    root = Path(root)
    tighten(root, DIR_MODE)
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                tighten(path, DIR_MODE)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                tighten(path, FILE_MODE)
