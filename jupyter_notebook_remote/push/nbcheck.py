"""Is this file a valid Jupyter notebook? The check before a push.

Parsing JSON in Python holds the interpreter lock for the whole parse and
keeps the text and the parsed objects alive together (about 2.5 times the
file). For a large notebook :func:`check_file` therefore runs this module
as a child process::

    python -m jupyter_notebook_remote.push.nbcheck PATH

which prints nothing and exits 0 for a valid notebook, or prints what is
wrong (one line) and exits 1. Small notebooks are checked in a thread with
:func:`file_problem`. Nothing here imports Jupyter Server.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import os
import sys
from typing import Any, Callable, Optional

import fastjsonschema

from ..errors import NotebookRemoteError

#: Notebooks larger than this are validated in a child process (see check_file).
CHILD_CHECK_BYTES = 8 * 1024 * 1024
CHILD_CHECK_TIMEOUT = 120.0


def _short(text: str, limit: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= limit else first[: limit - 1] + "…"


@functools.cache
def _nbformat_dir() -> str:
    """Where nbformat is installed, found without importing it.

    Importing nbformat imports jsonschema, whose format checkers take over a
    second to load; the schemas are plain files next to its modules.
    """
    spec = importlib.util.find_spec("nbformat")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nbformat is not installed")
    return str(next(iter(spec.submodule_search_locations)))


@functools.cache
def _validator(version: int, minor: Optional[int]) -> Optional[Callable[[Any], Any]]:
    """A compiled validator for nbformat ``version.minor`` (the newest minor if unknown)."""
    folder = os.path.join(_nbformat_dir(), f"v{version}")
    names = [f"nbformat.v{version}.{minor}.schema.json"] if minor is not None else []
    names.append(f"nbformat.v{version}.schema.json")
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return fastjsonschema.compile(json.load(f))
    return None


def notebook_problem(data: Any) -> Optional[str]:
    """What is wrong with a parsed notebook, or None (validates against nbformat)."""
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        return "is not a Jupyter notebook (no 'nbformat' version in it)"
    version, minor = data["nbformat"], data.get("nbformat_minor")
    checker = _validator(version, minor if isinstance(minor, int) else None)
    if checker is None:
        return f"uses nbformat version {version}, which this server cannot read"
    cells = data.get("cells")
    if version == 4 and isinstance(minor, int) and minor >= 5 and isinstance(cells, list):
        # Jupyter adds missing cell ids itself when it loads a notebook;
        # do the same on this throw-away copy instead of refusing the file.
        for index, cell in enumerate(cells):
            if isinstance(cell, dict) and "id" not in cell:
                cell["id"] = f"cell-{index}"
    try:
        checker(data)
    except fastjsonschema.JsonSchemaException as error:
        return f"is not a valid notebook: {_short(str(error))}"
    return None


def file_problem(os_path: str) -> Optional[str]:
    """What is wrong with the notebook file at ``os_path``, or None.

    The file is read as text, so its bytes are not kept beside the text.
    """
    try:
        with open(os_path, encoding="utf-8") as f:
            data = json.load(f)
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text: {_short(str(exc))}"
    except ValueError as exc:
        return f"is not valid JSON: {_short(str(exc))}"
    return notebook_problem(data)


async def check_file(os_path: str, size: int) -> Optional[str]:
    """What is wrong with the saved notebook (None: nothing), without stalling the
    server on a big one.

    Up to :data:`CHILD_CHECK_BYTES` the file is parsed in a thread; above it,
    in a child process, so that neither the parse's memory (about 2.5 times
    the file) nor its hold on the interpreter lock lands on the server.
    """
    if size <= CHILD_CHECK_BYTES:
        problem = await asyncio.to_thread(file_problem, os_path)
    else:
        problem = await _check_in_child(os_path)
    return problem


async def _check_in_child(os_path: str) -> Optional[str]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        os_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), CHILD_CHECK_TIMEOUT)
    except asyncio.TimeoutError:
        child.kill()
        await child.wait()
        raise NotebookRemoteError(
            f"Checking the notebook took longer than {CHILD_CHECK_TIMEOUT:.0f} s; "
            "try again, or clear large outputs and save first.",
            reason="check_failed",
        ) from None
    if child.returncode == 0:
        return None
    if child.returncode == 1 and out.strip():
        return out.decode("utf-8", "replace").strip()
    raise NotebookRemoteError(
        "The notebook could not be checked before the push (the checker exited with "
        f"{child.returncode}: {err.decode('utf-8', 'replace').strip()[-200:] or 'no message'}).",
        reason="check_failed",
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m jupyter_notebook_remote.push.nbcheck PATH", file=sys.stderr)
        return 2
    problem = file_problem(argv[0])
    if problem is None:
        return 0
    print(problem)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
