"""What looks like a credential: a name that says it is one, or a value shaped like one.

A notebook's settings (a Civis notebook's environment variables) are stored
by the remote in plain text, shown to whoever the notebook is shared with,
and copied with it; a secret belongs in the remote's credential store
instead. :func:`credential_problem` says why a setting looks like a secret,
in words that never repeat the value (nor a name that is itself shaped like
a secret), so the answer can go into an error body or a log line.

The rule (DESIGN.md, "Environment variables"):

* **A name that says so**: split into words at ``_``, ``-``, ``.``, digits
  and lower-to-upper case changes, a name has one of the words of
  :data:`SECRET_WORDS` (``KEY``, ``PASS``, ``PWD``, ``TOKEN`` ...), a word
  that ends with ``TOKEN`` or ``SECRET`` (``GITHUBTOKEN``, ``CLIENTSECRET``),
  or anywhere one of :data:`SECRET_PARTS` (``PASSWORD``, ``APIKEY`` ...).
  So ``DB_PASSWORD``, ``apiKey`` and ``AWS_ACCESS_KEY_ID`` are refused while
  ``TOKENIZER``, ``SECRETARY``, ``MONKEY`` and ``KEYBOARD`` are not. An empty value is no
  secret, whatever the name.
* **A value shaped like one**: a known token format anywhere in it
  (:data:`KNOWN_FORMATS`: private keys, JWTs, AWS, GitHub, GitLab, Slack,
  Stripe, Google, OpenAI-style ``sk-``, Hugging Face and npm tokens, an
  ``Authorization`` value, a URL with a password in it), one of this
  server's connection tokens, or a long random-looking run of token
  characters (letters, digits, ``+/=_-``; 24 or more, 20 of them letters
  or digits) that mixes upper case, lower case and digits and changes
  between them at least every other character (every 2.5th from 32 on), or
  has 32 or more letters and digits, each at least a fifth of them,
  changing at least every third character (hexadecimal keys, lower-case
  keys). A UUID is an id, not a secret, and passes; so do words,
  paths, versions and short commit ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional

__all__ = [
    "KNOWN_FORMATS",
    "SECRET_PARTS",
    "SECRET_WORDS",
    "credential_problem",
    "secret_name",
    "secret_shape",
]

#: Words of a name that say the value is a secret.
SECRET_WORDS = frozenset(
    {
        "KEY",
        "KEYS",
        "PASS",
        "PASSWD",
        "PWD",
        "PASSPHRASE",
        "TOKEN",
        "TOKENS",
        "CREDS",
        "COOKIE",
        "COOKIES",
    }
)
#: Parts of a name, anywhere in it, that say the same.
SECRET_PARTS = (
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "APIKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
    "AUTHTOKEN",
)

#: Token formats the services that issue them document, searched anywhere in a value.
KNOWN_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a private key", re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")),
    (
        "a JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"),
    ),
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{20,}")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("an API key (sk-...)", re.compile(r"\bsk-[A-Za-z0-9_-]{20,}")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("an npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}")),
    (
        "an Authorization value",
        re.compile(
            r"(?i)(?:\b(?:bearer|basic|token)\s+|authorization\s*[:=]\s*)[A-Za-z0-9._~+/=-]{8,}"
        ),
    ),
    ("a URL with a password", re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")),
)

#: Endings of a word that say the same (``GITHUBTOKEN``, ``CLIENTSECRET``).
_SECRET_ENDINGS = ("TOKEN", "TOKENS", "SECRET", "SECRETS")
_WORD_BREAKS = re.compile(
    r"[_.\-\s]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"
)
#: A run of the characters tokens are made of (base64, URL-safe base64, hex).
_RUNS = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def secret_name(name: str) -> Optional[str]:
    """The word of ``name`` that says it holds a secret (``PASSWORD``), or None."""
    upper = name.upper()
    for part in SECRET_PARTS:
        if part in upper.replace("_", "").replace("-", ""):
            return part
    for word in _WORD_BREAKS.split(name):
        word = word.upper()
        if word in SECRET_WORDS or word.endswith(_SECRET_ENDINGS):
            return word
    return None


def _kind(ch: str) -> str:
    return "u" if ch.isupper() else "l" if ch.islower() else "d"


def _random_looking(run: str) -> bool:
    """Whether a run of token characters reads as random rather than as words.

    Random characters change between upper case, lower case and digits far
    more often than words, versions or dates do (about two changes in three
    characters for base64, one in two for hexadecimal; words about one in four).
    """
    alnum = [ch for ch in run if ch.isascii() and ch.isalnum()]
    if len(alnum) < 20:
        return False
    kinds = [_kind(ch) for ch in alnum]
    ratio = (sum(1 for a, b in zip(kinds, kinds[1:]) if a != b) + 1) / len(kinds)
    if {"u", "l", "d"} <= set(kinds):
        return ratio >= (0.4 if len(kinds) >= 32 else 0.5)
    digits = kinds.count("d") / len(kinds)
    return len(kinds) >= 32 and 0.2 <= digits <= 0.8 and ratio >= 0.3


def secret_shape(value: str, known: Iterable[str] = ()) -> Optional[str]:
    """What kind of secret ``value`` looks like ("an AWS access key id"), or None.

    ``known`` are secrets this server holds (connection tokens): a value
    containing one is refused whatever its shape.
    """
    for secret in known:
        if secret and len(secret) >= 8 and secret in value:
            return "one of this server's connection tokens"
    for what, pattern in KNOWN_FORMATS:
        if pattern.search(value):
            return what
    for match in _RUNS.finditer(_UUID.sub(" ", value)):
        if _random_looking(match.group(0)):
            return "a long random string (a key or a token)"
    return None


def credential_problem(name: str, value: str, known: Iterable[str] = ()) -> Optional[str]:
    """Why the setting ``name`` = ``value`` looks like a credential, or None.

    The words never contain the value; they name ``name`` only when the name
    itself is not shaped like a secret (the caller decides how to refer to it).
    """
    if not value:
        return None
    word = secret_name(name)
    if word is not None:
        return f"its name says it holds a secret ({word})"
    shape = secret_shape(value, known)
    if shape is not None:
        return f"its value looks like {shape}"
    return None
