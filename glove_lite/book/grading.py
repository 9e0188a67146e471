"""Grading runs only what the graded cells need.

An assignment is a whole chapter: its text and computations (a corpus tokenised, vectors
trained), then the exercises. Grading a submission needs none of the chapter's
computations unless a graded cell uses their results: the checks call the student's
functions on inputs of their own. :func:`needed_statements` finds, in a notebook, the
top-level statements that the graded cells (nbgrader's solution and test cells) depend
on, directly or through other statements, by the names they read and bind;
:class:`SkipForGrading` replaces every other code cell (or the part of it that is not
needed) by a comment before nbgrader executes the notebook, and :class:`RestoreSkipped`
puts the original code back afterwards, with a note in place of its output, so the
feedback shows the whole chapter.

The analysis errs on the side of running: a name read anywhere in a graded cell (inside
its functions too) counts as needed; a statement that binds, or may change, a needed
name runs (``X = ...``, ``X[k] = ...``, ``X.update(...)``); a cell that is not plain
Python (an IPython magic) runs whole. The course's ``nbgrader_config.py`` installs the
two preprocessors around nbgrader's ``Execute`` (:func:`autograde_preprocessors`).
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass
from typing import Any

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

SKIPPED_NOTE = "(not run when this submission was graded: no graded cell needs it)"
PARTLY_NOTE = "(when this submission was graded, only the lines of this cell that graded cells need ran)"

__all__ = ["Statement", "statements", "is_graded", "needed_statements", "SkipForGrading", "RestoreSkipped",
           "autograde_preprocessors", "SKIPPED_NOTE", "PARTLY_NOTE"]


@dataclass
class Statement:
    """One top-level statement of a code cell: its code (as ``ast.unparse`` writes it) and the names it
    reads, binds and may change."""

    source: str
    reads: set[str]
    binds: set[str]
    changes: set[str]


def _global_reads(table: symtable.SymbolTable) -> set[str]:
    """Names a nested scope (function, lambda, comprehension, class) reads from the module's namespace."""
    names = set()
    for child in table.get_children():
        for symbol in child.get_symbols():
            if symbol.is_referenced() and symbol.is_global():
                names.add(symbol.get_name())
        names |= _global_reads(child)
    return names


def _changed_names(node: ast.stmt) -> set[str]:
    """Names a statement may change without rebinding them: ``x[k] = v``, ``x.a += v``, ``x.append(v)``."""
    def base(expr: ast.expr) -> str | None:
        while isinstance(expr, (ast.Subscript, ast.Attribute)):
            expr = expr.value
        return expr.id if isinstance(expr, ast.Name) else None

    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
        targets = [node.value.func]
    names = set()
    for target in targets:
        for part in ast.walk(target):
            if isinstance(part, (ast.Subscript, ast.Attribute)):
                name = base(part)
                if name:
                    names.add(name)
    return names


def statements(source: str) -> list[Statement] | None:
    """The top-level statements of a code cell, or None if it is not plain Python (a magic, say)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = []
    for node in tree.body:
        text = ast.unparse(node)  # with its decorators, unlike the source segment
        table = symtable.symtable(text, "<cell>", "exec")
        reads, binds = set(), set()
        for symbol in table.get_symbols():
            if symbol.is_referenced():
                reads.add(symbol.get_name())
            if symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace():
                binds.add(symbol.get_name())
        reads |= _global_reads(table)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            reads.add(node.target.id)  # x += 1 reads x too
        found.append(Statement(text, reads, binds, _changed_names(node)))
    return found


def is_graded(cell: Any) -> bool:
    """An nbgrader cell that grading runs for a score: a solution cell or a test (grade) cell with code."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("solution") or meta.get("grade"))


def needed_statements(cells: list[Any]) -> dict[int, list[int] | None]:
    """For each code cell (by index): the indices of its statements that grading needs, or None for all.

    Graded cells, the first code cell (the chapter's setup) and cells that are not plain
    Python run whole; another cell runs the statements that bind or may change a name
    that a later needed statement reads. A cell with nothing needed maps to [].
    """
    code = [k for k, c in enumerate(cells) if c.get("cell_type") == "code"]
    parsed = {k: statements(cells[k]["source"]) for k in code}
    plan: dict[int, list[int] | None] = {}
    needed: set[str] = set()
    for k in reversed(code):
        stmts = parsed[k]
        if stmts is None or is_graded(cells[k]) or k == code[0]:
            plan[k] = None
            for stmt in reversed(stmts or []):
                needed = (needed - stmt.binds) | stmt.reads
            continue
        keep = []
        for j in reversed(range(len(stmts))):
            stmt = stmts[j]
            if (stmt.binds | stmt.changes) & needed:
                keep.append(j)
                needed = (needed - (stmt.binds - stmt.changes)) | stmt.reads
        plan[k] = sorted(keep) if len(keep) < len(stmts) else None
    return plan


class SkipForGrading(Preprocessor):
    """Before nbgrader executes a submission: leave out the code no graded cell needs.

    The original sources are kept in ``resources["glove_lite_skipped"]`` for
    :class:`RestoreSkipped`.
    """

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off by default

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        plan = needed_statements(nb.cells)
        saved = resources.setdefault("glove_lite_skipped", {})
        for k, keep in plan.items():
            if keep is None:
                continue
            cell = nb.cells[k]
            stmts = statements(cell.source) or []
            saved[k] = cell.source
            kept = [stmts[j].source for j in keep]
            cell.source = "\n".join(kept + [f"# {SKIPPED_NOTE if not kept else PARTLY_NOTE}"])
        return nb, resources


class RestoreSkipped(Preprocessor):
    """After nbgrader executed a submission: the skipped code back in place, with a note as its output."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        import nbformat

        for k, source in resources.pop("glove_lite_skipped", {}).items():
            cell = nb.cells[k]
            partly = cell.source.rstrip().endswith(PARTLY_NOTE)
            cell.source = source
            note = nbformat.v4.new_output("stream", name="stdout", text=(PARTLY_NOTE if partly else SKIPPED_NOTE) + "\n")
            cell.outputs = ([o for o in cell.outputs if o.get("output_type") != "error"] if partly else []) + [note]
            if not partly:
                cell.execution_count = None
        return nb, resources


def autograde_preprocessors() -> list:
    """nbgrader's autograde preprocessors with :class:`SkipForGrading` before ``Execute`` and
    :class:`RestoreSkipped` right after it."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute

    default = list(Autograde.class_traits()["autograde_preprocessors"].default())
    at = default.index(Execute)
    return default[:at] + [SkipForGrading, Execute, RestoreSkipped] + default[at + 1 :]
