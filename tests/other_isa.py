"""Run a command with numpy, OpenBLAS, numba and XLA held to another instruction set than the CPU's own.

Stored notebook outputs must replay on any x86-64 machine, with or without AVX-512. A CPU
that has AVX-512 replays them here as one without it would (AVX2, like most laptops); a CPU
without AVX-512 replays them with SSE4.2 only. Each library has its own switch:

* numpy: ``NPY_DISABLE_CPU_FEATURES`` (its dispatch targets above the chosen level);
* OpenBLAS (numpy's and scipy's BLAS): ``OPENBLAS_CORETYPE``;
* numba (UMAP): ``NUMBA_CPU_NAME`` with ``NUMBA_CPU_FEATURES=""`` (the name alone keeps the
  host's features);
* XLA (JAX): ``XLA_FLAGS=--xla_cpu_max_isa=...``.

Before running the command, the switches are checked in a child process: numpy's and
OpenBLAS's own reports, numba's generated assembly, and XLA's object code compared with the
unrestricted build. A switch that does not take effect stops the run.

Usage: ``python tests/other_isa.py [--isa avx2|sse4.2] [--check-only] -- COMMAND ...``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

# Per target ISA: the switches, and the numpy dispatch targets above it.
ISAS = {
    "avx2": {
        "xla": "AVX2",
        "openblas": "Haswell",
        "numba": "haswell",
        "numpy_above": ["X86_V4", "AVX512_ICL", "AVX512_SPR"],
        "wide_registers": "zmm",  # must not appear in numba's code
    },
    "sse4.2": {
        "xla": "SSE4_2",
        "openblas": "Nehalem",
        "numba": "nehalem",
        "numpy_above": ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"],
        "wide_registers": "ymm",
    },
}

PROBE = r"""
import json, os, sys, glob
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as features, __cpu_dispatch__ as dispatch
import threadpoolctl
import numba

@numba.njit(fastmath=True)
def total(x):
    t = 0.0
    for v in x:
        t += v
    return t

x = np.arange(1000, dtype=np.float32)
total(x)
asm = "".join(total.inspect_asm().values())
import jax, jax.numpy as jnp
jax.jit(lambda v: jnp.tanh(v) * 2 + jnp.exp(v))(jnp.asarray(x)).block_until_ready()
objects = sorted(glob.glob(os.path.join(sys.argv[1], "*fusion*.o")))
print(json.dumps({
    "cpu_has": sorted(k for k, v in features.items() if v and k.startswith("AVX512")),
    "numpy_dispatch": [t for t in dispatch if features.get(t)],
    "openblas": sorted({i.get("architecture") for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"}),
    "numba_cpu": numba.config.CPU_NAME,
    "numba_registers": sorted(r for r in ("xmm", "ymm", "zmm") if r in asm),
    "xla_object": open(objects[0], "rb").read().hex() if objects else "",
}))
"""


def has_avx512() -> bool:
    """Whether this CPU has AVX-512 (numpy's own detection)."""
    from numpy._core._multiarray_umath import __cpu_features__

    return bool(__cpu_features__.get("AVX512F"))


def default_isa() -> str:
    """AVX2 on a CPU with AVX-512, else SSE4.2: always an instruction set below the machine's."""
    return "avx2" if has_avx512() else "sse4.2"


def isa_environment(isa: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment that holds every library to ``isa`` (numpy targets this CPU lacks are left out)."""
    from numpy._core._multiarray_umath import __cpu_features__

    spec = ISAS[isa]
    env = dict(os.environ if base is None else base)
    xla_flags = [f for f in env.get("XLA_FLAGS", "").split() if not f.startswith("--xla_cpu_max_isa")]
    env["XLA_FLAGS"] = " ".join([*xla_flags, f"--xla_cpu_max_isa={spec['xla']}"])
    # numpy refuses to disable a target the CPU does not have.
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(t for t in spec["numpy_above"] if __cpu_features__.get(t))
    env["OPENBLAS_CORETYPE"] = spec["openblas"]
    env["NUMBA_CPU_NAME"] = spec["numba"]
    env["NUMBA_CPU_FEATURES"] = ""
    env.setdefault("JAX_PLATFORMS", "cpu")
    return env


def probe(env: dict[str, str]) -> dict:
    """What numpy, OpenBLAS, numba and XLA report (and generate) under ``env``."""
    with tempfile.TemporaryDirectory() as dump:
        env = dict(env)
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_dump_to={dump}".strip()
        out = subprocess.run([sys.executable, "-c", PROBE, dump], env=env, check=True,
                             capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def check_switches(isa: str) -> list[str]:
    """Probe the unrestricted and the restricted environment; return what did not take effect."""
    native_env = {k: v for k, v in os.environ.items()
                  if k not in ("NPY_DISABLE_CPU_FEATURES", "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")}
    native, held = probe(native_env), probe(isa_environment(isa, native_env))
    spec = ISAS[isa]
    problems = []
    above = [t for t in held["numpy_dispatch"] if t in spec["numpy_above"]]
    if above:
        problems.append(f"numpy still dispatches to {above}")
    if held["openblas"] != [spec["openblas"]]:
        problems.append(f"OpenBLAS runs {held['openblas']} kernels, expected {spec['openblas']}")
    if held["numba_cpu"] != spec["numba"] or spec["wide_registers"] in held["numba_registers"]:
        problems.append(f"numba compiles for {held['numba_cpu']} using {held['numba_registers']}")
    if not held["xla_object"] or held["xla_object"] == native["xla_object"]:
        problems.append("XLA's object code is the same as without --xla_cpu_max_isa")
    print(f"native: numpy targets {native['numpy_dispatch']}, OpenBLAS {native['openblas']}, "
          f"numba {native['numba_cpu'] or 'host'} {native['numba_registers']}, CPU has AVX-512: {bool(native['cpu_has'])}")
    print(f"{isa}: numpy targets {held['numpy_dispatch']}, OpenBLAS {held['openblas']}, "
          f"numba {held['numba_cpu']} {held['numba_registers']}, XLA max ISA {spec['xla']} "
          f"({'object code differs from native' if held['xla_object'] != native['xla_object'] else 'SAME object code'})")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isa", choices=sorted(ISAS), default=None, help="default: one below this CPU's")
    parser.add_argument("--check-only", action="store_true", help="check the switches, run nothing")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    if platform.machine().lower() not in ("x86_64", "amd64"):
        print(f"other_isa: {platform.machine()} is not x86-64; the other-ISA replay applies to x86-64 only")
        return 0
    isa = args.isa or default_isa()
    problems = check_switches(isa)
    if problems:
        print("other_isa: " + "; ".join(problems), file=sys.stderr)
        return 1
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.check_only or not command:
        return 0
    print(f"running under {isa}: {' '.join(command)}", flush=True)
    return subprocess.run(command, env=isa_environment(isa)).returncode


if __name__ == "__main__":
    sys.exit(main())
