"""A Civis notebook's settings: what a create or a PATCH sends, what a notebook answers.

The REST contract's runtime options (:mod:`~jupyter_notebook_remote.notebook_options`)
are Civis's own notebook fields; their Python names are its wire names
(``idle_timeout``, ``docker_image_name``, ``environment_variables``...), so
the body is the options as given. Civis answers them camelCase on the
single-notebook GET (and on create and PATCH), not in its list.

Two things Civis does its own way:

* **requirements** are sent as text and kept as a file: the notebook answers
  a time-limited ``requirementsUrl``, which the provider reads (without the
  API key) to answer the text.
* **environment variables** are plain settings, shown to whoever sees the
  notebook. The extension never sets one that looks like a credential (the
  REST layer refuses it, :func:`~jupyter_notebook_remote.notebook_options.check_environment`),
  and never answers one Civis already holds: those are listed by name in
  ``hiddenEnvironmentVariables`` and kept as they are by a PATCH that
  replaces the others (a variable whose very name is shaped like a secret
  is kept and not named at all). They are changed or removed in Civis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ...credentials.shapes import credential_problem, secret_shape
from ...notebook_options import MAX_REQUIREMENTS_CHARS, NotebookOptions
from ..base import ExecutionFile
from .wire import WireNotebook

#: Completes "store a secret ...": where a secret belongs on Civis.
CREDENTIAL_ADVICE = (
    "in Civis as a credential (Credentials in Civis) and attach it to the notebook "
    "there (its credentials setting), which keeps it out of the notebook's settings"
)
#: The most bytes of a requirements file read to answer its text.
MAX_REQUIREMENTS_BYTES = 4 * MAX_REQUIREMENTS_CHARS


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def hidden(variables: Optional[Mapping[str, Any]]) -> dict[str, str]:
    """The variables Civis holds that look like credentials (never answered)."""
    return {
        name: _text(value)
        for name, value in (variables or {}).items()
        if credential_problem(name, _text(value)) is not None or secret_shape(name) is not None
    }


def answered(variables: Optional[Mapping[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """The variables to answer, and the names of those kept hidden (see the module)."""
    kept = hidden(variables)
    shown = {n: _text(v) for n, v in (variables or {}).items() if n not in kept}
    return shown, [n for n in kept if secret_shape(n) is None]


def payload(
    options: NotebookOptions, current: Optional[Mapping[str, Any]] = None
) -> dict[str, Any]:
    """The options given, as Civis's create or PATCH body wants them (snake_case).

    ``current`` are the variables the notebook has now: a new set of
    variables keeps those of them that look like credentials, unless the
    new set names them itself.
    """
    body = options.given_options()
    if "environment_variables" in body:
        body["environment_variables"] = {**hidden(current), **body["environment_variables"]}
    return body


def settings(wire: WireNotebook, requirements: Optional[str]) -> dict[str, Any]:
    """The settings of a notebook Civis answered in full, as :class:`~...models.Notebook` fields."""
    shown, hidden_names = answered(wire.environmentVariables)
    return {
        "memory": wire.memory,
        "cpu": wire.cpu,
        "idle_timeout": wire.idleTimeout,
        "docker_image_name": wire.dockerImageName,
        "docker_image_tag": wire.dockerImageTag,
        "requirements": requirements,
        "environment_variables": shown,
        "hidden_environment_variables": hidden_names,
    }


async def read_text(file: ExecutionFile) -> Optional[str]:
    """A small text file's content; None (and the file released) past the size limit."""
    data = bytearray()
    try:
        async for chunk in file.chunks():
            data += chunk
            if len(data) > MAX_REQUIREMENTS_BYTES:
                return None
    finally:
        await file.aclose()
    return data.decode("utf-8", "replace")
