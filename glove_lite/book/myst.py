"""MyST markup as plain Markdown, for the chapters' notebooks outside the book.

The book's build (Sphinx, myst-nb) understands roles such as ``{glue:text}`key``` and
``{cite}`key``` and directives such as ````{note}``; Jupyter shows them as raw text. The
student edition and the course pass every markdown cell through :func:`to_markdown`:

* ``{glue:text}`key``` (and ``{glue}``, ``{glue:md}``) becomes the text the chapter's cell
  recorded, read from the stored outputs of the paired ``.ipynb`` (:func:`glue_values`);
* ``{cite}`a,b``` becomes "(Author et al., 2014; Other, 2015)", ``{cite:t}`` "Author et al.
  (2014)", from the book's BibTeX files (:func:`bibliography`);
* admonitions (``note``, ``tip``, ``admonition`` with a title, ...) become a quoted block
  with a bold title; ``math`` becomes ``$$ ... $$``; ``code-block`` a fenced code block;
  ``figure`` its caption; any other directive its text;
* other roles (``{math}``, ``{ref}``, ``{doc}``, ``{term}``, ...) become their text, and
  MyST targets (``(label)=``) and comments (``% ...``) are dropped.

Fenced code (```` ```python ````) and inline code are left exactly as they are.
"""

from __future__ import annotations

import ast
import codecs
import json
import re
from pathlib import Path
from typing import Any, Mapping

from glove_lite.errors import GloveLiteError

__all__ = ["MystError", "Renderer", "glue_values", "bibliography", "leftover_markup", "load_config"]

FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_RE = re.compile(r"^\s*\{(?P<name>[a-zA-Z0-9_:.-]+)\}\s*(?P<args>.*)$")
ROLE_RE = re.compile(r"\{(?P<name>[a-zA-Z][\w:.-]*)\}(?P<ticks>`+)(?P<body>.+?)(?P=ticks)")
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
TARGET_RE = re.compile(r"^\s*\([\w:.-]+\)=\s*$")
COMMENT_RE = re.compile(r"^\s*%")
OPTION_RE = re.compile(r"^:([\w-]+):\s*(.*)$")

ADMONITIONS = {
    "note": "Note", "tip": "Tip", "hint": "Hint", "important": "Important", "warning": "Warning",
    "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error", "seealso": "See also",
    "admonition": "", "margin": "", "sidebar": "", "dropdown": "", "topic": "", "epigraph": "", "card": "",
}
GLUE_ROLES = {"glue", "glue:", "glue:text", "glue:md"}
CITE_ROLES = {"cite", "cite:p", "cite:ps", "cite:t", "cite:ts", "cite:alp", "cite:author", "cite:year"}


class MystError(GloveLiteError):
    """A role or directive the editions cannot render (a glued value or reference that is missing)."""


# --------------------------------------------------------------------------- data the roles refer to


def glue_values(notebook: Path) -> dict[str, str]:
    """Key -> text of every value a chapter's cells glued, from the stored outputs of ``notebook`` (.ipynb)."""
    if not notebook.is_file():
        return {}
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    values: dict[str, str] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            text = data.get("application/papermill.record/text/plain")
            if name is None or text is None:
                continue
            text = "".join(text) if isinstance(text, list) else text
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
            values[name] = value if isinstance(value, str) else str(value)
    return values


def _latex_to_text(text: str) -> str:
    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


def bibliography(paths: list[Path]) -> dict[str, tuple[str, str]]:
    """BibTeX key -> (authors as cited, year): "Pennington et al.", "Levy and Goldberg", "Dekermanjian"."""
    from pybtex.database import parse_file

    refs: dict[str, tuple[str, str]] = {}
    for path in paths:
        if not path.is_file():
            raise MystError(f"the bibliography {path} does not exist (listed in _config.yml bibtex_bibfiles)")
        data = parse_file(str(path), bib_format="bibtex")
        for key, entry in data.entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_latex_to_text(" ".join(p.prelast_names + p.last_names)) for p in people]
            if not names:
                authors = _latex_to_text(entry.fields.get("organization", key))
            elif len(names) == 1:
                authors = names[0]
            elif len(names) == 2:
                authors = f"{names[0]} and {names[1]}"
            else:
                authors = f"{names[0]} et al."
            refs[key] = (authors, _latex_to_text(entry.fields.get("year", "n.d.")))
    return refs


# --------------------------------------------------------------------------- rendering


class Renderer:
    """Renders the markdown of one chapter: its glued values and the book's bibliography."""

    def __init__(self, glue: Mapping[str, str], refs: Mapping[str, tuple[str, str]], where: str = "",
                 fix: str = "re-execute the chapter"):
        self.glue, self.refs, self.where, self.fix = glue, refs, where, fix

    # roles ------------------------------------------------------------------------------

    def _cite(self, name: str, body: str) -> str:
        keys = [k.strip() for k in body.split(",") if k.strip()]
        missing = [k for k in keys if k not in self.refs]
        if missing:
            raise MystError(f"{self.where}: {{{name}}}`{body}` cites {missing[0]!r}, which no bibliography file defines")
        found = [self.refs[k] for k in keys]
        if name in ("cite:t", "cite:ts"):
            return "; ".join(f"{a} ({y})" for a, y in found)
        if name == "cite:author":
            return "; ".join(a for a, _ in found)
        if name == "cite:year":
            return "; ".join(y for _, y in found)
        if name == "cite:alp":
            return "; ".join(f"{a}, {y}" for a, y in found)
        return "(" + "; ".join(f"{a}, {y}" for a, y in found) + ")"

    def _glue(self, name: str, body: str) -> str:
        key, _, spec = body.strip().partition(":")
        key = key.split("::")[-1]  # "doc::key" names another document's value
        if key not in self.glue:
            raise MystError(
                f"{self.where}: {{{name}}}`{body}` quotes a value that the stored outputs do not hold; {self.fix}"
            )
        value = self.glue[key]
        if spec:
            try:
                return format(float(value.replace(",", "")), spec)
            except ValueError:
                return value
        return value

    def role(self, match: re.Match) -> str:
        name, body = match["name"], match["body"]
        if name in GLUE_ROLES:
            return self._glue(name, body)
        if name in CITE_ROLES:
            return self._cite(name, body)
        if name in ("math", "eq"):
            return f"${body}$"
        if name in ("sub", "sup", "kbd"):
            return f"<{name}>{body}</{name}>"
        if name in ("code", "literal"):
            return f"`{body}`"
        # {ref}`text <label>`, {doc}, {numref}, {term}, {abbr}`MD (meaning)` ...: the text
        shown = re.sub(r"\s*<[^<>]*>\s*$", "", body).strip()
        return shown or body

    def _inline(self, line: str) -> str:
        """Roles replaced in one line; code spans left alone."""
        out, last = [], 0
        for span in CODE_SPAN_RE.finditer(line):
            before = line[last : span.start()]
            # a role's own backticks look like a code span: render the role instead
            role = re.search(r"\{[a-zA-Z][\w:.-]*\}$", before)
            if role:
                out.append(ROLE_RE.sub(self.role, before[: role.start()]))
                out.append(ROLE_RE.sub(self.role, role.group(0) + span.group(0)))
            else:
                out.append(ROLE_RE.sub(self.role, before))
                out.append(span.group(0))
            last = span.end()
        out.append(ROLE_RE.sub(self.role, line[last:]))
        return "".join(out)

    # directives ---------------------------------------------------------------------------

    def _directive(self, name: str, args: str, body: list[str]) -> list[str]:
        options: dict[str, str] = {}
        while body and OPTION_RE.match(body[0].strip()):
            m = OPTION_RE.match(body[0].strip())
            options[m[1]] = m[2]
            body = body[1:]
        if body and body[0].strip() == "---":  # a YAML option block
            end = next((k for k in range(1, len(body)) if body[k].strip() == "---"), 0)
            body = body[end + 1 :]
        text = self.render_lines(body)
        while text and not text[0].strip():
            text.pop(0)
        while text and not text[-1].strip():
            text.pop()
        if name in ADMONITIONS:
            title = self._inline(args.strip()) or ADMONITIONS[name]
            quoted = [f"> {line}" if line.strip() else ">" for line in text]
            return ([f"> **{title}**", ">"] if title else []) + quoted
        if name == "math":
            return ["$$", *text, "$$"]
        if name in ("code-block", "code", "sourcecode"):
            return [f"```{args.strip()}", *body, "```"]
        if name in ("figure", "image", "glue:figure"):
            caption = [line for line in text if line.strip()]
            return [f"*{' '.join(caption)}*"] if caption else []
        return text

    def render_lines(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        k = 0
        while k < len(lines):
            line = lines[k]
            m = FENCE_RE.match(line)
            if m is None:
                if not (TARGET_RE.match(line) or COMMENT_RE.match(line)):
                    out.append(self._inline(line))
                k += 1
                continue
            end = _fence_end(lines, k, m["fence"])
            directive = DIRECTIVE_RE.match(m["info"])
            if directive is None:
                out.extend(lines[k : end + 1])  # plain fenced code: as it is
            else:
                body = lines[k + 1 : end] if end > k and FENCE_RE.match(lines[end]) else lines[k + 1 : end + 1]
                out.extend(self._directive(directive["name"], directive["args"], body))
            k = end + 1
        return out

    def to_markdown(self, text: str) -> str:
        """``text`` (one markdown cell) with its MyST roles and directives rendered as plain Markdown."""
        return "\n".join(self.render_lines(text.splitlines()))


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (the last line if unclosed)."""
    char, length = fence[0], len(fence)
    for k in range(start + 1, len(lines)):
        m = FENCE_RE.match(lines[k])
        if m and m["fence"][0] == char and len(m["fence"]) >= length and not m["info"].strip():
            return k
    return len(lines) - 1


def leftover_markup(text: str) -> list[str]:
    """MyST roles and directives still in ``text`` outside fenced code: what Jupyter would show raw."""
    found: list[str] = []
    code_fence: str | None = None
    for line in text.splitlines():
        m = FENCE_RE.match(line)
        if code_fence is not None:
            if m and m["fence"][0] == code_fence[0] and len(m["fence"]) >= len(code_fence) and not m["info"].strip():
                code_fence = None
            continue
        if m and DIRECTIVE_RE.match(m["info"]):
            found.append(line.strip())
        elif m:
            code_fence = m["fence"]
        else:
            found.extend(r.group(0) for r in re.finditer(r"\{[a-zA-Z][\w:.-]*\}`[^`]*`", line))
    return found


def load_config(root: Path) -> dict[str, Any]:
    """The book's ``_config.yml`` (empty if there is none)."""
    import yaml

    path = root / "_config.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
