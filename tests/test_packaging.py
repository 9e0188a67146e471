"""The package as pip installs it: every subpackage is listed in pyproject.toml, and the root offers its public API."""

import importlib
import tomllib
from pathlib import Path

import glove_lite

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_installed():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "glove_lite").rglob("__init__.py")}
    assert found <= listed, f"not in pyproject.toml's packages: {sorted(found - listed)}"


def test_the_root_offers_every_name_of_its_api_from_the_module_that_defines_it():
    for name in glove_lite.__all__:
        value = getattr(glove_lite, name)
        if name in glove_lite._EXPORTS:
            module = importlib.import_module(f"glove_lite.{glove_lite._EXPORTS[name]}")
            assert getattr(module, name) is value and name in module.__all__, name


def test_every_module_declares_its_public_names():
    for path in sorted((ROOT / "glove_lite").rglob("*.py")):
        if path.name.startswith("_") and path.name != "__init__.py" or "studies" in path.parts:
            continue  # private modules; studies are scripts
        if "exercises" in path.parts and path.name != "__init__.py":
            continue  # the checks' modules: glove_lite.book.exercises lists them (CHECKS)
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        mod = importlib.import_module(module)
        assert isinstance(getattr(mod, "__all__", None), list), f"{module} has no __all__"
        for name in mod.__all__:
            assert hasattr(mod, name), f"{module}.__all__ names {name!r}, which it lacks"
