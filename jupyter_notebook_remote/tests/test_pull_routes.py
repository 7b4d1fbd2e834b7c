"""POST .../pull: the remote's file saved as a linked notebook in the Jupyter contents.

Against the loopback Losant fake (its storage host records every request's
headers) and ``local``, through a real Jupyter Server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

from .fakes.losant import FILES_ROUTE, FakeLosant
from .rest import call_api

CONN = "fake"


@pytest.fixture
def notebook_remote_config(
    notebook_remote_config: dict[str, Any], losant_connection: dict[str, Any]
) -> dict[str, Any]:
    return {
        **notebook_remote_config,
        "connections": {CONN: losant_connection},
        "default_connection": CONN,
        "max_push_bytes": 200_000,
    }


async def call(
    jp_fetch: Any, method: str, *parts: str, body: Any = None, conn: str = CONN
) -> tuple[HTTPResponse, Any]:
    return await call_api(jp_fetch, method, "connections", conn, *parts, body=body)


def ipynb(*sources: str) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(nb).encode()


def remote(fake: FakeLosant, content: Optional[bytes]) -> str:
    return fake.add_notebook("Weekly report", file_bytes=content)


async def test_a_pull_saves_the_remote_file_linked_and_fetched_without_the_token(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    nb_id = remote(fake_losant, ipynb("print('as Losant holds it')"))
    (jp_root_dir / "work").mkdir()
    fake_losant.clear_requests()
    r, answer = await call(
        jp_fetch, "POST", "notebooks", nb_id, "pull", body={"path": "work/report.ipynb"}
    )
    assert r.code == 201, answer
    assert answer["path"] == "work/report.ipynb"
    assert answer["notebook"]["id"] == nb_id
    saved = nbformat.read(jp_root_dir / "work" / "report.ipynb", as_version=4)
    assert [cell.source for cell in saved.cells] == ["print('as Losant holds it')"]
    # The link, with the updatedAt a later push is checked against.
    assert saved.metadata["notebook_remote"] == {
        "connection": CONN,
        "notebookId": nb_id,
        "updatedAt": answer["notebook"]["updatedAt"],
    }
    (fetched,) = fake_losant.requests_for(FILES_ROUTE)
    assert "Authorization" not in fetched.headers
    assert fake_losant.token not in json.dumps(fetched.headers)

    # The link's updatedAt lets the copy be pushed back without a conflict.
    r, pushed = await call(
        jp_fetch,
        "POST",
        "notebooks",
        nb_id,
        "push",
        body={"path": "work/report.ipynb", "expectUpdatedAt": answer["notebook"]["updatedAt"]},
    )
    assert r.code == 200, pushed


async def test_a_pull_never_replaces_a_file_unless_asked(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    nb_id = remote(fake_losant, ipynb("print('theirs')"))
    mine = ipynb("print('mine')")
    (jp_root_dir / "mine.ipynb").write_bytes(mine)
    fake_losant.clear_requests()
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body={"path": "mine.ipynb"})
    assert r.code == 409, err
    assert err["reason"] == "exists"
    assert err["fields"] == {"path": "already exists"}
    assert (jp_root_dir / "mine.ipynb").read_bytes() == mine
    assert fake_losant.requests == []  # refused before the remote was asked

    body = {"path": "mine.ipynb", "overwrite": True}
    r, answer = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body=body)
    assert r.code == 201, answer
    replaced = nbformat.read(jp_root_dir / "mine.ipynb", as_version=4)
    assert replaced.cells[0].source == "print('theirs')"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"this is not JSON", "is not valid JSON"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(), "cells"),
    ],
)
async def test_a_remote_file_that_is_not_a_notebook_is_refused_and_nothing_is_saved(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant, content: bytes, words: str
) -> None:
    nb_id = remote(fake_losant, content)
    mine = ipynb("print('mine')")
    (jp_root_dir / "mine.ipynb").write_bytes(mine)
    body = {"path": "mine.ipynb", "overwrite": True}
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body=body)
    assert r.code == 502, err
    assert err["reason"] == "invalid_notebook"
    assert words in err["message"]
    assert "Nothing was saved" in err["message"]
    assert (jp_root_dir / "mine.ipynb").read_bytes() == mine


async def test_a_pull_of_a_notebook_without_a_file_saves_nothing(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    nb_id = remote(fake_losant, None)
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body={"path": "new.ipynb"})
    assert r.code == 404, err
    assert err["reason"] == "no_file"
    assert not (jp_root_dir / "new.ipynb").exists()


async def test_a_remote_file_over_the_limit_is_refused_and_nothing_is_saved(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant
) -> None:
    nb_id = remote(fake_losant, ipynb("x = '" + "a" * 250_000 + "'"))
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body={"path": "big.ipynb"})
    assert r.code == 413, err
    assert "max_push_bytes" in err["message"]
    assert not (jp_root_dir / "big.ipynb").exists()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("../outside.ipynb", "'..'"),
        ("/etc/x.ipynb", "relative"),
        ("notes.txt", ".ipynb"),
        (".hidden/x.ipynb", "hidden"),
        ("nowhere/x.ipynb", "does not exist"),
        ("folder.ipynb", "directory"),
    ],
)
async def test_a_bad_path_is_refused_before_the_remote_is_asked(
    jp_fetch: Any, jp_root_dir: Path, fake_losant: FakeLosant, path: str, words: str
) -> None:
    nb_id = remote(fake_losant, ipynb("print(1)"))
    (jp_root_dir / "folder.ipynb").mkdir()
    fake_losant.clear_requests()
    r, err = await call(jp_fetch, "POST", "notebooks", nb_id, "pull", body={"path": path})
    assert r.code == 400, err
    assert words in err["fields"]["path"]
    assert fake_losant.requests == []


async def test_local_pull_gives_back_the_pushed_notebook(
    jp_fetch: Any, jp_root_dir: Path, notebook_remote_config: dict[str, Any]
) -> None:
    del notebook_remote_config  # local is on beside the fake
    r, created = await call(jp_fetch, "POST", "notebooks", body={"name": "Mine"}, conn="local")
    assert r.code == 201, created
    (jp_root_dir / "a.ipynb").write_bytes(ipynb("print('pushed')"))
    r, _ = await call(
        jp_fetch, "POST", "notebooks", created["id"], "push", body={"path": "a.ipynb"}, conn="local"
    )
    assert r.code == 200
    r, answer = await call(
        jp_fetch,
        "POST",
        "notebooks",
        created["id"],
        "pull",
        body={"path": "copy.ipynb"},
        conn="local",
    )
    assert r.code == 201, answer
    copy = nbformat.read(jp_root_dir / "copy.ipynb", as_version=4)
    assert copy.cells[0].source == "print('pushed')"
    assert copy.metadata["notebook_remote"]["connection"] == "local"
    assert copy.metadata["notebook_remote"]["notebookId"] == created["id"]
