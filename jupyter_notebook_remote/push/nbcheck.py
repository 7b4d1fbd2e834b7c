"""Can this file be pushed? The notebook check, and what it reports.

Two questions with two kinds of answer:

* :func:`structure_problem`: does the file have the structure a run needs
  (JSON, an object, nbformat 4 with a whole ``nbformat_minor``, a
  ``metadata`` object, a list of ``cells``, each an object with a known
  ``cell_type``, a ``source`` that is a string or a list of strings, a
  ``metadata`` object, and for
  a code cell ``outputs`` that, if present, are a list of objects)? If not,
  the push is refused (400): neither JupyterLab nor nbclient could use it
  (nbformat, and so Jupyter, cannot read a notebook or cell without ``metadata``).
* :func:`schema_warnings`: where does it depart from nbformat's own JSON
  schema (a ``kernelspec`` without ``display_name``, an unknown key in a
  cell, a cell id used twice...)? JupyterLab opens such a notebook and
  nbclient runs it, so these are warnings reported with the push, never a
  refusal; the file is pushed as it was saved.

The schema check is fast for the usual, valid notebook (nbformat's schema
compiled by fastjsonschema, one pass); only a notebook that fails it is
explained, piece by piece, with nbformat's own validator (``iter_validate``,
jsonschema), so that one bad ``kernelspec`` in a 50 MiB notebook does not
cost a jsonschema pass over its outputs. The long lists of lines of big
outputs are checked by msgspec before that pass, which then meets them
empty (:func:`_condensed`): the same verdict, at less than half the cost.

The file is parsed from its bytes by msgspec (no text decoded first; about
a third of the standard library's time for a notebook of big outputs, and
unlike orjson it keeps integers of any size exact); what msgspec refuses,
the standard library decides, as Jupyter reads notebooks with it (``NaN``,
an escaped lone surrogate).

For a large notebook the check runs as a child process (see
``checker.py``), started by path, like the local runner::

    python .../push/nbcheck.py PATH MTIME_NS SIZE   # checks PATH at once
    python .../push/nbcheck.py -                    # a spare: waits for its file

which reads the compiled validators from its stdin (:func:`validator_codes`,
made once by the server; none: it compiles its own), checks the file (mapped
into memory, not copied in: ``check_path(mapped=True)``), and prints one
JSON line, :func:`check_path`'s answer. A spare (``-``) reads
the validators' length-prefixed blob, then waits for ``PATH\0MTIME_NS\0SIZE``
and the end of its stdin, so the server can start it before a push needs
it. The child imports the standard library and msgspec alone: not this
package (started by path), not fastjsonschema (whose generated code gets
:class:`SchemaDeparture` for its exception). nbformat
(and jsonschema) are imported only to explain a notebook that departs from
the schema. Nothing here imports Jupyter Server or the rest of the package.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import json
import marshal
import mmap
import os
import re
import sys

import msgspec.json

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from collections.abc import Iterable
    from typing import Any, Callable, Optional, Union

    Validator = Callable[[Any], Any]

#: The cell types nbformat 4 knows.
CELL_TYPES = ("code", "markdown", "raw")
#: The output types nbformat 4 knows (a definition each in its schema).
OUTPUT_TYPES = ("execute_result", "display_data", "stream", "error")
#: At most this many warnings are reported; a last one says how many more.
MAX_WARNINGS = 20
#: Lists of output lines at least this long are checked by :func:`_condensed`.
LONG_LINES = 256
#: The mime types whose output may be any JSON (nbformat's schema).
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")

SchemaWarning = dict[str, str]


class SchemaDeparture(ValueError):
    """What nbformat's compiled schema raises where a notebook departs from it.

    It stands in for fastjsonschema's ``JsonSchemaValueException`` in the
    code fastjsonschema generates, so that running that code needs no
    fastjsonschema import.
    """

    def __init__(self, message: str, *args: object, **details: object) -> None:
        super().__init__(message)
        self.message = message


def _short(text: str, limit: int = 200) -> str:
    first = text.strip().splitlines()[0] if text.strip() else text
    return first if len(first) <= limit else first[: limit - 1] + "…"


# --------------------------------------------------------------------------- what a run needs


def _is_source(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(line, str) for line in value)
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def structure_problem(data: Any) -> Optional[str]:
    """Why a run could not use this parsed notebook, or None (see the module's doc)."""
    if not isinstance(data, dict) or not _is_int(data.get("nbformat")):
        return "is not a Jupyter notebook (no 'nbformat' version in it)"
    version = data["nbformat"]
    if version < 4:
        return (
            f"uses nbformat version {version}: open it in JupyterLab and save it (which "
            "writes version 4), then push again"
        )
    if version > 4:
        return f"uses nbformat version {version}, which this server cannot read"
    if not _is_int(data.get("nbformat_minor")) or data["nbformat_minor"] < 0:
        return "is not a valid notebook: 'nbformat_minor' is not a whole number"
    if not isinstance(data.get("metadata"), dict):
        return "is not a valid notebook: it has no 'metadata' object"
    cells = data.get("cells")
    if not isinstance(cells, list):
        return "is not a valid notebook: it has no list of 'cells'"
    for index, cell in enumerate(cells):
        where = f"cell {index + 1}"
        if not isinstance(cell, dict):
            return f"is not a valid notebook: {where} is not an object"
        cell_type = cell.get("cell_type")
        if cell_type not in CELL_TYPES:
            shown = _short(json.dumps(cell_type), 40)
            return (
                f"is not a valid notebook: {where} has the cell_type {shown} "
                "(a cell is code, markdown or raw)"
            )
        if not isinstance(cell.get("metadata"), dict):
            return f"is not a valid notebook: {where} has no 'metadata' object"
        if not _is_source(cell.get("source")):
            return f"is not a valid notebook: {where} has no source (a string or a list of strings)"
        outputs = cell.get("outputs", []) if cell_type == "code" else []
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            return f"is not a valid notebook: the outputs of {where} are not a list of objects"
    return None


# --------------------------------------------------------------------------- nbformat's schema


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


def _schema_path(minor: int) -> Optional[str]:
    """nbformat's schema file for 4.``minor`` (the newest it has if it has no such minor)."""
    folder = os.path.join(_nbformat_dir(), "v4")
    for name in (f"nbformat.v4.{minor}.schema.json", "nbformat.v4.schema.json"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None


_EXCEPTIONS_IMPORT = (
    "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException"
)


@functools.cache
def validator_code(minor: int) -> Optional[bytes]:
    """nbformat 4.``minor``'s schema compiled by fastjsonschema, as marshalled bytecode.

    Compiling takes ~50 ms; the server does it once and hands the result to
    each child, which loads it in well under a millisecond. The generated
    code's one import of fastjsonschema (its exceptions) is left out: the
    namespace it runs in has :class:`SchemaDeparture` under those names.
    """
    import fastjsonschema

    path = _schema_path(minor)
    if path is None:
        return None
    with open(path, encoding="utf-8") as f:
        source = fastjsonschema.compile_to_code(json.load(f))
    source = source.replace(_EXCEPTIONS_IMPORT, "", 1)
    return marshal.dumps(compile(source, f"<nbformat v4.{minor} schema>", "exec"))


@functools.cache
def validator_codes(minors: tuple[int, ...]) -> bytes:
    """What a child reads from its stdin: the compiled validators of these minors."""
    codes = {minor: code for minor in minors if (code := validator_code(minor)) is not None}
    return marshal.dumps(codes)


_loaded: dict[int, Validator] = {}


def _load_codes(blob: bytes) -> None:
    for minor, code in marshal.loads(blob).items():  # noqa: S302 - our own server's bytes
        _loaded.setdefault(minor, _from_code(code))


def _from_code(code: bytes) -> Validator:
    namespace: dict[str, Any] = {
        "JsonSchemaValueException": SchemaDeparture,
        "JsonSchemaValuesException": SchemaDeparture,
    }
    exec(marshal.loads(code), namespace)  # noqa: S102, S302 - fastjsonschema's code, compiled above
    return namespace["validate"]  # type: ignore[no-any-return]


def _validator(minor: int) -> Optional[Validator]:
    if minor not in _loaded:
        code = validator_code(minor)
        if code is None:
            return None
        _loaded[minor] = _from_code(code)
    return _loaded[minor]


def _path(parts: Iterable[Any], prefix: str = "") -> str:
    """``metadata.kernelspec``, ``cells[2].outputs[0]``."""
    text = prefix
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def schema_warnings(data: dict[str, Any]) -> list[SchemaWarning]:
    """Where a notebook that passed :func:`structure_problem` departs from nbformat's schema.

    Missing cell ids (nbformat 4.5) are not reported: Jupyter adds them when
    it opens the notebook, and so does this check, to copies of those cells
    (``data`` is not changed).
    """
    minor: int = data["nbformat_minor"]
    cells: list[dict[str, Any]] = list(data["cells"])
    data = {**data, "cells": cells}
    found: list[SchemaWarning] = []
    seen: set[Any] = set()
    for index, cell in enumerate(cells):
        if isinstance(cell.get("outputs"), list):
            cells[index] = cell = _condensed(cell)
        if "id" not in cell:
            if minor >= 5:  # never compared: not put in `seen`
                cells[index] = {**cell, "id": f"added-{index}"}
            continue
        cell_id = cell["id"]
        if isinstance(cell_id, str) and cell_id in seen:
            found.append(
                {
                    "message": f"the cell id '{_short(cell_id, 64)}' is used by another cell "
                    "too; Jupyter gives this cell a new id when it opens the notebook",
                    "path": f"cells[{index}].id",
                }
            )
        seen.add(cell_id)
    checker = _validator(minor)
    if checker is None:
        return [{"message": "nbformat's schema is not installed; not checked", "path": ""}]
    try:
        checker(data)
    except SchemaDeparture:
        found.extend(_explain(data, minor, checker))
    if len(found) > MAX_WARNINGS:
        more = len(found) - MAX_WARNINGS
        last = {"message": f"and {more} more departures from the nbformat schema", "path": ""}
        found = [*found[:MAX_WARNINGS], last]
    return found


def _message(error: Any) -> str:
    """A jsonschema error's message, a long value in it named by its size instead.

    jsonschema starts many messages with the value's repr: for a stream's
    thousands of lines, the message would be nothing but its first lines.
    """
    text: str = error.message
    if len(text) > 200 and isinstance(error.instance, (list, dict, str)):
        shown = repr(error.instance)
        if text.startswith(shown):
            size = len(error.instance)
            if isinstance(error.instance, list):
                what = f"a list of {size} items"
            elif isinstance(error.instance, dict):
                what = f"an object of {size} keys"
            else:
                what = f"a text of {size} characters"
            text = what + text[len(shown) :]
    return _short(text, 300)


def _long_lines(value: Any) -> bool:
    """Is this a list of at least :data:`LONG_LINES` strings (checked at C speed)?"""
    if type(value) is not list or len(value) < LONG_LINES:
        return False
    try:
        msgspec.convert(value, list[str])
    except msgspec.ValidationError:
        return False
    return True


def _condensed(cell: dict[str, Any]) -> dict[str, Any]:
    """``cell`` with each long list of output lines already found to be strings
    replaced by ``[]``, which the schema takes wherever it takes those lists.

    A stream's ``text``, an error's ``traceback`` and the values of a rich
    output's ``data`` (except JSON types, which may be anything) are lists
    of strings in the schema, with no other rule; the compiled schema checks
    them an item at a time, over twice as slow as msgspec does. A list that
    holds anything but strings is left as it is, for the schema to report.
    The cell and its outputs are copied where they change, never changed.
    """
    outputs: list[Any] = cell["outputs"]
    condensed: Optional[list[Any]] = None
    for number, output in enumerate(outputs):
        if not isinstance(output, dict):
            continue
        changed: dict[str, Any] = {
            key: [] for key in ("text", "traceback") if _long_lines(output.get(key))
        }
        data = output.get("data")
        if isinstance(data, dict):
            lines = [m for m, v in data.items() if not _JSON_MIME.match(m) and _long_lines(v)]
            if lines:
                changed["data"] = {**data, **{mime: [] for mime in lines}}
        if changed:
            condensed = condensed or list(outputs)
            condensed[number] = {**output, **changed}
    return cell if condensed is None else {**cell, "outputs": condensed}


def _explain(data: dict[str, Any], minor: int, checker: Validator) -> list[SchemaWarning]:
    """The departures, piece by piece, in nbformat's own words.

    jsonschema reads the top level without its cells, then each cell without
    its outputs; a cell's outputs only when fastjsonschema finds them at
    fault (in a notebook around them alone), so a big valid output is never
    walked by jsonschema.
    """
    from nbformat.validator import iter_validate

    def errors(piece: Any, prefix: str, ref: Optional[str] = None) -> list[SchemaWarning]:
        return [
            {"message": _message(error), "path": _path(error.absolute_path, prefix)}
            for error in iter_validate(piece, ref=ref, version=4, version_minor=minor)  # type: ignore[no-untyped-call]
        ]

    found = errors({**data, "cells": []}, "")
    for index, cell in enumerate(data["cells"]):
        prefix = f"cells[{index}]"
        cell_type = cell["cell_type"]
        outputs = cell.get("outputs")
        alone = {**cell, "outputs": []} if outputs else cell
        found.extend(errors(alone, prefix, f"{cell_type}_cell"))
        if not outputs or len(found) > MAX_WARNINGS:
            continue
        try:
            checker(_with_outputs(outputs, minor))
        except SchemaDeparture:
            for number, output in enumerate(outputs):
                kind = output.get("output_type")
                ref = kind if kind in OUTPUT_TYPES else "output"
                found.extend(errors(output, f"{prefix}.outputs[{number}]", ref))
        if len(found) > MAX_WARNINGS:
            break
    return found


def _with_outputs(outputs: list[Any], minor: int) -> dict[str, Any]:
    """A notebook of one otherwise valid code cell holding ``outputs``."""
    cell: dict[str, Any] = {"cell_type": "code", "source": "", "metadata": {}, "outputs": outputs}
    cell["execution_count"] = None
    if minor >= 5:
        cell["id"] = "outputs"
    return {
        "cells": [cell],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": minor,
    }


# --------------------------------------------------------------------------- a file


def check_text(text: str) -> dict[str, Any]:
    """The verdict on a notebook's text: ``{"problem", "warnings", "minor"}``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return {"problem": f"is not valid JSON: {_short(str(exc))}", "warnings": []}
    return check_data(data)


def check_bytes(raw: Union[bytes, mmap.mmap]) -> dict[str, Any]:
    """:func:`check_text` of a file's bytes, which are UTF-8 text.

    msgspec parses the bytes themselves; a file it refuses goes to the standard
    library, which Jupyter reads notebooks with (it also takes ``NaN`` and an
    escaped lone surrogate) and whose words the refusal then has.
    """
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            return {"problem": f"is not UTF-8 text: {_short(str(exc))}", "warnings": []}
        return check_text(text)
    return check_data(data)


def check_data(data: Any) -> dict[str, Any]:
    """The verdict on a parsed notebook (see :func:`check_text`); ``data`` is not changed."""
    problem = structure_problem(data)
    if problem is not None:
        return {"problem": problem, "warnings": []}
    return {"problem": None, "warnings": schema_warnings(data), "minor": data["nbformat_minor"]}


def check_path(
    os_path: str, stamp: Optional[tuple[int, int]] = None, *, mapped: bool = False
) -> dict[str, Any]:
    """The verdict on the file at ``os_path`` (see :func:`check_text`).

    With ``stamp`` (mtime in ns, size), a file that is not, or no longer, the
    one stamped answers ``{"changed": True}``. The file is read as bytes and
    parsed from them (:func:`check_bytes`): no text is decoded beside them.

    ``mapped`` (the checker child only): parsed from the file's pages mapped
    into memory instead of a copy read into a bytes object (a fifth of a big
    check's CPU). A file cut short while it is parsed then ends the process
    (SIGBUS), which a server must never risk; the child's parent then finds
    the file changed (``checker.py``).
    """
    try:
        with open(os_path, "rb") as f:
            if stamp is not None and _stamp_of(os.fstat(f.fileno())) != stamp:
                return {"changed": True}
            if mapped and os.fstat(f.fileno()).st_size > 0:
                with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as pages:
                    verdict = check_bytes(pages)
            else:
                verdict = check_bytes(f.read())
    except FileNotFoundError:
        return {"changed": True}
    if stamp is not None and _stamp_of(os.stat(os_path)) != stamp:
        return {"changed": True}
    return verdict


def _stamp_of(st: os.stat_result) -> tuple[int, int]:
    return (st.st_mtime_ns, st.st_size)


def stamp(os_path: str) -> tuple[int, int]:
    """The file's stamp now: (mtime in ns, size); raises OSError like ``os.stat``."""
    return _stamp_of(os.stat(os_path))


def _read_exactly(stream: Any, size: int) -> bytes:
    data = b""
    while len(data) < size:
        block = stream.read(size - len(data))
        if not block:
            break
        data += block
    return data


def main(argv: list[str], stdin: Any = None) -> int:
    if len(argv) not in (1, 3) or (len(argv) == 1 and argv[0] != "-"):
        usage = "usage: python nbcheck.py PATH MTIME_NS SIZE, or python nbcheck.py -"
        print(usage, file=sys.stderr)
        return 2
    # jsonschema's optional IRI checker builds a grammar for seconds; the
    # nbformat schema never uses the 'iri' format (the local runner does the same).
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    # One parse, then the process ends: the cyclic collector would only walk
    # the parsed notebook's containers again and again while they are made.
    gc.disable()
    stream = stdin or sys.stdin.buffer
    if len(argv) == 3:
        blob = stream.read()
        if blob:
            _load_codes(blob)
    else:
        # A spare: the validators now, then (whenever a push needs it) its file.
        size = int.from_bytes(_read_exactly(stream, 8), "big")
        blob = _read_exactly(stream, size)
        if blob:
            _load_codes(blob)
        job = stream.read().split(b"\0")
        if len(job) != 3:
            return 0  # let go without a file: the server stopped or needs it no more
        argv = [os.fsdecode(job[0]), job[1].decode(), job[2].decode()]
    verdict = check_path(argv[0], (int(argv[1]), int(argv[2])), mapped=True)
    sys.stdout.write(json.dumps(verdict) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    status = main(sys.argv[1:])
    sys.stdout.flush()
    # The verdict is written: freeing the parsed notebook object by object at
    # exit would only keep the CPU from the push (a tenth of a 10 MiB check).
    os._exit(status)
