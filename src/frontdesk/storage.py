"""The data dir on disk: private folders and files, whatever the process's umask.

The data dir holds the SQLite database, the uploads (people's résumés) and the development secret key. A
default umask of 022 would make all of it world-readable (0644/0755) to every account on the host, so
every folder Frontdesk creates there is 0700 and every file 0600, set explicitly after creation (the umask
can only take permissions away, never give them back).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if needed; a folder this creates, and `path` itself, are 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for created in [*missing, path]:
        with contextlib.suppress(OSError):  # a folder that is not ours (say /var/lib) keeps its mode
            created.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if it does not exist, 0600 either way (an existing file of ours is tightened)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    with contextlib.suppress(OSError):
        path.chmod(FILE_MODE)
    return path


def try_lock(path: Path) -> int | None:
    """Take an exclusive lock on the file `path` without waiting: its descriptor, or None if another holds it.

    The lock (flock) lasts until the descriptor is closed or the process ends, however it ends, so a killed
    holder never leaves it behind.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd
