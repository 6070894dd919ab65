"""Checks made before a command writes anything: where it writes and what it would replace.

* :func:`plain_name` accepts a name that becomes part of a file name (a coder, a
  case) only when it cannot leave the output folder (no ``/``, ``\\``, ``..``, no
  leading dot, no control or invisible characters).
* :func:`check_distinct` refuses an output path that resolves to an input or to
  another output of the same command (``merge a b --out b`` would replace an input).
* :func:`refuse_existing` refuses to replace files that exist unless ``force`` is
  given (a re-run of ``grid template`` would blank a coder's filled sheet).

Each raises :class:`~localise.errors.InputError` before any file is written.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from localise.errors import InputError

__all__ = ["plain_name", "check_distinct", "refuse_existing"]

_PLAIN = re.compile(r"[^\W_][\w.-]*")


def plain_name(value: str, *, what: str) -> str:
    """Return ``value`` if it is safe as part of a file name, else raise :class:`InputError`.

    Letters (any script), digits, ``_``, ``-`` and ``.`` are allowed; the name starts
    with a letter or digit and never contains ``..``.
    """
    text = str(value)
    invisible = [f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch)[0] == "C"]
    if invisible:
        raise InputError(
            f"{what} {text!r}: contains invisible or control character(s) {invisible}; expected a plain name"
        )
    if not _PLAIN.fullmatch(text) or ".." in text:
        raise InputError(
            f"{what} {text!r}: expected a plain name (letters, digits, '_', '-', '.'; starting with a letter or "
            "digit; no '/', '\\\\' or '..'), because it becomes part of a file name"
        )
    return text


def _key(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()


def check_distinct(inputs: Iterable[str | os.PathLike[str]], outputs: Mapping[str, str | os.PathLike[str]]) -> None:
    """Raise :class:`InputError` when an output resolves to an input or to another output.

    Parameters
    ----------
    inputs
        Files the command reads.
    outputs
        Option name (e.g. ``"--out"``) -> file the command writes.
    """
    read = {_key(p): Path(p) for p in inputs}
    taken: dict[Path, str] = {}
    for option, target in outputs.items():
        key = _key(target)
        if key in read:
            raise InputError(
                f"{option} {target}: is also an input file ({read[key]}); writing it would replace the input. "
                "Expected a new file name"
            )
        if key in taken:
            raise InputError(
                f"{option} {target}: is the same file as {taken[key]}; one output would replace the other. "
                "Expected distinct output files"
            )
        taken[key] = option


def refuse_existing(targets: Iterable[str | os.PathLike[str]], *, force: bool, flag: str = "--force") -> None:
    """Raise :class:`InputError` listing the ``targets`` that exist, unless ``force``."""
    if force:
        return
    existing = [str(p) for p in targets if Path(p).exists()]
    if existing:
        raise InputError(
            f"{', '.join(existing)}: already exist(s); refusing to replace (a filled sheet would be lost). "
            f"Choose another --out folder, or pass {flag} to replace"
        )
