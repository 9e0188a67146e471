"""Local Sphinx extension: the ``glove-lite`` command's options, read from its parser at build time.

In the library guide, the directive

    ```{glove-help} train
    ```

renders the usage line of ``glove-lite train`` as a literal block and each of its arguments
as a definition list entry (the option as argparse writes it, then its help text), all from
:func:`glove_lite.cli.build_parser`. The page therefore cannot drift from the code: a new
option appears on the next build, and an unknown sub-command is a build error.
"""

from __future__ import annotations

import argparse
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

USAGE_WIDTH = 80  # characters of a usage line; the book's code blocks show 88 without scrolling


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-parsers of ``parser`` by name (``count``, ``train``, ...), in the order they were added."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def subcommand_summaries(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each sub-command's one-line help, as ``glove-lite --help`` lists it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help or "" for a in action._choices_actions}
    return {}


def help_items(name: str) -> tuple[str, str, list[tuple[str, list[tuple[str, str]]]]]:
    """What ``glove-lite NAME --help`` says: (one-line summary, usage, [(group title, [(option, help)])]).

    The usage is wrapped at :data:`USAGE_WIDTH` characters; help texts have their ``%(default)s``
    expanded as argparse does. Raises KeyError naming the known sub-commands for an unknown ``name``.
    """
    from glove_lite.cli import build_parser

    parser = build_parser()
    subs = subcommands(parser)
    if name not in subs:
        raise KeyError(f"glove-lite has no sub-command {name!r}; expected one of {', '.join(subs)}")
    sub = subs[name]
    formatter = argparse.HelpFormatter(sub.prog, width=USAGE_WIDTH)
    formatter.add_usage(sub.usage, sub._actions, sub._mutually_exclusive_groups)
    usage = formatter.format_help().strip()
    groups = []
    for group in sub._action_groups:
        entries = []
        for action in group._group_actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue  # -h/--help: the page says once that every sub-command has it
            invocation = formatter._format_action_invocation(action)
            entries.append((invocation, formatter._expand_help(action) if action.help else ""))
        if entries:
            groups.append((group.title or "", entries))
    return subcommand_summaries(parser).get(name, ""), usage, groups


class GloveHelp(SphinxDirective):
    """``{glove-help} NAME``: the usage and the arguments of ``glove-lite NAME``."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        import glove_lite.cli

        self.env.note_dependency(glove_lite.cli.__file__)  # re-read this page when the command changes
        try:
            _, usage, groups = help_items(name)
        except KeyError as exc:
            raise self.error(exc.args[0]) from None
        out: list[nodes.Node] = [nodes.literal_block(usage, usage, language="text")]
        for title, entries in groups:
            rubric = nodes.rubric(text=title[:1].upper() + title[1:])
            items = nodes.definition_list(classes=["glove-help"])
            for invocation, text in entries:
                term = nodes.term("", "", nodes.literal(invocation, invocation))
                body = nodes.definition("", *([nodes.paragraph(text, text)] if text else []))
                items += nodes.definition_list_item("", term, body)
            out += [rubric, items]
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("glove-help", GloveHelp)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
