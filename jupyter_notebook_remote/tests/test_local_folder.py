"""The files beside a notebook travel with a push to ``local`` and are there when it runs.

Through a real Jupyter Server: a notebook that reads a CSV and shows an
image from its own folder runs the way nbclient runs it in that folder; what
is carried is said in the push answer; hidden files, checkpoints and the
notebook itself stay behind; a folder over the limit is a 413 that stores
nothing.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest

from .test_local_routes import call, wait_for_run

MAX_FOLDER_BYTES = 40 * 1024
#: A 1x1 PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
READS_ITS_FOLDER = [
    "import csv\nrows = list(csv.DictReader(open('data.csv')))\n"
    "print(len(rows), sum(int(r['kwh']) for r in rows))",
    "from IPython.display import Image\nImage('logo.png')",
    "import os\nprint(sorted(os.listdir('.')))",
]


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {**notebook_remote_config, "max_folder_bytes": MAX_FOLDER_BYTES}


def write_project(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.csv").write_text("site,kwh\na,10\nb,32\n", encoding="utf-8")
    (folder / "logo.png").write_bytes(PIXEL)
    (folder / ".env").write_text("SECRET=1\n", encoding="utf-8")
    (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)
    (folder / ".ipynb_checkpoints" / "report-checkpoint.ipynb").write_text("{}")
    (folder / "lookup").mkdir(exist_ok=True)
    (folder / "lookup" / "sites.txt").write_text("a\nb\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in READS_ITS_FOLDER])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    (folder / "report.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")


async def push_and_run(jp_fetch: Any, path: str, **body: Any) -> tuple[str, dict[str, Any]]:
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": "report"}
    )
    assert response.code == 201, created
    nb = created["id"]
    response, pushed = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "push",
        body={"path": path, **body},
    )  # fmt: skip
    assert response.code == 200, pushed
    return nb, pushed


async def result_notebook(jp_fetch: Any, nb: str, ex: str) -> Any:
    response = await jp_fetch(
        "notebook-remote", "connections", "local", "notebooks", nb, "executions", ex,
        "files", "result.ipynb",
    )  # fmt: skip
    return nbformat.reads(response.body.decode("utf-8"), as_version=4)


async def nbclient_run(path: Path) -> Any:
    """The notebook as nbclient runs it in its own folder (what JupyterLab's kernel sees)."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, resources={"metadata": {"path": str(path.parent)}})
    await client.async_execute()
    return nb


def comparable(cell: Any) -> list[Any]:
    return [{k: v for k, v in out.items() if k != "execution_count"} for out in cell.outputs]


async def test_a_notebook_reads_the_files_beside_it_as_in_jupyterlab(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    await asyncio.to_thread(write_project, jp_root_dir / "energy")
    nb, pushed = await push_and_run(jp_fetch, "energy/report.ipynb")
    carried = (jp_root_dir / "energy" / "data.csv").stat().st_size + len(PIXEL)
    assert pushed["folder"] == {"files": 2, "bytes": carried, "subfolders": False}

    response, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", body={}
    )
    assert response.code == 202, started
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert run["status"] == "completed", run["errors"]

    executed = await result_notebook(jp_fetch, nb, started["executionId"])
    expected = await nbclient_run(jp_root_dir / "energy" / "report.ipynb")
    # The CSV was read and the image shown, as nbclient does in the folder itself.
    assert comparable(executed.cells[0]) == comparable(expected.cells[0])
    assert comparable(executed.cells[1]) == comparable(expected.cells[1])
    assert "".join(executed.cells[0].outputs[0]["text"]) == "2 42\n"
    assert "image/png" in executed.cells[1].outputs[0]["data"]
    # What the working directory held: the two files, nothing hidden, no notebook.
    listing = "".join(executed.cells[2].outputs[0]["text"])
    assert listing == "['data.csv', 'logo.png']\n"


async def test_subfolders_come_along_when_the_link_asks(jp_fetch: Any, jp_root_dir: Path) -> None:
    await asyncio.to_thread(write_project, jp_root_dir / "energy")
    nb, pushed = await push_and_run(jp_fetch, "energy/report.ipynb", folder="tree")
    assert pushed["folder"]["files"] == 3
    assert pushed["folder"]["subfolders"] is True
    _, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", body={}
    )
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    executed = await result_notebook(jp_fetch, nb, started["executionId"])
    assert run["status"] == "completed"
    assert "'lookup'" in "".join(executed.cells[2].outputs[0]["text"])


async def test_a_link_that_carries_nothing_runs_with_an_empty_folder(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    await asyncio.to_thread(write_project, jp_root_dir / "energy")
    nb, pushed = await push_and_run(jp_fetch, "energy/report.ipynb")
    assert pushed["folder"]["files"] == 2
    # Pushed again carrying nothing: the files pushed before are gone too.
    response, again = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "push",
        body={"path": "energy/report.ipynb", "folder": "none"},
    )  # fmt: skip
    assert response.code == 200, again
    assert again["folder"] is None
    response, started = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "executions", body={}
    )
    run = await wait_for_run(jp_fetch, nb, started["executionId"])
    assert run["status"] == "errored"
    assert run["errors"][0]["name"] == "FileNotFoundError"
    assert "data.csv" in run["errors"][0]["message"]


async def test_a_folder_over_the_limit_is_refused_and_nothing_is_stored(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    await asyncio.to_thread(write_project, jp_root_dir / "energy")
    nb, _ = await push_and_run(jp_fetch, "energy/report.ipynb")
    stored = tmp_path / "local" / "notebooks" / nb
    before = (stored / "notebook.ipynb").read_bytes()
    (jp_root_dir / "energy" / "big.bin").write_bytes(b"\0" * (MAX_FOLDER_BYTES + 1))
    (jp_root_dir / "energy" / "report.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8"
    )

    response, error = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", nb, "push",
        body={"path": "energy/report.ipynb"},
    )  # fmt: skip
    assert response.code == 413, error
    assert error["reason"] == "too_large"
    assert "folder" in error["fields"]
    assert "big.bin" in error["message"]
    assert "Files beside the notebook: none" in error["message"]
    # The last push is what stays: its notebook and its two files.
    assert (stored / "notebook.ipynb").read_bytes() == before
    assert sorted(p.name for p in (stored / "folder").iterdir()) == ["data.csv", "logo.png"]


async def test_a_folder_value_other_than_files_tree_none_is_refused(
    jp_fetch: Any, jp_root_dir: Path
) -> None:
    await asyncio.to_thread(write_project, jp_root_dir / "energy")
    response, created = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", body={"name": "x"}
    )
    response, error = await call(
        jp_fetch, "POST", "connections", "local", "notebooks", created["id"], "push",
        body={"path": "energy/report.ipynb", "folder": "all"},
    )  # fmt: skip
    assert response.code == 400
    assert "folder" in json.dumps(error["fields"])
