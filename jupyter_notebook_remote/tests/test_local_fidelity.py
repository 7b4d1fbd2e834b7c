"""``local`` runs a notebook the way nbclient (and so the user's own machine) runs it.

Each case is a small notebook, pushed to a real :class:`LocalProvider` and
run by its runner, and also executed by nbclient directly in this process
from the same bytes. Every cell of our ``result.ipynb`` (source, metadata,
execution count, outputs) and the notebook's metadata must equal nbclient's,
after normalising only what legitimately differs between two runs:

* the timing metadata nbclient records (``metadata.execution``);
* where ipykernel cut a stream into messages: it sends each of stdout and
  stderr on its own flush timer, so one run may carry ``print`` s of a loop
  in one ``stream`` output and the next in three. Consecutive outputs of the
  same stream are joined before comparing, as JupyterLab joins them when it
  shows and saves a notebook. Within one output nothing is rewritten (``\\r``
  stays as the kernel sent it, as nbclient keeps it). Where stdout and
  stderr interleave, the notebook flushes each ``print``, so the order is
  the kernel's and compared as is;
* the execution count of the cell a kernel dies in: whether its
  ``execute_input`` reached the client first is a race, in nbclient too.

The notebooks avoid what would differ for reasons of their own (memory
addresses in reprs, random ids, the working directory's path).

Deliberate differences, not compared here: a run that prints more than its
connection's ``max_output_mb`` is stopped with ``OutputTooLarge`` (nbclient
has no limit; ``test_local_runs`` covers it); a run's kernel sees
``INPUT_DIR`` and ``OUTPUT_DIR`` and none of the server's credentials.

The runs share one provider, started once for the module in a thread of its
own (pytest-jupyter gives each test a fresh event loop), with its runs and
nbclient's going on side by side.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import nbclient
import nbformat
import pytest
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from jupyter_notebook_remote.models import ExecuteBody, Execution, NotebookCreate
from jupyter_notebook_remote.providers.local import LocalProvider

from .local_support import KERNELSPEC, read_file, running, upload, wait_for

FINISHED = {"completed", "errored", "timeout", "canceled"}
#: A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

#: Hebrew and Arabic.
RIGHT_TO_LEFT = "שלום עולם · مرحبا بالعالم"


def code(source: str, *tags: str) -> Any:
    cell = new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


@dataclass
class Case:
    cells: list[Any]
    file_name: str = "case.ipynb"
    #: How our run ends, and the error it names (name, a part of the message).
    status: str = "completed"
    error: Optional[tuple[str, str]] = None
    #: What nbclient raises running it.
    raises: Optional[type[Exception]] = None
    #: The cell whose execution count is a race: the kernel died running it,
    #: before or after its execute_input reached the client (so in nbclient too).
    died_in: Optional[int] = None


CASES: dict[str, Case] = {
    "streams": Case(
        [
            code("for i in range(200):\n    print(i)"),
            code("import sys\nfor i in range(200):\n    print('e', i, file=sys.stderr)"),
            code(
                "for i in range(20):\n"
                "    print('out', i, flush=True)\n"
                "    print('err', i, file=sys.stderr, flush=True)"
            ),
            code("print('no newline', end='')\nprint(' then more', end='')"),
            code(
                "from IPython.display import display\n"
                "print('before display')\ndisplay('shown')\nprint('after display')"
            ),
            code("!echo from the shell ünï"),
        ]
    ),
    "display_data": Case(
        [
            code(
                "from IPython.display import HTML, JSON, Image, Markdown, display\n"
                "display(HTML('<b>bold</b> &amp; plain'))"
            ),
            code(
                f"png = {PIXEL!r}\ndisplay(Image(data=png))\nImage(data=png, width=20, height=10)"
            ),
            code("display(JSON({'a': [1, 2, {'b': None}], 'c': 'd'}))"),
            code("display(Markdown('# Title\\n\\n* one\\n* two'))"),
            code(
                "display({'text/plain': 'plain', 'text/html': '<i>html</i>'}, raw=True,\n"
                "        metadata={'text/html': {'isolated': True}})"
            ),
            code(
                "class Both:\n"
                "    def _repr_html_(self):\n        return '<p>html repr</p>'\n"
                "    def _repr_markdown_(self):\n        return '*md repr*'\n"
                "    def __repr__(self):\n        return 'Both()'\n"
                "Both()"
            ),
            code("{'k': list(range(3))}"),
        ]
    ),
    "update_display": Case(
        [
            code(
                "from IPython.display import display, update_display\n"
                "handle = display('first', display_id=True)\n"
                "display('twice', display_id='fixed')\ndisplay('twice', display_id='fixed')"
            ),
            code("handle.update('second')\nprint('updated from a later cell')"),
            code(
                "update_display('both updated', display_id='fixed')\n"
                "inner = display('own cell', display_id=True)\ninner.update('own cell updated')"
            ),
        ]
    ),
    "clear_output": Case(
        [
            code(
                "from IPython.display import clear_output, display\n"
                "print('gone')\ndisplay('gone too')\nclear_output()\nprint('kept')"
            ),
            code(
                "for i in range(5):\n    clear_output(wait=True)\n    print('step', i, flush=True)"
            ),
            code("print('stays')\nclear_output(wait=True)"),
            code(
                "for i in range(0, 101, 20):\n"
                "    print(f'\\r[{\"#\" * (i // 10):<10}] {i:3d}%', end='', flush=True)\n"
                "print(' done')"
            ),
            code(
                "import sys\nfor i in range(3):\n"
                "    sys.stderr.write(f'\\rloading {i}')\n    sys.stderr.flush()"
            ),
        ]
    ),
    "unicode": Case(
        [
            new_markdown_cell(f"# Bericht über Ü — 报告 📊\n\n{RIGHT_TO_LEFT}"),
            code("# Ünïcödé comment ✓\nπ = 3.14159\nprint('héllo wörld — 日本語 🎉 مرحبا', π)"),
            code("from IPython.display import Markdown, display\ndisplay(Markdown('**שלום** 👋'))"),
            code("'emoji 👩\u200d🔬 and RTL עברית in a result'"),
            code("raise ValueError('ñ ✗ «ошибка»')", "raises-exception"),
        ],
        file_name="Bericht über Ü — 报告 📊.ipynb",
    ),
    "tags": Case(
        [
            code("print('first')"),
            code("raise KeyError('expected')", "raises-exception"),
            code("print('should not run')\nraise SystemExit", "skip-execution"),
            code("print('went on')"),
            code("import sys\nprint('to stderr', file=sys.stderr)\n1 / 0", "raises-exception"),
            code("print('still going')"),
            # No one answers input() in a run, as in nbclient: StdinNotImplementedError.
            code("input('name? ')", "raises-exception"),
        ]
    ),
    "later_error": Case(
        [
            code("print('a')"),
            code("x = 1"),
            code("print('about to fail')\n1 / 0"),
            code("print('never')"),
            new_markdown_cell("after"),
            code("x + 1"),
        ],
        status="errored",
        error=("ZeroDivisionError", "division by zero"),
        raises=CellExecutionError,
    ),
    "kernel_dies": Case(
        [
            code("print('before')"),
            code("import os\nos._exit(1)"),
            code("print('never')"),
        ],
        status="errored",
        error=("DeadKernelError", "the kernel died while cell 2/3 was running"),
        raises=DeadKernelError,
        died_in=1,
    ),
    "cell_kinds": Case(
        [
            new_markdown_cell("# Heading\n\nSome *text*."),
            new_raw_cell("raw text\nstays as is"),
            code(""),
            code("   \n\n"),
            code("# only a comment"),
            code("1 + 1"),
            code("None"),
            code("x = 2;  # a trailing semicolon hides the result\nx;"),
            new_markdown_cell(""),
            code("print(x)"),
        ]
    ),
}


def notebook_bytes(case: Case) -> bytes:
    nb = new_notebook(cells=case.cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nbformat.writes(nb).encode("utf-8")


@dataclass
class Ran:
    ours: Any
    execution: Execution
    theirs: Any
    raised: Optional[BaseException]
    log: str
    error_log: str
    html: str


async def ours(local: LocalProvider, name: str, case: Case, data: bytes) -> tuple[Any, ...]:
    created = await local.create_notebook(NotebookCreate(name=f"fidelity {name} ✓"))
    await local.push(created.id, upload(data, case.file_name))
    ex = await local.execute(created.id, ExecuteBody())
    done = await wait_for(local, created.id, ex, FINISHED, timeout=120)
    executed = nbformat.reads(
        (await read_file(local, created.id, ex, "result.ipynb")).decode("utf-8"), as_version=4
    )
    log = (await read_file(local, created.id, ex, "result.log")).decode("utf-8")
    error_log = (await read_file(local, created.id, ex, "result.error.log")).decode("utf-8")
    html = (await read_file(local, created.id, ex, "result.html")).decode("utf-8")
    return executed, done, log, error_log, html


async def theirs(data: bytes, work_dir: Path, gate: asyncio.Semaphore) -> tuple[Any, Any]:
    """The notebook as nbclient runs it, with its defaults; and what it raised."""
    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    await asyncio.to_thread(work_dir.mkdir, parents=True)
    raised: Optional[BaseException] = None
    async with gate:
        client = nbclient.NotebookClient(nb, resources={"metadata": {"path": str(work_dir)}})
        try:
            await client.async_execute()
        except Exception as exc:
            raised = exc
    # Written and read back, as our result.ipynb is.
    return nbformat.reads(nbformat.writes(nb), as_version=4), raised


async def run_all(root: Path) -> dict[str, Ran]:
    gate = asyncio.Semaphore(2)
    async with running(root / "local", max_parallel=2) as local:

        async def one(name: str, case: Case) -> Ran:
            data = notebook_bytes(case)
            (executed, done, log, error_log, html), (expected, raised) = await asyncio.gather(
                ours(local, name, case, data), theirs(data, root / "nbclient" / name, gate)
            )
            return Ran(executed, done, expected, raised, log, error_log, html)

        ran = await asyncio.gather(*(one(name, case) for name, case in CASES.items()))
    return dict(zip(CASES, ran))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    root = tmp_path_factory.mktemp("fidelity")
    # In a thread of its own: the module's runs outlive each test's event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run_all(root)).result()


def joined_streams(outputs: list[Any]) -> list[dict[str, Any]]:
    """The outputs, consecutive parts of one stream joined (where ipykernel cut is timing)."""
    joined: list[dict[str, Any]] = []
    for out in outputs:
        out = json.loads(json.dumps(out))
        last = joined[-1] if joined else None
        if (
            out["output_type"] == "stream"
            and last is not None
            and last["output_type"] == "stream"
            and last["name"] == out["name"]
        ):
            last["text"] += out["text"]
        else:
            joined.append(out)
    return joined


def comparable(nb: Any) -> dict[str, Any]:
    cells = []
    for cell in nb.cells:
        cell = json.loads(json.dumps(cell))
        cell["metadata"].pop("execution", None)
        if cell["cell_type"] == "code":
            cell["outputs"] = joined_streams(cell["outputs"])
        cells.append(cell)
    return {"metadata": json.loads(json.dumps(nb.metadata)), "cells": cells}


@pytest.mark.parametrize("name", list(CASES))
def test_a_run_matches_nbclient(runs: dict[str, Ran], name: str) -> None:
    case, ran = CASES[name], runs[name]
    # nbclient ended the same way.
    if case.raises is None:
        assert ran.raised is None, ran.raised
    else:
        assert isinstance(ran.raised, case.raises), ran.raised
    assert ran.execution.status == case.status, ran.execution.errors
    if case.error is None:
        assert ran.execution.errors == []
        assert ran.error_log == ""
    else:
        error = ran.execution.errors[0]
        assert (error.name, case.error[1] in error.message.lower()) == (case.error[0], True)
    # Every cell, and the notebook's metadata, as nbclient left them.
    ours, expected = comparable(ran.ours), comparable(ran.theirs)
    if case.died_in is not None:
        for nb in (ours, expected):
            assert nb["cells"][case.died_in]["execution_count"] in (None, case.died_in + 1)
            nb["cells"][case.died_in]["execution_count"] = None
    for index, (mine, theirs) in enumerate(zip(ours["cells"], expected["cells"])):
        assert mine == theirs, f"cell {index} differs"
    assert len(ours["cells"]) == len(expected["cells"])
    assert ours["metadata"] == expected["metadata"]


@pytest.mark.parametrize("name", ["unicode", "later_error"])
def test_result_html_is_what_nbconvert_makes_of_result_ipynb(
    runs: dict[str, Ran], name: str, tmp_path: Path
) -> None:
    # As `jupyter nbconvert --to html` (and JupyterLab's export) makes it of a
    # file with the notebook's name: titled by that name, not "Notebook".
    from nbconvert import HTMLExporter

    case, ran = CASES[name], runs[name]
    path = tmp_path / case.file_name
    path.write_text(nbformat.writes(ran.ours), encoding="utf-8")
    expected, _ = HTMLExporter().from_filename(str(path))
    assert f"<title>{Path(case.file_name).stem}</title>" in ran.html
    assert ran.html == expected


def test_result_log_says_what_the_tags_did(runs: dict[str, Ran]) -> None:
    skipped = runs["tags"].ours.cells[2]
    assert (skipped.execution_count, skipped.outputs) == (None, [])
    log = runs["tags"].log
    assert "cell 2/7 raised KeyError: 'expected' (tagged raises-exception)" in log
    assert "cell 3/7 skipped (tagged skip-execution)" in log
    assert "cell 3/7 started" not in log
    assert "cell 7/7 raised StdinNotImplementedError" in log
    assert "failed" not in log
    assert log.rstrip().endswith("run completed")


@pytest.mark.parametrize(("name", "first"), [("later_error", 3), ("kernel_dies", 2)])
def test_the_cells_after_the_one_that_ended_the_run_are_left_unexecuted(
    runs: dict[str, Ran], name: str, first: int
) -> None:
    later = [c for c in runs[name].ours.cells[first:] if c.cell_type == "code"]
    assert later
    assert [(c.execution_count, c.outputs) for c in later] == [(None, [])] * len(later)


def test_streams_are_kept_as_the_kernel_sent_them(runs: dict[str, Ran]) -> None:
    # nbclient's default (coalesce_streams off): one output per message, "\r"
    # kept; JupyterLab applies the "\r" when it shows them. Each part of the
    # progress bar is flushed, so the messages are the same in both runs.
    ran = runs["clear_output"]
    ours, theirs = ran.ours.cells[3].outputs, ran.theirs.cells[3].outputs
    assert ours == theirs
    assert len(ours) == 7
    assert ours[-1]["text"] == " done\n"
    assert ours[0]["text"].startswith("\r[")
