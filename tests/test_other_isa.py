"""tests/other_isa.py builds the environment of the other-ISA replay; its switch checks run in `make test`."""

import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("other_isa", Path(__file__).with_name("other_isa.py"))
other_isa = importlib.util.module_from_spec(spec)
spec.loader.exec_module(other_isa)


@pytest.mark.parametrize("isa", sorted(other_isa.ISAS))
def test_environment_sets_every_switch_and_keeps_other_xla_flags(isa):
    base = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4 --xla_cpu_max_isa=AVX512", "PATH": "/bin"}
    env = other_isa.isa_environment(isa, base)
    spec = other_isa.ISAS[isa]
    assert env["XLA_FLAGS"].split() == ["--xla_force_host_platform_device_count=4", f"--xla_cpu_max_isa={spec['xla']}"]
    assert env["OPENBLAS_CORETYPE"] == spec["openblas"]
    assert env["NUMBA_CPU_NAME"] == spec["numba"] and env["NUMBA_CPU_FEATURES"] == ""
    assert set(env["NPY_DISABLE_CPU_FEATURES"].split()) <= set(spec["numpy_above"])
    assert env["PATH"] == "/bin" and base["XLA_FLAGS"].endswith("AVX512"), "the base environment must not change"


def test_default_isa_is_below_the_machine():
    assert other_isa.default_isa() == ("avx2" if other_isa.has_avx512() else "sse4.2")
