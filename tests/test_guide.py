"""The library guide (book/guide/) says what the code does: its recipes work and its lists are complete.

* the command's reference is rendered from the parser (book/_ext/glove_cli.py): every option of
  every sub-command, and each sub-command has its section;
* the "Extending" page's recipes work: the toy strategy it shows (tests/toy_strategy.py) trains
  through ``train_glove`` as plain optax steps and passes the contract suite of
  tests/test_training.py, and an optimizer added in one line passes it too;
* the overview, API and training pages name every public name, module, strategy and optimizer,
  with the defaults and cost constants the code has.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import jax
import numpy as np
import optax
import pytest
import yaml

import glove_lite
from glove_lite.cli import build_parser
from glove_lite.training import OPTIMIZERS, STRATEGIES, GloveParams, TrainConfig, train_glove
from glove_lite.training import plan as plan_module
from glove_lite.training.optim import OptimizerSpec
from training_reference import random_params, random_symmetric, reference_epoch

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "book" / "guide"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import glove_cli  # noqa: E402  (the book's local Sphinx extension)


def page(name: str) -> str:
    return (GUIDE / f"{name}.md").read_text(encoding="utf-8")


def flat(text: str) -> str:
    """``text`` with every run of white space made one space (prose wraps anywhere)."""
    return " ".join(text.split())


def number(value: float) -> str:
    """A constant as the pages write it: 3.5e-9, 0.29, 16."""
    return f"{value:g}".replace("e-0", "e-")


# --- the command's reference -------------------------------------------------------------------


def test_the_help_directive_renders_every_argument_of_every_subcommand():
    subs = glove_cli.subcommands(build_parser())
    assert list(subs) == ["count", "train", "neighbors", "evaluate"]
    for name, sub in subs.items():
        summary, usage, groups = glove_cli.help_items(name)
        assert summary and usage.startswith(f"usage: glove-lite {name}")
        assert max(len(line) for line in usage.splitlines()) <= glove_cli.USAGE_WIDTH
        shown = " ".join(invocation for _, entries in groups for invocation, _ in entries)
        for action in sub._actions:
            if action.dest != "help":
                for flag in action.option_strings or [action.metavar or action.dest]:
                    assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", shown), (name, flag)
    _, _, groups = glove_cli.help_items("train")
    helps = dict(entry for _, entries in groups for entry in entries)
    assert helps["--epochs EPOCHS"] == "passes over X (default 25)"
    assert all(name in helps["--method {auto," + ",".join(STRATEGIES) + "}"] for name in STRATEGIES)


def test_the_help_directive_names_the_known_subcommands_for_an_unknown_one():
    with pytest.raises(KeyError, match="no sub-command 'fit'; expected one of count, train, neighbors, evaluate"):
        glove_cli.help_items("fit")


def test_the_command_page_has_a_reference_section_for_every_subcommand():
    text = page("command")
    for name in glove_cli.subcommands(build_parser()):
        assert f"## `glove-lite {name}`" in text
        assert f"```{{glove-help}} {name}\n```" in text


# --- the toc ------------------------------------------------------------------------------------


def test_every_guide_page_is_in_the_library_guide_part_of_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = {part["caption"]: [c["file"] for c in part["chapters"]] for part in toc["parts"]}
    on_disk = {f"book/guide/{p.stem}" for p in GUIDE.glob("*.md")}
    assert parts["Library guide"][0] == "book/guide/index"
    assert set(parts["Library guide"]) == on_disk
    assert not any(f.startswith("book/guide/") for f in parts["Chapters"])
    assert not list(GUIDE.glob("*.ipynb")), "guide pages are plain MyST markdown, without notebooks"


# --- what the pages list --------------------------------------------------------------------------


def test_the_overview_names_every_name_of_the_public_api():
    text = page("index")
    missing = [name for name in glove_lite.__all__ if name != "__version__" and f"`{name}`" not in text]
    assert not missing, f"book/guide/index.md does not name {missing}"


def library_modules() -> set[str]:
    """Every module of the library proper: not the book's tools, the studies, private modules or packages."""
    found = set()
    for path in (ROOT / "glove_lite").rglob("*.py"):
        parts = path.relative_to(ROOT / "glove_lite").with_suffix("").parts
        if parts[0] in ("book", "studies", "bookdata") or parts[-1].startswith("_"):
            continue
        found.add(".".join(("glove_lite",) + parts))
    return found - {"glove_lite.cli"}  # the command has a page of its own


def test_the_api_page_documents_every_library_module_once():
    # autodoc inside eval-rst: docstrings are reStructuredText, which MyST would read as Markdown
    directive = r"^```\{eval-rst\}\n\.\. automodule:: (\S+)\n   :members:\n```$"
    documented = re.findall(directive, page("api"), flags=re.M)
    assert len(documented) == len(set(documented))
    assert set(documented) == library_modules()


def test_the_training_page_describes_every_strategy_and_optimizer_with_its_defaults():
    text = page("training")
    prose = flat(text)
    headings = re.findall(r"^### .*\(`([a-z-]+)`\)$", text, flags=re.M)
    assert sorted(headings) == sorted(STRATEGIES), "one section per registered strategy"
    for name, spec in OPTIMIZERS.items():
        assert re.search(rf"^\| `{re.escape(name)}` \| {spec.learning_rate:g} \|", text, flags=re.M), name
    for name, cls in STRATEGIES.items():
        for optimizer, lr in getattr(cls, "learning_rate_defaults", {}).items():
            assert f"use {lr:g} for `{optimizer}`" in prose, name
    for constant in (plan_module.DENSE_SECONDS_PER_V2D, plan_module.SPARSE_SECONDS_PER_NNZ_D,
                     plan_module.CORNER_SECONDS_PER_CELL_D, plan_module.TILED_SECONDS_PER_NNZ_D):
        assert f"{number(constant)} s x" in text
    rows = {"dense": "dense blocks", "sparse": "sparse chunks", "tiled": "tiles, one device", "hybrid": "hybrid corner"}
    assert set(rows) == set(plan_module.EPOCHS_TO_QUALITY)
    for method, epochs in plan_module.EPOCHS_TO_QUALITY.items():
        assert re.search(rf"^\| {rows[method]}[^|]* \| [^|]+ \| {number(epochs)} \|", text, flags=re.M), method
    assert f"(V / {plan_module.DENSE_V_REF:,})^{number(plan_module.DENSE_V_POWER)}" in text
    assert f"G = {plan_module.DEFAULT_GROUPS} by default" in prose


def test_the_contributing_page_says_what_every_test_file_checks():
    listed = re.findall(r"`(test_[a-z_]+\*?)`", page("contributing"))
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        assert any(path.stem == name or name.endswith("*") and path.stem.startswith(name[:-1]) for name in listed), (
            f"book/guide/contributing.md does not list {path.name} in its table of the test suite")


# --- "Extending": a new strategy ------------------------------------------------------------------


@pytest.fixture
def full_batch():
    """The toy strategy of the "Extending" page, registered while a test runs."""
    assert "full-batch" not in STRATEGIES
    sys.modules.pop("toy_strategy", None)
    module = importlib.import_module("toy_strategy")  # its @register adds it to STRATEGIES
    try:
        yield module.FullBatch
    finally:
        STRATEGIES.pop("full-batch", None)
        sys.modules.pop("toy_strategy", None)


def test_the_toy_strategy_is_registered_and_offered_by_the_command(full_batch):
    assert STRATEGIES["full-batch"] is full_batch
    args = build_parser().parse_args(["train", "--method", "full-batch", "--output", "v.txt"])
    assert args.method == "full-batch"


def test_the_toy_strategy_trains_through_train_glove_as_plain_optax_steps(full_batch):
    X = random_symmetric()
    params = random_params(X.shape[0], 5)
    config = TrainConfig(dim=5, epochs=3, method="full-batch", grad_clip=0.5)
    result = train_glove(X, config, params=params)
    assert result.method == "full-batch" and len(result.losses) == 3
    assert result.losses[-1] < result.losses[0]
    strategy = full_batch(X, config, result.plan)
    tx = strategy.optimizers[0]
    want = (params, tx.init(params))
    for _ in range(3):
        want = reference_epoch(strategy, *want, jax.random.PRNGKey(0))
    for name, got, expected in zip(GloveParams._fields, result.params, want[0]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=2e-5, atol=2e-6, err_msg=name)


def test_the_contract_suite_passes_on_the_toy_strategy_once_it_is_in_the_cases(full_batch, small_corpus,
                                                                                 tmp_path, monkeypatch):
    import test_training as suite

    with pytest.raises(AssertionError):
        suite.test_every_strategy_is_in_the_cases()  # what a new strategy meets first
    monkeypatch.setitem(suite.CASES, "full batch", ("full-batch", {}, {}))
    suite.test_every_strategy_is_in_the_cases()
    for optimizer in OPTIMIZERS:
        suite.test_an_epoch_equals_plain_optax_steps_over_the_same_visiting_order("full batch", optimizer)
    suite.test_state_converts_to_params_and_optax_state_and_back("full batch")
    suite.test_training_lowers_the_loss_and_the_same_seed_repeats_bit_for_bit(small_corpus, "full-batch")
    suite.test_interrupted_and_resumed_run_is_bit_identical(small_corpus, tmp_path, "full-batch", "adam")
    suite.test_divergence_names_the_learning_rate_in_use(small_corpus, "full-batch")


# --- "Extending": a new optimizer -----------------------------------------------------------------


def test_an_optimizer_added_in_one_line_passes_the_contract_on_every_strategy(monkeypatch):
    import test_training as suite

    line = '"rmsprop": OptimizerSpec(optax.rmsprop, 0.01),'
    assert line in page("extending")
    monkeypatch.setitem(OPTIMIZERS, "rmsprop", OptimizerSpec(optax.rmsprop, 0.01))  # the page's line
    args = build_parser().parse_args(["train", "--optimizer", "rmsprop", "--output", "v.txt"])
    assert args.optimizer == "rmsprop"
    for case in sorted(suite.CASES):
        suite.test_an_epoch_equals_plain_optax_steps_over_the_same_visiting_order(case, "rmsprop")
