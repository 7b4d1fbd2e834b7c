"""A Losant notebook's configuration: its inputs and outputs, checked as Losant would.

``schemas/notebookPatch.json`` is Losant's own JSON Schema of a notebook
PATCH (draft-07), verbatim from ``Losant/losant-rest-js``
``lib/schemas/notebookPatch.json`` (API 1.30.0, the same file as
``specs/losant/notebookPatch.json`` of this project's design); replace it
whole when Losant publishes a new API version. Each input and output there
is a ``oneOf`` over its type (``inputType`` / ``outputType``), which makes a
validator's own message ("is not valid under any of the given schemas")
useless to a user: :func:`check_io` picks the branch of the item's type and
names what is wrong in it, field by field (``inputs[1].dataTableId``:
required), before anything is sent.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Optional

from jsonschema import Draft7Validator

from ...errors import InvalidInput

SCHEMA_PATH = Path(__file__).with_name("schemas") / "notebookPatch.json"
#: At most this many field errors are named in one answer.
MAX_PROBLEMS = 20

_TYPE_KEY = {"inputs": "inputType", "outputs": "outputType"}


@functools.cache
def _branches(where: str) -> dict[str, Draft7Validator]:
    """``inputType`` (or ``outputType``) -> a validator of that kind of item."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    items = schema["properties"][where]["items"]
    found: dict[str, Draft7Validator] = {}
    for branch in items["oneOf"]:
        for kind in branch["properties"][_TYPE_KEY[where]]["enum"]:
            found[kind] = Draft7Validator(branch)
    return found


def kinds(where: str) -> list[str]:
    """The input (``where="inputs"``) or output types Losant knows, in its order."""
    return list(_branches(where))


def _field(where: str, index: int, path: list[Any]) -> str:
    text = f"{where}[{index}]"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(error: Any) -> tuple[list[Any], str]:
    """Where in the item the error is, and what to say about it."""
    path = list(error.absolute_path)
    validator = error.validator
    if validator == "required":
        missing = [p for p in error.validator_value if p not in (error.instance or {})]
        return path + missing[:1], "required"
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return path + extra[:1], "is not a field of this type"
    if validator == "enum":
        return path, "must be one of " + ", ".join(map(str, error.validator_value))
    if validator == "type":
        return path, f"must be a {error.validator_value}"
    if validator == "maxLength":
        return path, f"must be at most {error.validator_value} characters"
    if validator == "minLength":
        return path, f"must be at least {error.validator_value} characters"
    if validator == "maxItems":
        return path, f"must have at most {error.validator_value} items"
    if validator in ("oneOf", "pattern", "anyOf"):
        name = str(path[-1]) if path else ""
        if name.endswith("Name") or name.endswith("Template"):
            return path, (
                "must be a file name of letters, digits, '_', '.' or '-' (1-255), "
                "or a template with {{...}}"
            )
        if name.endswith("Id") or name == "deviceIds" or (path and isinstance(path[-1], int)):
            return path, "must be a 24-character Losant id, or a template with {{...}}"
        return path, "is not a value Losant takes here"
    return path, error.message


def check_io(where: str, items: list[Any]) -> dict[str, str]:
    """What is wrong with ``items`` (the notebook's ``inputs`` or ``outputs``), by field."""
    problems: dict[str, str] = {}
    branches = _branches(where)
    type_key = _TYPE_KEY[where]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems[f"{where}[{index}]"] = "must be an object"
            continue
        kind = item.get(type_key)
        validator = branches.get(kind) if isinstance(kind, str) else None
        if validator is None:
            problems[f"{where}[{index}].{type_key}"] = (
                "required" if kind is None else "must be one of " + ", ".join(branches)
            )
            continue
        for error in sorted(validator.iter_errors(item), key=lambda e: list(e.absolute_path)):
            path, text = _describe(error)
            problems.setdefault(_field(where, index, path), text)
    return problems


def check_patch(
    inputs: Optional[list[Any]], outputs: Optional[list[Any]], *, connection: str
) -> None:
    """Refuse (400, each field named) inputs or outputs Losant would refuse."""
    problems: dict[str, str] = {}
    if inputs is not None:
        problems.update(check_io("inputs", inputs))
    if outputs is not None:
        problems.update(check_io("outputs", outputs))
    if not problems:
        return
    named = dict(list(problems.items())[:MAX_PROBLEMS])
    summary = "; ".join(f"{k}: {v}" for k, v in list(named.items())[:3])
    more = len(problems) - 3
    raise InvalidInput(
        f"Losant would refuse this notebook configuration: {summary}"
        + (f" (and {more} more)" if more > 0 else "")
        + ". Nothing was sent.",
        fields=named,
        connection=connection,
    )
