"""Turning a chapter into a notebook for students: the conversion both editions share.

The student edition (:mod:`glove_lite.book.edition`) and the nbgrader course
(:mod:`glove_lite.book.course`) read the chapters listed in ``_toc.yml`` (their MyST
markdown, via Jupytext) and convert each with :func:`convert_notebook`:

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers) is
  replaced by ``raise NotImplementedError(...)`` at the same indentation, so a function's
  signature and docstring stay and its body becomes a stub (the course keeps the code,
  and nbgrader stubs it when it releases the assignment);
* everything inside a gated ``{solution-start}`` ... ``{solution-end}`` block is removed
  (explanations, and code cells without markers), except the marker cells; an empty code
  cell ("# Your code here") takes the place of removed code;
* ``{solution}`` blocks (prose solutions) are removed;
* ``{exercise}`` blocks become plain Markdown ("**Exercise 4** ...", numbered as in the
  book), readable in any Jupyter; the self-check cells stay;
* an answer cell follows every exercise that asks for words: open questions (no
  self-check), and the questions inside coded exercises
  (:data:`glove_lite.book.exercises.WRITTEN`);
* ``show_source(f)`` of a library function that is an exercise's answer
  (:data:`glove_lite.book.exercises.ANSWERS`), wherever a chapter shows it, becomes
  ``show_signature(f, exercise=N)``: the signature and docstring, not the answer; a cell
  marked with the metadata ``answers: <label>`` (prose or code that gives an answer away)
  becomes a one-line note;
* MyST markup that Jupyter cannot show (``{glue:text}`` roles, ``{cite}`` roles,
  admonitions) becomes plain Markdown: the glued values from the paired ``.ipynb``'s
  stored outputs, citations as "(Author, year)" (:mod:`glove_lite.book.myst`).

In the course, cells also get nbgrader's metadata, under grade ids made from the exercise
labels (stable when a chapter changes elsewhere): ``<label>-solution`` (the marked code),
``<label>-check`` (the visible self-check, called with ``points=`` so that it gives partial
credit by parts), ``<label>-hidden`` (the same check on the graders' other inputs, inside
``### BEGIN HIDDEN TESTS``, which nbgrader removes from the released notebook) and
``<label>-answer`` (an answer cell, graded by hand; in the source it holds the book's
model answer, which nbgrader replaces by "YOUR ANSWER HERE" on release).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any, Iterable

from glove_lite.errors import GloveLiteError

__all__ = [
    "BEGIN_SOLUTION", "END_SOLUTION", "BEGIN_HIDDEN", "END_HIDDEN", "POINTS", "ANSWERS_KEY", "StudentEditionError",
    "Exercise", "Chapter", "Book", "has_solution_markers", "solution_regions", "stub_solutions", "check_calls",
    "graded_check_source", "hidden_test_source", "chapter_imports", "hide_answers", "bound_names", "shadowed_names",
    "convert_notebook", "chapters", "read_chapter", "read_book", "exercises_of", "answers_to_hide", "renderer_for",
    "notebook_text",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CHAPTER_RE = re.compile(r"^book/(\d\d)_[a-z0-9_]+$")
FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_RE = re.compile(r"^\s*\{(?P<name>[a-zA-Z0-9_:-]+)\}\s*(?P<args>.*)$")
GRADE_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
PLACEHOLDER = "# Your code here\n"
ANSWERS_KEY = "answers"  # cell metadata: the label of the exercise whose answer the cell gives away

#: points per graded cell: a visible self-check, its hidden tests (both by parts, see
#: glove_lite.book.exercises._base.run_parts), an open question's answer, and the written
#: part of a coded exercise (both graded by hand)
POINTS = {"check": 2, "hidden": 1, "answer": 2, "written": 1}


class StudentEditionError(GloveLiteError):
    """A chapter's solution markers, solution blocks or exercise markup are malformed."""


@dataclass
class Exercise:
    """One ``{exercise}`` of the book: its label, number and the self-checks after it."""

    label: str
    number: int
    chapter: str
    checks: list[str] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """An open question: no self-check, its answer is graded by hand."""
        return not self.checks

    @property
    def written(self) -> str | None:
        """What a coded exercise asks besides its code (:data:`glove_lite.book.exercises.WRITTEN`), if anything."""
        from glove_lite.book.exercises import WRITTEN

        return None if self.is_open else WRITTEN.get(self.label)


@dataclass
class _State:
    """What the parser carries from cell to cell."""

    chapter: str
    course: bool = False
    known: dict[str, Exercise] = field(default_factory=dict)  # from a first pass: label -> Exercise
    renderer: Any = None  # a glove_lite.book.myst.Renderer, or None (markdown kept as it is)
    in_solution: str | None = None  # the label of the open {solution-start} block
    exercise_count: int = 0
    exercises: list[Exercise] = field(default_factory=list)
    model_answers: dict[str, list[str]] = field(default_factory=dict)  # label -> removed solution text
    answered: set[str] = field(default_factory=set)  # labels whose answer cell is placed
    grade_ids: set[str] = field(default_factory=set)

    @property
    def current(self) -> Exercise | None:
        return self.exercises[-1] if self.exercises else None

    def is_open(self, label: str | None) -> bool:
        exercise = self.known.get(label or "")
        return exercise is not None and exercise.is_open

    def needs_answer(self, label: str | None) -> bool:
        """Whether the exercise gets an answer cell: an open question, or a coded one that asks for words."""
        exercise = self.known.get(label or "")
        return exercise is not None and (exercise.is_open or exercise.written is not None)

    def number(self, label: str) -> int | str:
        exercise = self.known.get(label)
        return exercise.number if exercise else "?"

    def grade_id(self, label: str, kind: str) -> str:
        base = f"{label}-{kind}"
        grade_id, k = base, 1
        while grade_id in self.grade_ids:
            k += 1
            grade_id = f"{base}-{k}"
        self.grade_ids.add(grade_id)
        return grade_id


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def has_solution_markers(source: str) -> bool:
    """Whether a code cell contains a ``### BEGIN SOLUTION`` marker."""
    return any(line.strip().startswith(BEGIN_SOLUTION) for line in source.splitlines())


def solution_regions(source: str) -> list[list[str]]:
    """The lines inside each BEGIN/END SOLUTION region of a code cell (markers excluded)."""
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            current = []
        elif stripped.startswith(END_SOLUTION):
            if current is not None:
                regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def stub_solutions(source: str, message: str = "write your solution here", where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION region by a stub at the marker's indentation.

    >>> print(stub_solutions("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError("write your solution here")
    """
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if inside:
                raise StudentEditionError(f"{where}, line {number}: {BEGIN_SOLUTION} inside another solution region")
            inside = True
            indent = _indent_of(line)
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f"{indent}raise NotImplementedError({json.dumps(message)})")
        elif stripped.startswith(END_SOLUTION):
            if not inside:
                raise StudentEditionError(f"{where}, line {number}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StudentEditionError(f"{where}: {BEGIN_SOLUTION} without {END_SOLUTION}")
    return "\n".join(out)


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (the last line if unclosed)."""
    char, length = fence[0], len(fence)
    for k in range(start + 1, len(lines)):
        m = FENCE_RE.match(lines[k])
        if m and m["fence"][0] == char and len(m["fence"]) >= length and not m["info"].strip():
            return k
    return len(lines) - 1


def _directive_body(block: list[str]) -> tuple[dict[str, str], list[str]]:
    """The options (``:name: value`` lines or a YAML block) and the text of a directive block."""
    body = block[1:-1] if len(block) > 1 and FENCE_RE.match(block[-1]) else block[1:]
    options: dict[str, str] = {}
    text: list[str] = []
    options_done, in_yaml = False, False
    for line in body:
        if not options_done:
            if line.strip() == "---":  # YAML option block
                in_yaml = not in_yaml
                continue
            if in_yaml:
                key, _, value = line.partition(":")
                options[key.strip()] = value.strip()
                continue
            m = re.match(r"^:(\w[\w-]*):\s*(.*)$", line.strip())
            if m:
                options[m[1]] = m[2].strip()
                continue
            options_done = True
        text.append(line)
    while text and not text[0].strip():
        text.pop(0)
    return options, text


def _exercise_markdown(block: list[str], state: _State) -> list[str]:
    """An ``{exercise}`` directive block as plain Markdown; records the exercise."""
    opening = FENCE_RE.match(block[0])
    args = DIRECTIVE_RE.match(opening["info"])["args"].strip() if opening else ""
    options, text = _directive_body(block)
    label = options.get("label")
    state.exercise_count += 1
    state.exercises.append(Exercise(label or f"exercise-{state.exercise_count}", state.exercise_count, state.chapter))
    title = f"**Exercise {state.exercise_count}**" + (f" ({args})" if args else "")
    anchor = [f'<a id="{label}"></a>', ""] if label else []
    return [*anchor, title, "", *text]


Piece = tuple[str, str]  # ("markdown", text) or ("answer", exercise label)


def _pending_answer(state: _State) -> list[Piece]:
    """The answer cell of the previous exercise, if it needs one and has none yet (after its checks)."""
    exercise = state.current
    if exercise is not None and state.needs_answer(exercise.label) and exercise.label not in state.answered:
        state.answered.add(exercise.label)
        return [("answer", exercise.label)]
    return []


def _markdown(source: str, state: _State) -> list[Piece]:
    """Drop solution blocks from a markdown cell and turn exercises into plain Markdown.

    Returns the cell's pieces in order: Markdown text, and the places of answer cells (at
    the end of an open question's solution, or before the next exercise if it has none).
    Removed solution text is kept in ``state.model_answers`` for the course's answer cells.
    """
    lines = source.splitlines()
    pieces: list[Piece] = []
    out: list[str] = []

    def flush() -> None:
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()
        if text:
            pieces.append(("markdown", text))
        out.clear()

    def answer(label: str) -> None:  # an open question's answer cell goes where its solution was
        if state.is_open(label) and label not in state.answered:
            flush()
            state.answered.add(label)
            pieces.append(("answer", label))

    k = 0
    while k < len(lines):
        m = FENCE_RE.match(lines[k])
        directive = DIRECTIVE_RE.match(m["info"]) if m else None
        if m is None:
            if state.in_solution is None:
                out.append(lines[k])
            else:
                state.model_answers.setdefault(state.in_solution, []).append(lines[k])
            k += 1
            continue
        end = _fence_end(lines, k, m["fence"])
        name = directive["name"] if directive else None
        if name == "solution-start":
            if state.in_solution is not None:
                raise StudentEditionError(f"chapter {state.chapter}: {{solution-start}} inside the open solution of {state.in_solution}")
            state.in_solution = directive["args"].strip() or "?"
        elif name == "solution-end":
            if state.in_solution is None:
                raise StudentEditionError(f"chapter {state.chapter}: {{solution-end}} without {{solution-start}}")
            label, state.in_solution = state.in_solution, None
            answer(label)
        elif name == "solution":  # a prose solution: removed, kept as the model answer
            label = directive["args"].strip() or (state.current.label if state.current else "?")
            _, text = _directive_body(lines[k : end + 1])
            state.model_answers.setdefault(label, []).extend(["", *text])
            answer(label)
        elif state.in_solution is not None:  # any other block inside a gated solution
            state.model_answers.setdefault(state.in_solution, []).extend(lines[k : end + 1])
        elif name == "exercise":
            flush()
            pieces.extend(_pending_answer(state))
            out.extend(_exercise_markdown(lines[k : end + 1], state))
        else:
            out.extend(lines[k : end + 1])
        k = end + 1
    flush()
    return pieces


def _nbgrader(grade_id: str, solution: bool, grade: bool, points: int | None = None, locked: bool | None = None) -> dict[str, Any]:
    """nbgrader's cell metadata (schema 3)."""
    if not GRADE_ID_RE.match(grade_id):
        raise StudentEditionError(f"grade id {grade_id!r}: an exercise label may hold only letters, digits, '-' and '_'")
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": (not solution) if locked is None else locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def _answer_cell(label: str, state: _State) -> Any:
    """The cell for the answer to an open question or to the written part of a coded exercise."""
    import nbformat

    exercise = state.known.get(label)
    number = state.number(label)
    written = exercise.written if exercise else None
    what = f"Exercise {number}" + (f": {written}" if written else "")
    if not state.course:
        return nbformat.v4.new_markdown_cell(f"**Your answer** ({what}): double-click to write here.")
    model = re.sub(r"\n{3,}", "\n\n", "\n".join(state.model_answers.get(label, []))).strip()
    text = (f"**Model answer to Exercise {number}**" + (f" ({written})" if written else "")
            + f" (the book's; nbgrader replaces this cell by \"YOUR ANSWER HERE\" when it releases the "
            f"assignment)\n\n{model or '(none in the book)'}")
    points = POINTS["written"] if written else POINTS["answer"]
    meta = {"nbgrader": _nbgrader(state.grade_id(label, "answer"), solution=True, grade=True, points=points)}
    return nbformat.v4.new_markdown_cell(text, metadata=meta)


# --------------------------------------------------------------------------- code cells


def _top_level_calls(source: str, prefix: str) -> list[ast.Call]:
    """Calls ``name(...)`` with ``name`` starting with ``prefix``, as statements of the cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.value for node in tree.body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id.startswith(prefix)]


def check_calls(source: str) -> list[str]:
    """The self-checks a cell calls (``check_...(...)`` statements), in order."""
    return [call.func.id for call in _top_level_calls(source, "check_")]


def _library_check_call(source: str) -> ast.Call | None:
    """The cell's call of a library self-check (``glove_lite.book.exercises.CHECKS``), if its last statement is one."""
    from glove_lite.book.exercises import CHECKS

    calls = [c for c in _top_level_calls(source, "check_") if c.func.id in CHECKS]
    if not calls:
        return None
    last = ast.parse(source).body[-1]
    if len(calls) > 1 or not (isinstance(last, ast.Expr) and (last.lineno, last.col_offset) == (calls[0].lineno, calls[0].col_offset)):
        raise StudentEditionError(
            "a check cell calls one library check, as its last line (nbgrader reads the cell's value "
            f"as its score); this one does not: {source!r}"
        )
    return calls[0]


def _call_with(source: str, call: ast.Call, **extra: Any) -> str:
    """``call`` written again with ``extra`` keyword arguments (replacing ones of the same name)."""
    args = [ast.get_source_segment(source, a) for a in call.args]
    args += [f"{k.arg}={ast.get_source_segment(source, k.value)}" for k in call.keywords if k.arg and k.arg not in extra]
    args += [f"{k}={v!r}" for k, v in extra.items()]
    return f"{call.func.id}({', '.join(args)})"


def graded_check_source(source: str, points: int) -> str:
    """A check cell for the course: its library check called with ``points=``, for partial credit.

    Cells that call no library check (a chapter's own check function) stay as they are and
    score all or nothing.
    """
    call = _library_check_call(source)
    if call is None or any(k.arg == "points" for k in call.keywords):
        return source
    lines = source.splitlines()
    head = "\n".join(lines[: call.lineno - 1] + [lines[call.lineno - 1][: call.col_offset]])
    return head + _call_with(source, call, points=points) + "\n".join([""] + lines[call.end_lineno :])


def hidden_test_source(source: str, points: int | None = None) -> str | None:
    """The hidden-test cell for a check cell: its library check called again with ``hidden=True`` (and ``points``)."""
    call = _library_check_call(source)
    if call is None or any(k.arg == "hidden" for k in call.keywords):
        return None
    extra: dict[str, Any] = {"hidden": True}
    if points is not None:
        extra["points"] = points
    return "\n".join(["# Hidden tests: the graders' other cases run here when the assignment is graded.",
                      BEGIN_HIDDEN, _call_with(source, call, **extra), END_HIDDEN])


def chapter_imports(nb: Any) -> dict[str, tuple[str, str]]:
    """Local name -> (module, attribute or "") for the chapter's ``import`` statements."""
    names: dict[str, tuple[str, str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = (node.module, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = (alias.name, "")
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = (top, "")
    return names


def _resolve(expr: ast.expr, imports: dict[str, tuple[str, str]]) -> Any:
    """The object an expression such as ``Vocabulary.from_counts`` names, through the imports; None if unknown."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.insert(0, expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name) or expr.id not in imports:
        return None
    module, attr = imports[expr.id]
    try:
        obj = importlib.import_module(module)
        for part in ([attr] if attr else []) + parts:
            try:
                obj = getattr(obj, part)
            except AttributeError:
                obj = importlib.import_module(f"{obj.__name__}.{part}")
    except (ImportError, AttributeError):
        return None
    return obj


def hide_answers(source: str, imports: dict[str, tuple[str, str]], answers: dict[CodeType, int]) -> str:
    """Replace ``show_source(f)`` by ``show_signature(f, exercise=N)`` where f is the answer to exercise N."""
    from glove_lite.book.exercises._base import code_of

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    edits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "show_source"
                and len(node.args) == 1 and not node.keywords):
            number = answers.get(code_of(_resolve(node.args[0], imports)))
            if number is not None:
                edits.append((node, f"show_signature({ast.get_source_segment(source, node.args[0])}, exercise={number})"))
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for node, text in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start = offsets[node.lineno - 1] + len(lines[node.lineno - 1].encode()[: node.col_offset].decode())
        end = offsets[node.end_lineno - 1] + len(lines[node.end_lineno - 1].encode()[: node.end_col_offset].decode())
        source = source[:start] + text + source[end:]
    return "from glove_lite.book.exercises import show_signature\n" + source


def bound_names(source: str) -> set[str]:
    """The names a code cell binds at top level: imports, functions, classes, assignments, loops."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        else:
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
                targets = [node.target]
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
            names.update(n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def shadowed_names(nb: Any) -> dict[str, str]:
    """Names that the exercises' code rebinds although the chapter before them binds them: name -> exercise label.

    Such a name breaks the chapter for a student: after a stub (or a wrong answer) is run,
    re-running an earlier cell calls the stub instead of the chapter's function. ``_`` is
    exempt (a throwaway by convention), and so is an import of the very thing the chapter
    imported under that name (``import optax`` again binds the same module).
    """
    chapter: set[str] = set()
    shadowed: dict[str, str] = {}
    exercise = None
    chapter_imported: dict[str, tuple[str, str]] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = FENCE_RE.match(line)
                directive = DIRECTIVE_RE.match(m["info"]) if m else None
                if directive and directive["name"] == "exercise":
                    exercise = "?"
                if directive and directive["name"] in ("exercise", "solution-start"):
                    args = directive["args"].strip()
                    if directive["name"] == "solution-start" and args:
                        exercise = args
            continue
        if cell.cell_type != "code":
            continue
        names = bound_names(cell.source)
        imported = _imports_of(cell.source)
        if exercise is None:
            chapter |= names
            chapter_imported.update(imported)
        else:
            same = {name for name, target in imported.items() if chapter_imported.get(name) == target}
            for name in sorted(names & chapter - {"_"} - same):
                shadowed.setdefault(name, exercise)
    return shadowed


def _imports_of(source: str) -> dict[str, tuple[str, str]]:
    """Name -> (module, attribute or "") for the top-level imports of one cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname else alias.name.split(".")[0], "")
    return names


def _gives_away(cell: Any, state: _State, where: str) -> Any | None:
    """The note that replaces a cell marked ``answers: <label>`` (or a list of labels), else None."""
    import nbformat

    labels = cell.metadata.get(ANSWERS_KEY)
    if labels is None:
        return None
    labels = [labels] if isinstance(labels, str) else list(labels)
    if state.known and any(label not in state.known for label in labels):
        unknown = next(label for label in labels if label not in state.known)
        raise StudentEditionError(f"{where}: the metadata {ANSWERS_KEY}: {unknown!r} names no exercise of the book")
    numbers = " and ".join(f"Exercise {state.number(label)}" for label in labels)
    return nbformat.v4.new_markdown_cell(
        f"*This part of the chapter is left out of this edition: it gives away the answer to {numbers}.*"
    )


def convert_notebook(nb: Any, chapter: str = "", course: bool = False, first_exercise: int = 1,
                     exercises: dict[str, Exercise] | None = None, answers: dict[CodeType, int] | None = None,
                     renderer: Any = None) -> Any:
    """The student edition of a parsed notebook (an ``nbformat`` v4 notebook; not modified).

    With ``course`` the marked solution regions stay and cells get nbgrader metadata (an
    assignment's source notebook); prose solutions and unmarked solution code are removed
    either way. Exercises are numbered from ``first_exercise`` on, as the book numbers them
    (one count over all chapters). ``exercises`` (label -> :class:`Exercise`, from a first
    pass over the book) says which are open questions and which ask for words; ``answers``
    (code object -> exercise number) which ``show_source`` calls to hide; ``renderer`` (a
    :class:`glove_lite.book.myst.Renderer`) turns MyST markup into plain Markdown.
    ``metadata["glove_lite"]`` records the edition and the chapter's exercises.
    """
    import nbformat

    state = _State(chapter, course=course, known=dict(exercises or {}), renderer=renderer,
                   exercise_count=first_exercise - 1)
    imports = chapter_imports(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        source = cell.source
        where = f"chapter {chapter}, cell {index}"
        note = _gives_away(cell, state, where)
        if note is not None:
            cells.append(note)
            continue
        if cell.cell_type == "markdown":
            for kind, value in _markdown(source, state):
                if kind == "markdown":
                    cells.append(nbformat.v4.new_markdown_cell(value, metadata=copy.deepcopy(cell.metadata)))
                else:
                    cells.append(_answer_cell(value, state))
            continue
        if cell.cell_type != "code":
            if state.in_solution is None:
                cells.append(copy.deepcopy(cell))
            continue
        marked = has_solution_markers(source)
        label = state.in_solution
        if label is not None and not marked:
            # Solution code without markers is removed entirely; one empty cell takes the
            # place of each run of removed cells, for the student's own code.
            state.model_answers.setdefault(label, []).extend(["", "```python", source.rstrip(), "```"])
            if not (cells and cells[-1].cell_type == "code" and cells[-1].source == PLACEHOLDER):
                cells.append(nbformat.v4.new_code_cell(PLACEHOLDER))
            continue
        metadata = copy.deepcopy(cell.metadata)
        for key in ("execution", "collapsed", "scrolled"):
            metadata.pop(key, None)
        owner = label or (state.current.label if state.current else None)
        checks = check_calls(source) if not marked and label is None else []
        if marked:
            message = f"exercise {owner}: write your solution here" if owner else "write your solution here"
            if course:
                stub_solutions(source, message, where)  # validates the markers
                metadata["nbgrader"] = _nbgrader(state.grade_id(owner or f"cell-{index}", "solution"), solution=True, grade=False)
            else:
                source = stub_solutions(source, message, where)
        elif answers:
            source = hide_answers(source, imports, answers)
        if checks and state.current is not None:
            state.current.checks.extend(checks)
        graded = course and checks and owner
        hidden = hidden_test_source(source, POINTS["hidden"]) if graded else None
        if graded:
            source = graded_check_source(source, POINTS["check"])
            metadata["nbgrader"] = _nbgrader(state.grade_id(owner, "check"), solution=False, grade=True, points=POINTS["check"])
        cells.append(nbformat.v4.new_code_cell(source, metadata=metadata))
        if hidden:
            meta = {"nbgrader": _nbgrader(state.grade_id(owner, "hidden"), solution=False, grade=True, points=POINTS["hidden"])}
            cells.append(nbformat.v4.new_code_cell(hidden, metadata=meta))
    if state.in_solution is not None:
        raise StudentEditionError(f"chapter {chapter}: {{solution-start}} {state.in_solution} is never closed by {{solution-end}}")
    for kind, value in _pending_answer(state):
        cells.append(_answer_cell(value, state))
    out = nbformat.v4.new_notebook(cells=cells)
    metadata = copy.deepcopy(dict(nb.metadata))
    metadata.pop("jupytext", None)  # the edition is a plain notebook, paired with nothing
    metadata["glove_lite"] = {
        "edition": "course" if course else "student",
        "exercises": state.exercise_count - (first_exercise - 1),
        "checks": [[e.label, e.checks] for e in state.exercises],  # each exercise's label and self-checks
    }
    out.metadata.update(metadata)
    if course:
        note = (
            "> **Assignment.** Replace each `raise NotImplementedError(...)` at the end of this notebook with "
            "your code and run the check cell below it; write your answers in the cells that say "
            "\"YOUR ANSWER HERE\". When the assignment is graded, each check counts "
            f"{POINTS['check']} points, shared among its parts (a check cell prints which parts pass and "
            f"its score), hidden tests run the same checks on other inputs ({POINTS['hidden']} point each), "
            f"and your written answers are graded by hand ({POINTS['answer']} points for an open question, "
            f"{POINTS['written']} for the question inside a coded exercise)."
        )
    else:
        note = (
            "> **Student edition.** The exercises at the end of this notebook have their solutions removed. "
            "Replace each `raise NotImplementedError(...)` with your code, run the cell, then run the check "
            "cell below it; write your answers to the questions in the cells that say \"Your answer\"."
        )
    position = 1 if cells and cells[0].cell_type == "markdown" else 0
    out.cells.insert(position, nbformat.v4.new_markdown_cell(note))
    if renderer is not None:
        for cell in out.cells:
            if cell.cell_type == "markdown":
                cell.source = renderer.to_markdown(cell.source)
    for k, cell in enumerate(out.cells):  # deterministic ids: the same chapter gives the same file
        cell.id = hashlib.sha1(f"{k}\0{cell.cell_type}\0{cell.source}".encode()).hexdigest()[:12]
    nbformat.validator.normalize(out)
    return out


# --------------------------------------------------------------------------- the book


def chapters(root: Path) -> list[str]:
    """The chapters (``book/NN_name``) listed in ``_toc.yml``, in order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries: Iterable[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(str(entry["file"]))
            walk(entry.get("sections", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [f for f in files if CHAPTER_RE.match(f)]


def read_chapter(root: Path, chapter: str) -> Any:
    """A chapter as a notebook: its MyST-markdown text if present, else its ``.ipynb``."""
    import jupytext
    import nbformat

    md = root / f"{chapter}.md"
    if md.exists():
        return jupytext.read(md, fmt="md:myst")
    return nbformat.read(root / f"{chapter}.ipynb", as_version=4)


@dataclass
class Chapter:
    """A chapter read from the book: its name, notebook, first exercise number and exercises."""

    name: str  # book/NN_name
    nb: Any
    first: int
    checks: list[list]  # [exercise label, [the self-checks after it]], in order

    @property
    def number(self) -> str:
        return CHAPTER_RE.match(self.name)[1]


def read_book(root: Path) -> list[Chapter]:
    """Every chapter of the book, its exercises numbered as the book numbers them."""
    names = chapters(root)
    if not names:
        raise StudentEditionError(f"{root / '_toc.yml'} lists no chapters (book/NN_name)")
    book, first = [], 1
    for name in names:
        nb = read_chapter(root, name)
        info = convert_notebook(nb, CHAPTER_RE.match(name)[1], first_exercise=first).metadata["glove_lite"]
        book.append(Chapter(name, nb, first, info["checks"]))
        first += info["exercises"]
    return book


def exercises_of(book: list[Chapter]) -> dict[str, Exercise]:
    """Every exercise of the book by label, with its number and the self-checks that follow it."""
    found: dict[str, Exercise] = {}
    for chapter in book:
        for k, (label, checks) in enumerate(chapter.checks):
            if label in found:
                raise StudentEditionError(f"exercise label {label!r} is used twice ({found[label].chapter}, {chapter.name})")
            found[label] = Exercise(label, chapter.first + k, chapter.name, list(checks))
    return found


def answers_to_hide(exercises: dict[str, Exercise]) -> dict[CodeType, int]:
    """Code object of each library function that is an exercise's answer -> that exercise's number."""
    from glove_lite.book.exercises import ANSWERS
    from glove_lite.book.exercises._base import forbidden_codes

    hide: dict[CodeType, int] = {}
    for exercise in exercises.values():
        for check in exercise.checks:
            for code in forbidden_codes(ANSWERS.get(check, ())):
                hide.setdefault(code, exercise.number)
    return hide




def renderer_for(root: Path, chapter: str, refs: dict[str, tuple[str, str]]) -> Any:
    """The MyST renderer of one chapter: the values its cells glued (from ``chapter.ipynb``) and the book's references."""
    from glove_lite.book.myst import Renderer, glue_values

    return Renderer(glue_values(root / f"{chapter}.ipynb"), refs, where=f"{chapter}.md",
                    fix=f"execute the chapter again (make execute NB={chapter}.md), so that book/{Path(chapter).name}.ipynb stores it")


@dataclass
class Book:
    """The book, read once for an edition: its chapters, their exercises, the answers to hide, the references."""

    root: Path
    chapters: list[Chapter]
    exercises: dict[str, Exercise]
    hide: dict[CodeType, int]
    refs: dict[str, tuple[str, str]]

    @classmethod
    def read(cls, root: Path) -> "Book":
        from glove_lite.book.myst import bibliography, load_config

        root = Path(root)
        book = read_book(root)
        exercises = exercises_of(book)
        bibfiles = load_config(root).get("bibtex_bibfiles", [])
        return cls(root, book, exercises, answers_to_hide(exercises), bibliography([root / f for f in bibfiles]))

    def convert(self, chapter: Chapter, course: bool = False) -> Any:
        """The chapter as the student edition's notebook, or (``course``) as an assignment's source notebook."""
        return convert_notebook(chapter.nb, chapter.number, course=course, first_exercise=chapter.first,
                                exercises=self.exercises, answers=self.hide,
                                renderer=renderer_for(self.root, chapter.name, self.refs))


def notebook_text(nb: Any) -> str:
    """A notebook as the text written to disk (validated)."""
    import nbformat

    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"
