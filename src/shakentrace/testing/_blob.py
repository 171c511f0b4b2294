"""A small PEM blob type, after trustme's ``Blob``."""

from __future__ import annotations

import os
import tempfile as _tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Blob"]


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes (usually PEM) that can be handed to code wanting bytes, a file or a path.

    Attributes:
        data: The bytes.
    """

    data: bytes

    def __bytes__(self) -> bytes:
        return self.data

    def decode(self, encoding: str = "ascii") -> str:
        """Return the bytes as text (PEM is ASCII)."""
        return self.data.decode(encoding)

    def write_to_path(self, path: str | os.PathLike[str], *, append: bool = False) -> Path:
        """Write the bytes to ``path`` (appending when ``append``) and return the path."""
        target = Path(path)
        with target.open("ab" if append else "wb") as fh:
            fh.write(self.data)
        return target

    @contextmanager
    def tempfile(self, suffix: str = ".pem") -> Iterator[Path]:
        """Write the bytes to a temporary file, yield its path, delete it afterwards."""
        fd, name = _tempfile.mkstemp(suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.data)
            yield Path(name)
        finally:
            Path(name).unlink(missing_ok=True)
