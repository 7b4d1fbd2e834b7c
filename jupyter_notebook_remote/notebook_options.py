"""A notebook's runtime options: the server a run gets (Civis's notebook settings).

``POST`` and ``PATCH .../notebooks[/{nb}]`` take them beside ``name`` and
``description``: ``language``, ``memory`` (MB), ``cpu`` (millicores),
``idleTimeout``, ``dockerImageName``, ``dockerImageTag``, ``requirements``
and ``environmentVariables``. A kind says which it takes
(:attr:`~.providers.base.Provider.notebook_options`); the REST layer refuses
the others, naming the field, before anything is sent.

:class:`NotebookOptions` checks each field's type and bounds (Civis's spec
types them, ``integer`` and ``string``, and bounds nothing; the bounds here
are the integer range its API holds, Docker's own rules for an image
reference, and limits on size). :func:`check_environment` checks the
variables further, by rules a JSON Schema cannot state: their names, and
that no value looks like a credential (:mod:`.credentials.shapes`); each
refusal names the variable (``environmentVariables.DB_PASSWORD``) and never
repeats its value.

Python's names are Civis's wire names (``idle_timeout``,
``docker_image_name``...); the REST contract's are their camelCase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from .credentials.shapes import credential_problem, secret_name, secret_shape
from .errors import InvalidInput

#: The largest whole number Civis's integer fields hold (32 bits, signed).
MAX_INT32 = 2**31 - 1
MAX_IMAGE_NAME_CHARS = 255
MAX_REQUIREMENTS_CHARS = 262_144
MAX_ENV_VARS = 100
MAX_ENV_NAME_CHARS = 255
MAX_ENV_VALUE_CHARS = 32_767

#: A Docker image name without tag or digest: an optional registry host (and
#: port), then lower-case path components (Docker's reference grammar).
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_NAME_RE = re.compile(
    rf"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{{1,5}})?/)?{_COMPONENT}(?:/{_COMPONENT})*$"
)
#: A Docker tag: a letter, digit or ``_``, then up to 127 of those, ``.`` or ``-``.
IMAGE_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
#: An environment variable's name, as shells and Docker take one.
ENV_NAME_RE = re.compile(rf"^[A-Za-z_][A-Za-z0-9_]{{0,{MAX_ENV_NAME_CHARS - 1}}}$")

#: The options' Python names, in the order the contract lists them.
OPTION_FIELDS = (
    "language",
    "memory",
    "cpu",
    "idle_timeout",
    "docker_image_name",
    "docker_image_tag",
    "requirements",
    "environment_variables",
)
#: Every option, as the REST contract names it.
ALL_OPTIONS: tuple[str, ...] = tuple(to_camel(name) for name in OPTION_FIELDS)


class NotebookOptions(BaseModel):
    """The runtime options a create or a PATCH may carry (all optional)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    language: Optional[Literal["python3", "r"]] = None
    memory: Optional[int] = Field(default=None, ge=1, le=MAX_INT32, strict=True)
    cpu: Optional[int] = Field(default=None, ge=1, le=MAX_INT32, strict=True)
    idle_timeout: Optional[int] = Field(default=None, ge=1, le=MAX_INT32, strict=True)
    docker_image_name: Optional[str] = Field(
        default=None, min_length=1, max_length=MAX_IMAGE_NAME_CHARS
    )
    docker_image_tag: Optional[str] = Field(default=None, min_length=1, max_length=128)
    requirements: Optional[str] = Field(default=None, max_length=MAX_REQUIREMENTS_CHARS)
    #: The whole set of variables, replacing the last (names and values are
    #: checked further by :func:`check_environment`).
    environment_variables: Optional[dict[str, Any]] = Field(default=None, max_length=MAX_ENV_VARS)

    @field_validator("docker_image_name")
    @classmethod
    def _image_name(cls, value: str) -> str:
        if not IMAGE_NAME_RE.fullmatch(value):
            raise ValueError(
                "must be a Docker image name such as civisanalytics/datascience-python "
                "(lower case; a registry host first if any; the tag goes in dockerImageTag)"
            )
        return value

    @field_validator("docker_image_tag")
    @classmethod
    def _image_tag(cls, value: str) -> str:
        if not IMAGE_TAG_RE.fullmatch(value):
            raise ValueError(
                "must be a Docker tag: letters, digits, '_', '.' or '-' (not first), "
                "at most 128 characters"
            )
        return value

    def given_options(self) -> dict[str, Any]:
        """The options this body sets, by Python (= Civis wire) name."""
        return {n: getattr(self, n) for n in OPTION_FIELDS if getattr(self, n) is not None}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def check_environment(
    variables: Mapping[str, Any],
    *,
    advice: str,
    known_secrets: Iterable[str] = (),
    connection: Optional[str] = None,
) -> dict[str, str]:
    """The variables, each name and value checked; else a 400 naming each bad one.

    A variable is named in ``fields`` as ``environmentVariables.NAME``, or by
    its position when its name is not a plain name (or is itself shaped like
    a secret), so a refused value, or a token pasted as a name, is never
    repeated. ``advice`` completes "store a secret ..." (where the kind keeps them).
    """
    known = [s for s in known_secrets if s]
    problems: dict[str, str] = {}
    checked: dict[str, str] = {}
    for index, (name, value) in enumerate(variables.items(), start=1):
        plain = bool(ENV_NAME_RE.fullmatch(name)) and secret_shape(name, known) is None
        key = f"environmentVariables.{name}" if plain else "environmentVariables"
        if not plain:
            problems.setdefault(
                key,
                f"the {_ordinal(index)} variable's name must be letters, digits and '_', not "
                f"starting with a digit, at most {MAX_ENV_NAME_CHARS} characters, and not a "
                "secret itself",
            )
            continue
        if not isinstance(value, str):
            problems[key] = "must be text (a JSON string)"
            continue
        if len(value) > MAX_ENV_VALUE_CHARS:
            problems[key] = f"must be at most {MAX_ENV_VALUE_CHARS} characters"
            continue
        if "\x00" in value:
            problems[key] = "must not contain a NUL character"
            continue
        why = credential_problem(name, value, known)
        if why is not None:
            problems[key] = (
                f"looks like a credential: {why}. Environment variables are stored in plain "
                f"text in the notebook's settings; store a secret {advice}"
                + (". If it is no secret, rename the variable" if secret_name(name) else "")
            )
            continue
        checked[name] = value
    if problems:
        first = next(iter(problems))
        more = len(problems) - 1
        raise InvalidInput(
            f"{first}: {problems[first]}"
            + (f" (and {more} more)" if more else "")
            + ". Nothing was sent.",
            fields=problems,
            connection=connection,
        )
    return checked
