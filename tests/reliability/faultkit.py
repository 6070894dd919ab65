"""Helpers of the fault-injection suite: run a command, snapshot a folder by hashes.

Every case asserts three things: the exit code (2 for a user mistake), that the message
names the file and the row, key or value and what was expected, and that the files on
disk are exactly as before (SHA-256 of every file under the work folder).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from localise.cli import main


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``folder`` (hidden files included)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Runner:
    """Run ``localise`` in-process; check the exit code, the message and the files left."""

    def __init__(self, capsys, root: Path) -> None:
        self.capsys = capsys
        self.root = root

    def __call__(self, *args: object) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def fails(self, *args: object, expect: list[str], code: int = 2) -> str:
        """Assert exit ``code``, every text of ``expect`` in stderr, no traceback, files unchanged."""
        before = snapshot(self.root)
        got, out, err = self(*args)
        assert got == code, f"exit {got}, expected {code}; stderr: {err}\nstdout: {out}"
        assert "Traceback" not in err
        for text in expect:
            assert text in err, f"{text!r} not in message: {err}"
        assert snapshot(self.root) == before, "files on disk changed"
        return err
