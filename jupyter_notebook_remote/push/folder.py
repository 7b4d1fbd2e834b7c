"""The files beside a notebook, carried with its push, so a run finds them where JupyterLab does.

A notebook that reads ``data.csv`` or shows ``logo.png`` from its own folder
works in JupyterLab because the kernel starts there. A kind that runs the
notebook itself (``local``) gets those files with the push and makes them
the run's working directory. What is carried (:func:`collect_folder`):

* the regular files of the notebook's folder (``mode="files"``), or of the
  folder and its subfolders (``mode="tree"``); ``"none"`` carries nothing;
* never the notebook itself, hidden files and folders (a leading ``.``, so
  ``.ipynb_checkpoints`` and ``.git`` too), ``__pycache__``, symbolic links
  or anything that is not a regular file;
* at most ``max_bytes`` in all (``NotebookRemote.max_folder_bytes``, 50 MiB)
  and :data:`MAX_FILES` files: more is a 413 naming ``folder`` before
  anything is stored, saying how much there is and what to do.

Only file-backed contents managers have a folder on disk; with another one,
nothing is carried (:func:`~.upload.resolve_upload` asks only for those).
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import stat
from typing import Literal, Optional

from ..errors import TooLarge
from ..providers.base import FolderFile, FolderSnapshot

FolderMode = Literal["files", "tree", "none"]
#: Files carried at most (a home directory pushed by mistake is refused quickly).
MAX_FILES = 2000
#: Folder names never carried, besides hidden ones.
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})


def mib(size: int) -> str:
    """A size in MiB, one decimal, for messages."""
    return f"{size / (1024 * 1024):.1f} MiB"


def _walk(notebook_path: str, subfolders: bool) -> list[FolderFile]:
    notebook = os.path.normpath(notebook_path)
    folder = os.path.dirname(notebook)
    found: list[FolderFile] = []
    for dirpath, dirs, files in os.walk(folder):
        dirs[:] = (
            sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
            if subfolders
            else []
        )
        for name in sorted(files):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            if os.path.normpath(full) == notebook:
                continue
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # links and devices stay behind: nothing outside the folder
            relative = os.path.relpath(full, folder).replace(os.sep, "/")
            found.append(FolderFile(relative=relative, os_path=full, size=st.st_size))
            if len(found) > MAX_FILES:
                return found
    return found


async def collect_folder(
    os_path: str, api_path: str, *, mode: FolderMode, max_bytes: int
) -> Optional[FolderSnapshot]:
    """The files to carry beside the notebook at ``os_path`` (``api_path`` to
    the user, both already checked), or None."""
    if mode == "none":
        return None
    subfolders = mode == "tree"
    files = await asyncio.to_thread(_walk, os_path, subfolders)
    where = posixpath.dirname(api_path) or "the Jupyter root"
    if len(files) > MAX_FILES:
        raise TooLarge(
            f"The folder of this notebook ({where}) holds more than {MAX_FILES} files"
            f"{' with its subfolders' if subfolders else ''}; a push to this connection "
            "carries the files beside the notebook. Move the notebook to a folder of its "
            "own, or carry no files for this link (Files beside the notebook: none).",
            fields={"folder": f"holds more than {MAX_FILES} files"},
        )
    total = sum(f.size for f in files)
    if total > max_bytes:
        biggest = max(files, key=lambda f: f.size)
        raise TooLarge(
            f"The files beside this notebook ({where}"
            f"{', with subfolders' if subfolders else ''}) are {mib(total)} in {len(files)} "
            f"files; a push carries at most {mib(max_bytes)} of them "
            f"(NotebookRemote.max_folder_bytes). The biggest is {biggest.relative} "
            f"({mib(biggest.size)}). Move large files elsewhere, or carry no files for "
            "this link (Files beside the notebook: none).",
            fields={"folder": f"is larger than {max_bytes} bytes"},
        )
    return FolderSnapshot(files=tuple(files), subfolders=subfolders)
