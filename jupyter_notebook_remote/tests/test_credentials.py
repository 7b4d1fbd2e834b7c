"""The file token store: private, atomic, durable, never shows a token."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from jupyter_notebook_remote.credentials import FileTokenStore, TokenStoreError

SECRET = "s3cr3t-token-value-0123456789"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_is_private_and_survives_a_new_store(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "store" / "tokens.json"
    store = FileTokenStore(path)
    assert store.get("plant-a") is None
    assert not path.exists()

    store.set("plant-a", SECRET)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert json.loads(path.read_text()) == {"plant-a": SECRET}

    again = FileTokenStore(path)
    assert again.get("plant-a") == SECRET
    assert again.get("other") is None


def test_replace_and_delete(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.set("a", "one")
    store.set("b", "two")
    store.set("a", "three")
    assert FileTokenStore(path).get("a") == "three"

    assert store.delete("a") is True
    assert store.delete("a") is False
    assert FileTokenStore(path).get("a") is None
    assert FileTokenStore(path).get("b") == "two"
    assert mode(path) == 0o600
    # Atomic replacement leaves no temporary files behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json"]


def test_sees_changes_written_by_another_server(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    first, second = FileTokenStore(path), FileTokenStore(path)
    first.set("a", "one")
    assert second.get("a") == "one"
    second.set("b", "two")
    assert first.get("b") == "two"
    assert json.loads(path.read_text()) == {"a": "one", "b": "two"}


def test_an_empty_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        FileTokenStore(tmp_path / "t.json").set("a", "")


def test_repr_and_errors_never_show_the_token(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.set("plant-a", SECRET)
    assert SECRET not in repr(store)
    assert "tokens.json" in repr(store)


def test_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    store = FileTokenStore(blocker / "tokens.json")
    with pytest.raises(TokenStoreError) as err:
        store.set("a", SECRET)
    assert err.value.reason == "token_store"
    assert err.value.status == 500
    assert "token_store_path" in err.value.message
    assert SECRET not in err.value.message


def test_a_corrupt_file_is_kept_aside_not_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"a": "half-written', encoding="utf-8")
    store = FileTokenStore(path, logging.getLogger("test-store"))
    with caplog.at_level(logging.ERROR, logger="test-store"):
        assert store.get("a") is None
    assert "half-written" not in caplog.text
    assert "Cannot read the token store" in caplog.text

    store.set("b", "two")
    assert json.loads(path.read_text()) == {"b": "two"}
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("tokens.json.unreadable-")]
    assert len(aside) == 1
    assert aside[0].read_text() == '{"a": "half-written'


def test_non_object_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("[1, 2]")
    assert FileTokenStore(path).get("a") is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_umask_does_not_widen_the_mode(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = FileTokenStore(tmp_path / "d" / "tokens.json")
        store.set("a", SECRET)
    finally:
        os.umask(old)
    assert mode(tmp_path / "d" / "tokens.json") == 0o600
    assert mode(tmp_path / "d") == 0o700
