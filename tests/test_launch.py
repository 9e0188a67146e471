"""Chapters run outside a clone: the setup cell's decisions, the book's data files, Binder's environment.

Nothing here touches the network: the setup cell runs with `pip` replaced by a recorder.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from glove_lite.book.chapter import BRANCH, REPOSITORY, SETUP_CELL, data_path, read_json
from glove_lite.errors import GloveLiteError


def first_code_cell(chapter_ipynb: Path):
    nb = nbformat.read(chapter_ipynb, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


def test_every_chapter_starts_with_the_setup_cell(repo_root, chapter):
    cell = first_code_cell(repo_root / f"{chapter}.ipynb")
    assert cell.source == SETUP_CELL, f"{chapter}: the first code cell is not glove_lite.book.SETUP_CELL"
    assert "remove-cell" in cell.metadata.get("tags", []), f"{chapter}: the setup cell should be hidden in the book"
    assert cell.outputs == [], f"{chapter}: in a clone the setup cell must print nothing"


def test_setup_cell_installs_from_the_repository_the_book_names(repo_root):
    config = yaml.safe_load((repo_root / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["url"] == REPOSITORY
    assert config["repository"]["branch"] == BRANCH
    assert f"git+{REPOSITORY}@{BRANCH}" in SETUP_CELL


def run_setup_cell(monkeypatch, cwd: Path, installed: bool) -> list[list[str]]:
    """Execute the setup cell in ``cwd`` with glove_lite (not) importable; return the commands it ran."""
    calls: list[list[str]] = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "glove_lite" and not installed:
            return None
        return real_find_spec(name, *args, **kwargs)

    def run(cmd, **kwargs):
        calls.append(list(cmd))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.chdir(cwd)
    exec(compile(SETUP_CELL, "<setup cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_setup_cell_does_nothing_where_glove_lite_imports(monkeypatch, tmp_path, capsys):
    assert run_setup_cell(monkeypatch, tmp_path, installed=True) == []
    assert capsys.readouterr().out == ""


def test_setup_cell_installs_the_book_version_outside_a_clone(monkeypatch, tmp_path):
    calls = run_setup_cell(monkeypatch, tmp_path, installed=False)
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", f"glove-lite @ git+{REPOSITORY}@{BRANCH}"]]


def test_setup_cell_installs_the_surrounding_clone_without_download(monkeypatch, tmp_path):
    clone = tmp_path / "my-clone"
    (clone / "glove_lite").mkdir(parents=True)
    (clone / "glove_lite" / "__init__.py").write_text("")
    (clone / "pyproject.toml").write_text("")
    (clone / "book").mkdir()
    calls = run_setup_cell(monkeypatch, clone / "book", installed=False)
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", str(clone.resolve())]]


def test_book_data_is_found_through_the_package(repo_root):
    path = data_path("evaluation.json")
    assert path.samefile(repo_root / "book" / "data" / "evaluation.json")
    assert "corpus" in read_json("evaluation.json")


def test_unknown_book_data_file_names_the_known_ones():
    with pytest.raises(GloveLiteError, match=r"no book data file 'nope.json'; expected one of \[.*'evaluation.json'"):
        data_path("nope.json")


def test_chapters_read_data_only_through_glove_lite_book(repo_root, chapter):
    text = (repo_root / f"{chapter}.md").read_text(encoding="utf-8")
    assert '"data/' not in text and "'data/" not in text, f"{chapter} opens a data file by a path relative to the clone"


def test_every_subpackage_is_installed(repo_root):
    """pyproject lists its packages (book/data installs as glove_lite.bookdata): none may be left out."""
    import warnings

    from setuptools.config.pyprojecttoml import read_configuration

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = read_configuration(repo_root / "pyproject.toml")["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(repo_root).parts) for p in (repo_root / "glove_lite").rglob("__init__.py")}
    assert on_disk <= set(config["packages"]), f"packages missing from pyproject.toml: {sorted(on_disk - set(config['packages']))}"
    assert config["package-dir"]["glove_lite.bookdata"] == "book/data"
    assert (repo_root / "book" / "data" / "__init__.py").is_file()


def test_binder_installs_the_book(repo_root):
    binder = repo_root / ".binder"
    assert (binder / "runtime.txt").read_text().strip().startswith("python-3.")
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert 'pip install --no-cache-dir -e ".[book]"' in post_build.read_text()
