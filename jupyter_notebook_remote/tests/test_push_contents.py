"""Reading a saved notebook from the Jupyter contents for a push."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.services.contents.filemanager import (
    AsyncFileContentsManager,
    FileContentsManager,
)

from jupyter_notebook_remote.errors import Conflict, InvalidInput, NotebookRemoteError, NotFound
from jupyter_notebook_remote.push import checker, nbcheck
from jupyter_notebook_remote.push.upload import CHUNK_SIZE, check_api_path, resolve_upload
from jupyter_notebook_remote.rest import STATE_KEY
from jupyter_notebook_remote.tests.memory_provider import MemoryProvider

LIMIT = 4096
#: The start of a notebook's JSON text, up to its cells.
NB4 = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, '


def notebook_text(cells: int = 1, source: str = "print('hi')") -> str:
    nb = nbformat.v4.new_notebook()
    for _ in range(cells):
        nb.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


def save(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


async def collect(upload: Any) -> list[bytes]:
    """The bytes a provider sends: the upload's guarded stream."""
    return [chunk async for chunk in upload.stream()]


async def verdict(manager: Any, name: str, max_bytes: int = 4096) -> list[dict[str, str]]:
    """The check's warnings on a saved notebook (or its refusal, raised)."""
    upload = await resolve_upload(manager, name, max_bytes=max_bytes)
    try:
        return [w.to_json() for w in await upload.warnings()]
    finally:
        await upload.aclose()


def deviating(data: dict[str, Any]) -> dict[str, Any]:
    """A notebook JupyterLab opens and nbclient runs, against nbformat's schema."""
    data["metadata"]["kernelspec"] = {"name": "python3", "language": "python"}
    data["metadata"].pop("language_info", None)
    data["cells"][0]["metadata"]["tool"] = {"seen": True}  # allowed: cell metadata is open
    data["cells"][0]["attachments_"] = {}  # not allowed: an unknown key of a cell
    return data


# --------------------------------------------------------------------------- path rules


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/etc/a.ipynb", "relative"),
        ("\\\\server\\a.ipynb", "relative"),
        ("C:\\work\\a.ipynb", "relative"),
        ("c:/work/a.ipynb", "relative"),
        ("../a.ipynb", "'..'"),
        ("work/../../a.ipynb", "'..'"),
        ("work\\..\\a.ipynb", "'..'"),
        ("./a.ipynb", "'.'"),
        ("work//a.ipynb", "empty"),
        ("notes.txt", ".ipynb"),
        ("a.ipynb\x00.txt", "NUL"),
    ],
)
def test_path_rules(path: str, words: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_api_path(path)
    assert list(err.value.fields) == ["path"]
    assert words in err.value.message


def test_good_paths_are_kept() -> None:
    assert check_api_path("work/Line 4 (copy).ipynb") == "work/Line 4 (copy).ipynb"
    assert check_api_path("A.IPYNB") == "A.IPYNB"


# --------------------------------------------------------------------------- file-backed managers


@pytest.fixture(params=[FileContentsManager, AsyncFileContentsManager])
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    root = tmp_path / "root"
    root.mkdir()
    return request.param(root_dir=str(root))


async def test_streams_the_file_in_pieces(manager: Any) -> None:
    root = Path(manager.root_dir)
    path = save(root, "big/run.ipynb", notebook_text(cells=1600, source="x = 1  # " + "y" * 500))
    size = path.stat().st_size
    assert size > 3 * CHUNK_SIZE
    upload = await resolve_upload(manager, "big/run.ipynb", max_bytes=10 * size)
    assert (upload.file_name, upload.size) == ("run.ipynb", size)
    assert upload.content_type == "application/x-ipynb+json"
    chunks = await collect(upload)
    assert [len(c) for c in chunks[:-1]] == [CHUNK_SIZE] * (len(chunks) - 1)
    assert b"".join(chunks) == path.read_bytes()
    # A fresh iterator each call: a retried upload streams the file again.
    assert b"".join(await collect(upload)) == path.read_bytes()


async def test_size_is_checked_before_reading(manager: Any) -> None:
    # Not even JSON: had the file been read first, this would be a 400.
    save(Path(manager.root_dir), "huge.ipynb", "x" * (LIMIT + 1))
    with pytest.raises(NotebookRemoteError) as err:
        await resolve_upload(manager, "huge.ipynb", max_bytes=LIMIT)
    assert (err.value.status, err.value.reason) == (413, "too_large")
    assert "max_push_bytes" in err.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ('"a string"', "not a Jupyter notebook"),
        ('{"cells": []}', "not a Jupyter notebook"),
        ('{"nbformat": 99, "nbformat_minor": 0}', "version 99"),
        ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "save it"),
        ('{"nbformat": 4, "cells": []}', "nbformat_minor"),
        ('{"nbformat": 4, "nbformat_minor": 5, "metadata": [], "cells": []}', "'metadata'"),
        ('{"nbformat": 4, "nbformat_minor": 5, "cells": []}', "'metadata'"),
        (NB4 + '"cells": "nope"}', "list of 'cells'"),
        (NB4 + '"cells": [3]}', "cell 1 is not an object"),
        (NB4 + '"cells": [{"cell_type": "x", "source": "", "metadata": {}}]}', 'cell_type "x"'),
        (NB4 + '"cells": [{"cell_type": "raw", "metadata": {}}]}', "no source"),
        (NB4 + '"cells": [{"cell_type": "raw", "source": ""}]}', "cell 1 has no 'metadata'"),
        (
            NB4 + '"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": "x"}]}',
            "outputs of cell 1",
        ),
    ],
)
async def test_what_a_run_cannot_use_is_refused(manager: Any, text: str, words: str) -> None:
    save(Path(manager.root_dir), "bad.ipynb", text)
    with pytest.raises(InvalidInput) as err:
        await verdict(manager, "bad.ipynb")
    assert words in err.value.message
    assert list(err.value.fields) == ["path"]
    assert len(err.value.message) < 300


async def test_what_jupyter_tolerates_is_pushed_as_saved_with_warnings(manager: Any) -> None:
    data = deviating(json.loads(notebook_text(cells=3)))
    data["cells"][2]["id"] = data["cells"][1]["id"]
    data["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    data["cells"][2]["outputs"] = [{"output_type": "stream", "text": "no name\n"}]
    path = save(Path(manager.root_dir), "lenient.ipynb", json.dumps(data))
    upload = await resolve_upload(manager, "lenient.ipynb", max_bytes=LIMIT)
    assert b"".join(await collect(upload)) == path.read_bytes()  # the file as saved
    warnings = [w.to_json() for w in await upload.warnings()]
    assert [w["path"] for w in warnings] == [
        "cells[2].id",
        "metadata.kernelspec",
        "cells[0]",
        "cells[2].outputs[0]",
    ]
    assert "'display_name' is a required property" in warnings[1]["message"]
    assert "'attachments_' was unexpected" in warnings[2]["message"]
    assert "'name' is a required property" in warnings[3]["message"]
    assert "used by another cell" in warnings[0]["message"]

    # The least JupyterLab opens: a code cell without outputs or execution_count.
    bare = '{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code"'
    bare += ', "source": "", "metadata": {}}]}'
    save(Path(manager.root_dir), "bare.ipynb", bare)
    assert [w["message"] for w in await verdict(manager, "bare.ipynb")] == [
        "'outputs' is a required property",
        "'execution_count' is a required property",
    ]


async def test_warnings_are_capped(manager: Any) -> None:
    data = json.loads(notebook_text(cells=30))
    for cell in data["cells"]:
        cell["unknown"] = 1
    save(Path(manager.root_dir), "many.ipynb", json.dumps(data))
    warnings = await verdict(manager, "many.ipynb", max_bytes=10 * LIMIT)
    assert len(warnings) == nbcheck.MAX_WARNINGS + 1
    assert warnings[-1]["message"].startswith("and 10 more")


async def test_a_refused_notebook_never_streams_whole(manager: Any) -> None:
    """The upload does not wait for the check, but its last piece does."""
    text = notebook_text(cells=1, source="x = '" + "a" * (3 * CHUNK_SIZE) + "'")
    text = text.replace('"cell_type": "code"', '"cell_type": "sql"')
    path = save(Path(manager.root_dir), "wrong.ipynb", text)
    upload = await resolve_upload(manager, "wrong.ipynb", max_bytes=len(text) + 1)
    sent: list[bytes] = []

    async def send() -> None:
        async for chunk in upload.stream():
            sent.append(chunk)

    with pytest.raises(InvalidInput) as err:
        await send()
    assert "cell_type" in err.value.message
    assert 0 < len(b"".join(sent)) < path.stat().st_size
    await upload.aclose()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (notebook_text(cells=3), None),
        (json.dumps(deviating(json.loads(notebook_text(cells=2)))), "display_name"),
        ("{not json", "not valid JSON"),
        (NB4 + '"cells": {}}', "not a valid notebook"),
    ],
)
async def test_large_notebooks_are_checked_in_a_child_process(
    manager: Any, monkeypatch: pytest.MonkeyPatch, text: str, words: Any
) -> None:
    """Above the threshold the check runs in a child: same verdicts, same words.

    The server's own checker is broken here; the verdicts still come, so they
    came from another process.
    """
    monkeypatch.setattr(checker, "CHILD_CHECK_BYTES", 0)

    def not_here(*args: Any) -> Any:
        raise AssertionError("a big notebook was parsed inside the server")

    monkeypatch.setattr(nbcheck, "check_path", not_here)
    path = save(Path(manager.root_dir), "big.ipynb", text)
    upload = await resolve_upload(manager, "big.ipynb", max_bytes=LIMIT)
    if words is None or "display_name" in words:
        assert b"".join(await collect(upload)) == path.read_bytes()
        warnings = [w.message for w in await upload.warnings()]
        assert (warnings == []) if words is None else (words in warnings[0])
    else:
        with pytest.raises(InvalidInput) as err:
            await collect(upload)
        assert words in err.value.message
        assert list(err.value.fields) == ["path"]


async def test_a_notebook_saved_again_while_it_is_checked_is_a_conflict(
    manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checker, "CHILD_CHECK_BYTES", 0)
    path = save(Path(manager.root_dir), "a.ipynb", notebook_text())
    stamp = nbcheck._stamp_of(path.stat())
    assert nbcheck.check_path(str(path), stamp)["problem"] is None
    assert nbcheck.check_path(str(path), (stamp[0] + 1, stamp[1])) == {"changed": True}
    upload = await resolve_upload(manager, "a.ipynb", max_bytes=LIMIT)
    path.write_text(notebook_text(cells=2), encoding="utf-8")
    with pytest.raises(Conflict) as err:
        await upload.warnings()
    assert err.value.reason == "file_changed"


async def test_missing_cell_ids_are_tolerated(manager: Any) -> None:
    data = json.loads(notebook_text())
    del data["cells"][0]["id"]
    path = save(Path(manager.root_dir), "old.ipynb", json.dumps(data))
    upload = await resolve_upload(manager, "old.ipynb", max_bytes=LIMIT)
    # What is sent is the file as saved, not the copy used for validation.
    assert b"".join(await collect(upload)) == path.read_bytes()
    assert list(await upload.warnings()) == []


async def test_missing_directory_and_hidden_paths(manager: Any) -> None:
    root = Path(manager.root_dir)
    save(root, ".secret/a.ipynb", notebook_text())
    (root / "folder.ipynb").mkdir()

    with pytest.raises(NotFound) as missing:
        await resolve_upload(manager, "nothing.ipynb", max_bytes=LIMIT)
    assert (missing.value.reason, missing.value.fields) == (
        "path_not_found",
        {"path": "does not exist"},
    )

    with pytest.raises(InvalidInput, match="directory"):
        await resolve_upload(manager, "folder.ipynb", max_bytes=LIMIT)

    with pytest.raises(InvalidInput, match="hidden"):
        await resolve_upload(manager, ".secret/a.ipynb", max_bytes=LIMIT)

    manager.allow_hidden = True
    upload = await resolve_upload(manager, ".secret/a.ipynb", max_bytes=LIMIT)
    assert upload.file_name == "a.ipynb"


async def test_a_file_changed_during_the_push_is_a_conflict(manager: Any) -> None:
    path = save(Path(manager.root_dir), "a.ipynb", notebook_text())
    upload = await resolve_upload(manager, "a.ipynb", max_bytes=LIMIT)
    path.write_text(notebook_text(cells=3), encoding="utf-8")
    with pytest.raises(Conflict) as err:
        await collect(upload)
    assert err.value.reason == "file_changed"

    path.unlink()
    with pytest.raises(NotFound):
        await collect(upload)


async def test_a_file_cut_short_while_it_is_sent_is_a_conflict(manager: Any) -> None:
    text = notebook_text(cells=1, source="x = '" + "a" * (3 * CHUNK_SIZE) + "'")
    path = save(Path(manager.root_dir), "long.ipynb", text)
    upload = await resolve_upload(manager, "long.ipynb", max_bytes=len(text) + 1)
    stream = upload.stream()
    first = await stream.__anext__()
    assert len(first) == CHUNK_SIZE
    with path.open("r+b") as f:
        f.truncate(CHUNK_SIZE + 10)
    with pytest.raises(Conflict) as err:
        async for _ in stream:
            pass
    assert err.value.reason == "file_changed"
    assert "long.ipynb" in err.value.message


# --------------------------------------------------------------------------- other managers


class ModelOnlyContents:
    """A contents manager without files on disk (like a database-backed one)."""

    allow_hidden = False

    def __init__(self, models: dict[str, dict[str, Any]]) -> None:
        self.models = models
        self.content_reads = 0

    async def is_hidden(self, path: str) -> bool:
        return False

    async def file_exists(self, path: str) -> bool:
        return path in self.models and self.models[path]["type"] != "directory"

    async def dir_exists(self, path: str) -> bool:
        return path in self.models and self.models[path]["type"] == "directory"

    async def get(self, path: str, content: bool = True, type: Any = None) -> dict[str, Any]:
        model = dict(self.models[path])
        if content:
            self.content_reads += 1
        else:
            model["content"] = None
        return model


async def test_other_contents_managers_stream_the_model() -> None:
    nb = json.loads(notebook_text(cells=2))
    contents = ModelOnlyContents(
        {
            "db/a.ipynb": {"type": "notebook", "size": 900, "content": nb},
            "db/big.ipynb": {"type": "notebook", "size": LIMIT + 1, "content": nb},
            "db/x.ipynb": {"type": "file", "size": 3, "content": "abc"},
        }
    )
    upload = await resolve_upload(contents, "db/a.ipynb", max_bytes=LIMIT)
    assert json.loads(b"".join(await collect(upload))) == nb
    assert upload.size == len(b"".join(await collect(upload)))
    assert list(await upload.warnings()) == []

    with pytest.raises(NotebookRemoteError) as err:
        await resolve_upload(contents, "db/big.ipynb", max_bytes=LIMIT)
    assert err.value.status == 413
    assert contents.content_reads == 1  # the big one was refused from its size alone

    with pytest.raises(InvalidInput, match="not a notebook"):
        await resolve_upload(contents, "db/x.ipynb", max_bytes=LIMIT)

    contents.models["db/odd.ipynb"] = {"type": "notebook", "content": deviating(nb)}
    upload = await resolve_upload(contents, "db/odd.ipynb", max_bytes=LIMIT)
    assert [w.path for w in await upload.warnings()] == ["metadata.kernelspec", "cells[0]"]
    assert "attachments_" in json.loads(b"".join(await collect(upload)))["cells"][0]
    contents.models["db/bad.ipynb"] = {"type": "notebook", "content": {"nbformat": 4}}
    with pytest.raises(InvalidInput, match="nbformat_minor"):
        await resolve_upload(contents, "db/bad.ipynb", max_bytes=LIMIT)


# --------------------------------------------------------------------------- through the server


@pytest.fixture
def notebook_remote_config(notebook_remote_config: dict[str, Any]) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "max_push_bytes": LIMIT,
        "provider_classes": {"memory": MemoryProvider},
        "connections": {"mem": {"kind": "memory", "token": "t"}},
    }


async def push(jp_fetch: Any, nb: str, body: Any) -> tuple[int, Any]:
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        "mem",
        "notebooks",
        nb,
        "push",
        method="POST",
        body=json.dumps(body),
        raise_error=False,
    )
    return response.code, json.loads(response.body)


async def test_push_route(jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path) -> None:
    provider = jp_serverapp.web_app.settings[STATE_KEY].registry.provider_nowait("mem")
    response = await jp_fetch(
        "notebook-remote",
        "connections",
        "mem",
        "notebooks",
        method="POST",
        body=json.dumps({"name": "n"}),
    )
    nb = json.loads(response.body)["id"]
    path = save(jp_root_dir, "ok.ipynb", notebook_text())
    save(jp_root_dir, "huge.ipynb", notebook_text(cells=60, source="z" * 100))
    save(jp_root_dir, ".hidden.ipynb", notebook_text())
    save(jp_root_dir, "bad.ipynb", "{")
    save(jp_root_dir, "cells.ipynb", '{"nbformat": 4, "nbformat_minor": 5, "cells": [1]}')

    code, data = await push(jp_fetch, nb, {"path": "ok.ipynb"})
    assert (code, data["fileName"], data["warnings"]) == (200, "ok.ipynb", [])
    assert provider.files[nb] == path.read_bytes()

    odd = save(jp_root_dir, "odd.ipynb", json.dumps(deviating(json.loads(notebook_text()))))
    code, data = await push(jp_fetch, nb, {"path": "odd.ipynb"})
    assert (code, data["fileName"]) == (200, "odd.ipynb")
    assert [w["path"] for w in data["warnings"]] == ["metadata.kernelspec", "cells[0]"]
    assert provider.files[nb] == odd.read_bytes()

    code, data = await push(jp_fetch, nb, {"path": "huge.ipynb"})
    assert (code, data["reason"]) == (413, "too_large")

    for body, status, field in [
        ({"path": ".hidden.ipynb"}, 400, "path"),
        ({"path": "bad.ipynb"}, 400, "path"),
        ({"path": "cells.ipynb"}, 400, "path"),
        ({"path": "nope.ipynb"}, 404, "path"),
        ({"path": ""}, 400, "path"),
        ({}, 400, "path"),
        ({"path": "ok.ipynb", "force": True}, 400, "force"),
    ]:
        code, data = await push(jp_fetch, nb, body)
        assert code == status, body
        assert field in data["fields"], body

    code, data = await push(jp_fetch, "0" * 24, {"path": "ok.ipynb"})
    assert (code, data["reason"]) == (404, "notebook_not_found")


def test_the_child_check_imports_the_standard_library_and_msgspec_alone(tmp_path: Path) -> None:
    """Its start-up is most of a cold 10 MiB check: not the package, fastjsonschema or
    nbformat (msgspec brings typing; a spare child has it imported before it is needed)."""
    path = save(tmp_path, "a.ipynb", notebook_text())
    mtime, size = nbcheck._stamp_of(path.stat())
    child = subprocess.run(
        [sys.executable, "-X", "importtime", nbcheck.__file__, str(path), str(mtime), str(size)],
        input=nbcheck.validator_codes((5,)),
        capture_output=True,
        check=True,
    )
    assert json.loads(child.stdout) == {"problem": None, "warnings": [], "minor": 5}
    imported = {line.rsplit("|", 1)[-1].strip() for line in child.stderr.decode().splitlines()}
    assert "msgspec" in imported
    assert not imported & {"fastjsonschema", "jupyter_notebook_remote", "nbformat", "jsonschema"}


async def test_a_notebook_saved_through_jupyter_is_not_read_again(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The panel saves before it pushes: the check takes the model Jupyter saved."""
    provider = jp_serverapp.web_app.settings[STATE_KEY].registry.provider_nowait("mem")
    response = await jp_fetch(
        "notebook-remote", "connections", "mem", "notebooks", method="POST", body='{"name": "n"}'
    )
    nb = json.loads(response.body)["id"]
    checked: list[str] = []
    real_check_path = nbcheck.check_path

    def check_path(os_path: str, *args: Any) -> Any:
        checked.append(Path(os_path).name)
        return real_check_path(os_path, *args)

    monkeypatch.setattr(nbcheck, "check_path", check_path)
    content = deviating(json.loads(notebook_text()))
    body = json.dumps({"type": "notebook", "format": "json", "content": content})
    await jp_fetch("api", "contents", "saved.ipynb", method="PUT", body=body)

    code, data = await push(jp_fetch, nb, {"path": "saved.ipynb"})
    assert code == 200, data
    assert [w["path"] for w in data["warnings"]] == ["metadata.kernelspec", "cells[0]"]
    assert provider.files[nb] == (jp_root_dir / "saved.ipynb").read_bytes()
    assert checked == []  # the verdict came from the save

    # Written behind Jupyter's back since: the file itself is checked.
    (jp_root_dir / "saved.ipynb").write_text(notebook_text(cells=2), encoding="utf-8")
    code, data = await push(jp_fetch, nb, {"path": "saved.ipynb"})
    assert (code, data["warnings"], checked) == (200, [], ["saved.ipynb"])

    # A structure a run cannot use is refused all the same.
    content["cells"][0]["cell_type"] = "sql"
    body = json.dumps({"type": "notebook", "format": "json", "content": content})
    await jp_fetch("api", "contents", "saved.ipynb", method="PUT", body=body)
    code, data = await push(jp_fetch, nb, {"path": "saved.ipynb"})
    assert (code, checked) == (400, ["saved.ipynb"]), data
    assert "cell_type" in data["message"]


def test_saved_verdicts_never_fail_a_save_and_skip_doubtful_pairs(tmp_path: Path) -> None:
    saved = checker.SavedNotebooks()
    saved.post_save(model=None, os_path=str(tmp_path / "x.ipynb"))  # logged, not raised
    saved.pre_save(model=None, path="x.ipynb")
    model = {"type": "notebook", "content": json.loads(notebook_text())}
    saved.pre_save(model=model, path="a.ipynb")
    saved.pre_save(model=model, path="a.ipynb")  # two saves at once
    path = save(tmp_path, "a.ipynb", notebook_text())
    saved.post_save(model={"path": "a.ipynb"}, os_path=str(path))
    assert saved.verdict_for(str(path), nbcheck._stamp_of(path.stat())) is None


def test_a_spare_child_waits_for_its_file_and_checks_it_like_any_child(tmp_path: Path) -> None:
    """Started before a push needs it (imports and validators done), it checks the
    file it is then given; a spare let go without a file just exits."""
    good = save(tmp_path, "good.ipynb", notebook_text())
    bad = save(tmp_path, "bad.ipynb", NB4 + '"cells": {}}')
    for path, problem in ((good, None), (bad, "not a valid notebook")):
        child = checker._start_child()
        mtime, size = nbcheck._stamp_of(path.stat())
        out, _ = child.communicate(b"\0".join((bytes(path), b"%d" % mtime, b"%d" % size)))
        verdict = json.loads(out)
        if problem is None:
            assert verdict == {"problem": None, "warnings": [], "minor": 5}
        else:
            assert problem in verdict["problem"]
    idle = checker._start_child()
    out, _ = idle.communicate(b"")
    assert (idle.returncode, out) == (0, b"")


def test_a_file_msgspec_refuses_is_decided_by_the_standard_library() -> None:
    """Jupyter reads notebooks with the json module, which takes NaN; bad UTF-8 is named;
    an integer too big for 64 bits stays one (orjson would make it a float)."""
    text = notebook_text()
    nan = text.replace('"metadata": {}', '"metadata": {"x": NaN}', 1)
    assert nan != text
    assert nbcheck.check_bytes(nan.encode())["problem"] is None
    assert "UTF-8" in nbcheck.check_bytes(b'{"a": "\xff"}')["problem"]
    assert "not valid JSON" in nbcheck.check_bytes(b"{not json")["problem"]
    big = text.replace('"metadata": {}', '"metadata": {"n": 123456789012345678901234567890}', 1)
    assert nbcheck.check_bytes(big.encode())["problem"] is None


def long_output_notebook(bad_line: Any = None) -> dict[str, Any]:
    """One code cell whose outputs hold long lists of lines (stream, error, rich)."""
    lines = [f"row {i}\n" for i in range(nbcheck.LONG_LINES + 44)]
    text = list(lines)
    if bad_line is not None:
        text[150] = bad_line
    data = json.loads(notebook_text())
    data["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": text},
        {"output_type": "error", "ename": "E", "evalue": "", "traceback": list(lines)},
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/plain": list(lines), "application/vnd.x+json": [1, *lines]},
        },
    ]
    return data


@pytest.mark.parametrize("bad_line", [None, 7, ["nested"], {"a": 1}])
def test_long_output_lines_are_checked_as_strictly_as_short_ones(bad_line: Any) -> None:
    """Long lists of lines are checked by msgspec, not item by item by the schema:
    the warnings are the schema's own, and the notebook checked is not changed."""
    data = long_output_notebook(bad_line)
    before = json.dumps(data)
    warnings = nbcheck.schema_warnings(data)
    assert json.dumps(data) == before
    if bad_line is None:
        assert warnings == []
        return
    # The same departure in a short list of lines: the same words, the same place.
    short = json.loads(notebook_text())
    short["cells"][0]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ["a\n", bad_line]}
    ]
    expected = nbcheck.schema_warnings(short)
    assert [w["path"] for w in warnings] == [w["path"] for w in expected]
    assert warnings[0]["path"] == "cells[0].outputs[0].text"
    assert warnings[0]["message"] == (
        f"a list of {nbcheck.LONG_LINES + 44} items is not valid under any of the given schemas"
    )
    assert expected[0]["message"].endswith("is not valid under any of the given schemas")


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(long_output_notebook()).encode(),
        json.dumps(long_output_notebook(7)).encode(),
        json.dumps(long_output_notebook()).encode().replace(b"row 9\\n", b"row \xff\\n"),
        json.dumps(long_output_notebook())[:-9].encode(),
        b"",
    ],
)
def test_the_child_reads_the_file_mapped_with_the_same_verdict(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "a.ipynb"
    path.write_bytes(content)
    stamp = nbcheck._stamp_of(path.stat())
    assert nbcheck.check_path(str(path), stamp, mapped=True) == nbcheck.check_path(str(path), stamp)


async def test_a_checker_child_that_dies_as_its_file_changes_is_a_conflict(
    manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child parsing a mapped file that is cut short dies (SIGBUS): the push is
    then a file_changed conflict, not a failed check."""
    monkeypatch.setattr(checker, "CHILD_CHECK_BYTES", 0)
    path = save(Path(manager.root_dir), "a.ipynb", notebook_text())

    def dies_as_the_file_is_cut(*args: Any) -> tuple[int, bytes, bytes]:
        path.write_text("{", encoding="utf-8")
        return -7, b"", b"Bus error"

    monkeypatch.setattr(checker, "_run_child", dies_as_the_file_is_cut)
    upload = await resolve_upload(manager, "a.ipynb", max_bytes=LIMIT)
    with pytest.raises(Conflict) as err:
        await upload.warnings()
    assert err.value.reason == "file_changed"
    await upload.aclose()
