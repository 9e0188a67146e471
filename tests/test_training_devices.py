"""Several devices: N simulated CPU devices (and two processes of two devices each) give the vectors one device
gives, a checkpoint written on N devices resumes on another number, and too many devices get a clear error."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import jax
import numpy as np
import scipy.sparse as sp

from glove_lite.training import TrainConfig, train_glove

_MULTI = """
import json, tempfile
import numpy as np
import jax
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.training import TrainConfig, train_glove

rng = np.random.default_rng(0)
ids = [np.minimum(rng.zipf(1.3, size=3000) - 1, 299) for _ in range(3)]  # ids frequency-sorted-ish
X = build_cooc_matrix(ids, 300, window_size=4)
keep = np.asarray(X.sum(axis=1)).ravel() > 0
X = X[keep][:, keep].tocsr()
out = {"devices": len(jax.devices())}
for opt in ("adagrad", "adam"):
    cfg = dict(dim=8, epochs=4, optimizer=opt, batch_size=64, seed=1, method="tiled")
    runs = {N: train_glove(X, TrainConfig(devices=N, **cfg)) for N in (1, 2, 4)}
    out[opt] = {N: {"losses": r.losses, "groups": r.plan.groups,
                    "max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                                    for a, b in zip(runs[1].params, r.params))}
                for N, r in runs.items()}
out["auto"] = train_glove(X, TrainConfig(dim=8, epochs=1, devices=4)).method
out["all"] = train_glove(X, TrainConfig(dim=8, epochs=1, devices="all")).plan.devices
# A checkpoint written on 4 devices resumes on 2: the uninterrupted run's vectors.
cfg = dict(dim=8, seed=5, method="tiled")
with tempfile.TemporaryDirectory() as folder:
    train_glove(X, TrainConfig(epochs=2, devices=4, **cfg), checkpoint_dir=folder)
    resumed = train_glove(X, TrainConfig(epochs=4, devices=2, **cfg), checkpoint_dir=folder, resume=True)
whole = train_glove(X, TrainConfig(epochs=4, devices=1, **cfg))
out["resume"] = {"losses": [resumed.losses, whole.losses],
                 "max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                                 for a, b in zip(resumed.params, whole.params))}
print(json.dumps(out))
"""


def test_two_and_four_simulated_devices_equal_one_device():
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_MULTI)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == 4
    for opt in ("adagrad", "adam"):
        one = out[opt]["1"]["losses"]
        assert all(b < a for a, b in zip(one, one[1:])), one
        for N in ("2", "4"):
            assert out[opt][N]["groups"] == 32
            assert out[opt][N]["max_diff"] < 1e-5, (opt, N, out[opt][N])
            np.testing.assert_allclose(out[opt][N]["losses"], one, rtol=1e-5)
    assert out["auto"] == "tiled" and out["all"] == 4
    resumed, whole = out["resume"]["losses"]
    assert len(resumed) == 4 and out["resume"]["max_diff"] < 1e-5
    np.testing.assert_allclose(resumed, whole, rtol=1e-5)


_HOST = """
import json, sys
import jax
jax.config.update("jax_num_cpu_devices", 2)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(sys.argv[1], 2, int(sys.argv[2]))
import numpy as np, scipy.sparse as sp
from glove_lite.training import TrainConfig, train_glove
A = sp.random(200, 200, density=0.05, random_state=0, format="csr") * 50
X = sp.csr_matrix(A + A.T)
r = train_glove(X, TrainConfig(dim=8, epochs=3, devices="all"))
print(json.dumps({"devices": r.plan.devices, "local": len(jax.local_devices()), "losses": r.losses,
                  "W": np.asarray(r.params.W).tolist()}))
"""


def test_two_processes_with_two_devices_each_equal_one_device():
    """Several hosts, simulated: two processes (jax.distributed, gloo on CPU) of two devices each."""
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_HOST), f"localhost:{port}", str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in range(2)]
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err[-2000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))
    A = sp.random(200, 200, density=0.05, random_state=0, format="csr") * 50
    one = train_glove(sp.csr_matrix(A + A.T), TrainConfig(dim=8, epochs=3, method="tiled"))
    for out in outs:
        assert out["devices"] == 4 and out["local"] == 2
        np.testing.assert_allclose(out["losses"], one.losses, rtol=1e-5)
        np.testing.assert_allclose(np.array(out["W"]), np.asarray(one.params.W), rtol=1e-5, atol=1e-6)


def test_cli_devices_beyond_what_jax_sees_exits_2_with_one_line(tmp_path, capsys):
    from glove_lite.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat and the dog sat on the log\n" * 30)
    n = len(jax.devices()) + 1
    code = main(["train", "--corpus", str(corpus), "--min-count", "1", "--dim", "4", "--epochs", "1",
                 "--devices", str(n), "-q", "-o", str(tmp_path / "v.txt")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and f"devices={n} but JAX sees" in err[0]
    assert not (tmp_path / "v.txt").exists()
