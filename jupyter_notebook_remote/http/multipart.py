"""A ``multipart/form-data`` body streamed part by part, with an exact length."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class MultipartFile:
    """One file part: bytes from an async iterator made fresh per call."""

    field: str
    chunks: Callable[[], AsyncIterator[bytes]]
    file_name: Optional[str] = None
    size: Optional[int] = None
    content_type: Optional[str] = "application/octet-stream"


def _quote(value: str) -> str:
    # As browsers do (WHATWG): escape the characters that would end the value.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """A ``multipart/form-data`` body streamed part by part.

    Plain fields are small and kept as text; file parts are read from their
    async iterators only while the body is being sent. When every file part
    knows its size the total ``Content-Length`` is known up front, so the
    request is not chunked. A file part must yield exactly the bytes it
    announces: a notebook's :meth:`~..providers.base.NotebookUpload.stream`
    does, and stops with ``file_changed`` otherwise.
    """

    def __init__(
        self,
        files: Sequence[MultipartFile],
        fields: Optional[Mapping[str, str]] = None,
        *,
        boundary: Optional[str] = None,
    ) -> None:
        self.files = list(files)
        self.fields = dict(fields or {})
        self.boundary = boundary or f"jupyter-notebook-remote-{secrets.token_hex(12)}"
        if not re.fullmatch(r"[0-9A-Za-z'()+_,./:=?-]{1,70}", self.boundary):
            raise ValueError("invalid multipart boundary")

    def _field_head(self, name: str) -> bytes:
        return (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'
        ).encode()

    def _file_head(self, part: MultipartFile) -> bytes:
        disposition = f'form-data; name="{_quote(part.field)}"'
        if part.file_name is not None:
            disposition += f'; filename="{_quote(part.file_name)}"'
        lines = [f"--{self.boundary}", f"Content-Disposition: {disposition}"]
        if part.content_type:
            lines.append(f"Content-Type: {part.content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _tail(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> Optional[int]:
        total = 0
        for name, value in self.fields.items():
            total += len(self._field_head(name)) + len(value.encode()) + 2
        for part in self.files:
            if part.size is None:
                return None
            total += len(self._file_head(part)) + part.size + 2
        return total + len(self._tail())

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": self.content_type}
        length = self.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    async def stream(self) -> AsyncIterator[bytes]:
        for name, value in self.fields.items():
            yield self._field_head(name) + value.encode() + b"\r\n"
        for part in self.files:
            yield self._file_head(part)
            async for chunk in part.chunks():
                if chunk:
                    yield bytes(chunk)
            yield b"\r\n"
        yield self._tail()
