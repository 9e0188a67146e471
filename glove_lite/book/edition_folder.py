"""Writing an edition into a folder that people work in, without ever losing their work.

A student works in the student edition's notebooks; an instructor edits the course's
source notebooks and configuration, and nbgrader keeps the gradebook, releases,
submissions and feedback beside them. :class:`EditionFolder` writes the files an edition
generates and nothing else, by these rules:

* a file that is missing, or that is still exactly as the edition last wrote it (its
  SHA-256 is in the folder's manifest, ``.glove-lite-edition.json``), is written;
* a file someone changed since (or a file the manifest does not know) is never touched:
  when the edition has a new version of it, that version goes to ``updates/<same path>``,
  and the report says so, so that its owner can compare and take what they want;
* a caller may also hold a file back (a course assignment already released, say): it is
  then treated like a changed file;
* everything else in the folder (nbgrader's files, a student's own notes) is never read,
  written or deleted.

Each write is atomic (:func:`glove_lite.fileio.atomic_write`), so an interrupted build
leaves every file whole.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".glove-lite-edition.json"
UPDATES = "updates"

__all__ = ["MANIFEST", "UPDATES", "Outcome", "EditionFolder", "sha256"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Outcome:
    """What happened to one file: ``written`` (new or replaced), ``unchanged``, ``kept`` (someone's
    version stays; ``update`` is where the new one went, or None when the edition did not change),
    or ``blocked`` (kept, and the update could not be written because ``updates/`` holds an edited copy)."""

    path: str
    status: str
    update: str | None = None
    reason: str = ""

    def line(self) -> str:
        if self.status == "written":
            return f"wrote {self.path}"
        if self.status == "unchanged":
            return f"up to date: {self.path}"
        if self.status == "kept" and self.update:
            return f"kept {self.path} ({self.reason}); the new version is {self.update}"
        if self.status == "kept":
            return f"kept {self.path} ({self.reason}; the edition has not changed since)"
        return (f"kept {self.path} ({self.reason}), and {self.update} too (edited as well): move {self.update} "
                "away and build again to get the new version")


@dataclass
class EditionFolder:
    """A folder an edition is written into (see the module's docstring for the rules)."""

    root: Path
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        path = self.root / MANIFEST
        try:
            self.written: dict[str, str] = json.loads(path.read_text(encoding="utf-8")).get("files", {})
        except (FileNotFoundError, ValueError):
            self.written = {}

    def _current(self, rel: str) -> str | None:
        path = self.root / rel
        return sha256(path.read_bytes()) if path.is_file() else None

    def untouched(self, rel: str) -> bool:
        """Whether ``rel`` is missing or exactly as this edition last wrote it."""
        current = self._current(rel)
        return current is None or current == self.written.get(rel)

    def _put(self, rel: str, data: bytes) -> None:
        from glove_lite.fileio import atomic_write

        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, overwrite=True, mode="wb") as fh:
            fh.write(data)
        self.written[rel] = sha256(data)

    def write(self, rel: str, text: str, hold: str | None = None) -> Outcome:
        """Write ``text`` to ``rel`` by the rules; ``hold`` (a reason) keeps an existing file as it is."""
        data = text.encode("utf-8")
        new = sha256(data)
        current = self._current(rel)
        if current == new:
            self.written[rel] = new
            outcome = Outcome(rel, "unchanged")
        elif current is None or (current == self.written.get(rel) and hold is None):
            self._put(rel, data)
            outcome = Outcome(rel, "written")
        else:
            reason = hold or ("changed since it was written" if rel in self.written else "not written by this edition")
            if self.written.get(rel) == new:  # the edition is what it was when the file was written
                outcome = Outcome(rel, "kept", None, reason)
            else:
                update = f"{UPDATES}/{rel}"
                if self._current(update) in (None, new) or self.untouched(update):
                    if self._current(update) != new:
                        self._put(update, data)
                    self.written[update] = new
                    outcome = Outcome(rel, "kept", update, reason)
                else:
                    outcome = Outcome(rel, "blocked", update, reason)
        self.outcomes.append(outcome)
        return outcome

    def remove_if_untouched(self, rel: str) -> bool:
        """Delete a file this edition wrote and nobody changed since (one the edition no longer has)."""
        path = self.root / rel
        if path.is_file() and rel in self.written and self.untouched(rel):
            path.unlink()
            del self.written[rel]
            return True
        return False

    def save(self) -> None:
        """Record what was written (the manifest)."""
        from glove_lite.fileio import atomic_write

        self.root.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.root / MANIFEST, overwrite=True) as fh:
            fh.write(json.dumps({"files": dict(sorted(self.written.items()))}, indent=1) + "\n")
