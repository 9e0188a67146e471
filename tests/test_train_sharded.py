"""Tiled training on several devices: a naive NumPy loop of the same schedule, every non-zero once per role,
N simulated CPU devices give the 1-device result, the loss falls, and bad device counts get clear errors."""

import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.sharded_train import Layout, make_tiles, resolve_devices, train_sharded
from glove_lite.sharded_train import tiled_rule
from glove_lite.train import GloveParams, TrainConfig, init_params, train_glove


def _symmetric_matrix(V=37, density=0.2, seed=1):
    """A random symmetric positive matrix: row 0 full (a frequent word), row 5 empty, uneven rows."""
    A = sp.random(V, V, density=density, random_state=seed, format="csr") * 80
    A = A + sp.csr_matrix((np.full(V, 150.0), (np.zeros(V, int), np.arange(V))), shape=(V, V))
    X = sp.lil_matrix(A + A.T)
    X[5, :] = 0
    X[:, 5] = 0
    X = sp.csr_matrix(X)
    X.eliminate_zeros()
    return X


def _reference_epoch(X, state, order, G, L, rule, x_max, alpha):
    """The tiled schedule as a plain loop in float64: for each stratum s, W then W~ half-steps.

    state: dict of W, Wt, b, bt and their optimizer state (AdaGrad sums, or Adam m, v, per-row step counts).
    A half-step walks, for every group a, the tile (a, (a + s) mod G) in CSR order in chunks of L
    non-zeros; a chunk gives each of its rows one step with the sum of its terms' gradients, reading
    the other role's vectors. Returns the epoch's loss (each non-zero's two roles averaged).
    """
    V = X.shape[0]
    entries = [(i, j, X[i, j]) for i in range(V) for j in X.indices[X.indptr[i]:X.indptr[i + 1]]]
    total = 0.0
    for s in order:
        for own, other in (("w", "c"), ("c", "w")):
            vec, bias = state[own + "_vec"], state[own + "_bias"]
            o_vec, o_bias = state[other + "_vec"], state[other + "_bias"]
            for a in range(G):
                tile = [(i, j, x) for i, j, x in entries if i % G == a and j % G == (a + s) % G]
                for start in range(0, len(tile), L):
                    grads = {}
                    for i, j, x in tile[start:start + L]:
                        f = (x / x_max) ** alpha if x < x_max else 1.0
                        diff = vec[i] @ o_vec[j] + bias[i] + o_bias[j] - np.log(x)
                        total += 0.5 * f * diff * diff
                        g = grads.setdefault(i, np.zeros(vec.shape[1] + 1))
                        g[:-1] += 2 * f * diff * o_vec[j]
                        g[-1] += 2 * f * diff
                    for i, g in grads.items():
                        g = np.clip(g, -rule.clip, rule.clip)
                        p = np.append(vec[i], bias[i])
                        if rule.kind == "adagrad":
                            acc = state[own + "_acc"]
                            acc[i] += g * g
                            p = p - rule.lr * g / np.sqrt(acc[i] + rule.eps)
                        else:
                            m, v, t = state[own + "_m"], state[own + "_v"], state[own + "_t"]
                            t[i] += 1
                            m[i] = rule.b1 * m[i] + (1 - rule.b1) * g
                            v[i] = rule.b2 * v[i] + (1 - rule.b2) * g * g
                            m_hat, v_hat = m[i] / (1 - rule.b1 ** t[i]), v[i] / (1 - rule.b2 ** t[i])
                            p = p - rule.lr * m_hat / (np.sqrt(v_hat) + rule.eps)
                        vec[i], bias[i] = p[:-1], p[-1]
    return total


def _stratum_orders(seed, epochs, G):
    """The stratum order of each epoch, as train_sharded draws it."""
    key = jax.random.split(jax.random.PRNGKey(seed))[0]
    orders = []
    for _ in range(epochs):
        key, epoch_key = jax.random.split(key)
        orders.append([int(s) for s in jax.random.permutation(epoch_key, G)])
    return orders


@pytest.mark.parametrize("optimizer, G, L", [("adagrad", 3, 4), ("adagrad", 1, 7), ("adam", 2, 5)])
def test_tiled_epochs_equal_a_naive_loop_of_the_same_schedule(optimizer, G, L):
    X = _symmetric_matrix()
    V, d, epochs = X.shape[0], 4, 2
    config = TrainConfig(dim=d, epochs=epochs, optimizer=optimizer, learning_rate=0.05, grad_clip=2.0, batch_size=L,
                         seed=3)
    params = GloveParams(*(0.3 * np.asarray(a) * d for a in init_params(jax.random.PRNGKey(7), V, d)[:2]),
                         np.linspace(-0.2, 0.2, V, dtype=np.float32), np.linspace(0.1, -0.1, V, dtype=np.float32))
    got = train_sharded(X, config, devices=1, groups=G, params=params)

    rule = tiled_rule(config)
    state = {"w_vec": np.array(params.W, np.float64), "c_vec": np.array(params.W_tilde, np.float64),
             "w_bias": np.array(params.b, np.float64), "c_bias": np.array(params.b_tilde, np.float64)}
    for role in ("w", "c"):
        state[role + "_acc"] = np.ones((V, d + 1))
        state[role + "_m"], state[role + "_v"], state[role + "_t"] = np.zeros((V, d + 1)), np.zeros((V, d + 1)), np.zeros(V)
    for epoch, order in enumerate(_stratum_orders(config.seed, epochs, G)):
        loss = _reference_epoch(X, state, order, G, L, rule, config.x_max, config.alpha)
        assert got.losses[epoch] == pytest.approx(loss / X.nnz, rel=1e-4)
    for a, b in zip(got.params, (state["w_vec"], state["c_vec"], state["w_bias"], state["c_bias"])):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-5)
    assert np.asarray(got.params.W)[5].tolist() == pytest.approx(np.asarray(params.W)[5].tolist())  # empty row


@pytest.mark.parametrize("G, N", [(1, 1), (4, 1), (4, 2), (6, 3), (8, 4)])
def test_every_nonzero_is_in_exactly_one_tile_and_each_device_writes_only_its_rows(G, N):
    X = _symmetric_matrix(V=45, seed=4)
    layout = Layout(X.shape[0], G, N)
    tiles = make_tiles(X, layout, chunk_size=6)
    word_of_row = np.full(layout.n_rows, -1)
    word_of_row[layout.rows_of_words()] = np.arange(X.shape[0])
    seen = []
    per = layout.k * layout.Vg
    for p in range(N):
        for s in range(G):
            for j in range(layout.k):
                a = p + N * j
                n = int(tiles.nnz[p][s, j])
                ip = tiles.indptr[p][s, j, :layout.Vg + 1]
                assert ip[-1] == n and (tiles.indptr[p][s, j, layout.Vg + 1:] == n).all()
                local = np.repeat(np.arange(layout.Vg), np.diff(ip))
                rows = a + G * local
                # The rows a device writes are its own: slot j of device p.
                assert (layout.rows_of_words(rows) // per == p).all()
                cols = word_of_row[tiles.cols[p][s, j, :n]]
                assert (cols % G == (a + s) % G).all()
                seen += list(zip(rows.tolist(), cols.tolist(), tiles.x[p][s, j, :n].tolist()))
    coo = X.tocoo()
    want = sorted(zip(coo.row.tolist(), coo.col.tolist(), coo.data.astype(np.float32).tolist()))
    assert sorted(seen) == want  # every non-zero once: each half-step walks every tile, so once per role per epoch
    assert tiles.T % tiles.L == 0 and tiles.T >= max(int(n.max()) for n in tiles.nnz)


def test_tiles_are_balanced_by_frequency_rank(small_corpus):
    _, _, X = small_corpus
    tiles = make_tiles(X, Layout(X.shape[0], 4, 4))
    nnz = np.concatenate([n.ravel() for n in tiles.nnz])
    assert nnz.max() <= 1.1 * nnz.mean()


def test_tiled_training_lowers_the_loss_and_repeats(small_corpus):
    _, _, X = small_corpus
    config = TrainConfig(dim=16, epochs=5, seed=2)
    a, b = train_sharded(X, config, devices=1, groups=2), train_sharded(X, config, devices=1, groups=2)
    assert len(a.losses) == 5 and len(a.epoch_seconds) == 5 and a.devices == 1 and a.groups == 2
    assert a.losses[-1] < 0.5 * a.losses[0]
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    assert a.vectors.shape == (X.shape[0], 16)


def test_bad_device_counts_and_groups_get_clear_errors(small_corpus):
    _, _, X = small_corpus
    seen = len(jax.devices())
    with pytest.raises(GloveLiteError, match=rf"devices={seen + 1} but JAX sees {seen} device"):
        resolve_devices(seen + 1)
    with pytest.raises(GloveLiteError, match=rf"devices={seen + 1} but JAX sees"):
        train_glove(X, TrainConfig(dim=4, epochs=1, devices=seen + 1))
    for bad in (0, -1, True, 1.5, "two"):
        with pytest.raises(GloveLiteError, match="devices="):
            TrainConfig(devices=bad)
    with pytest.raises(GloveLiteError, match="method="):
        TrainConfig(devices=2, method="dense")
    with pytest.raises(GloveLiteError, match="groups=3 is not a multiple of devices=2"):
        from glove_lite.sharded_train import check_groups
        check_groups(3, 2, 100)
    assert resolve_devices("all") == seen


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


_MULTI = """
import json, os
import numpy as np, scipy.sparse as sp
import jax
from glove_lite.sharded_train import train_sharded
from glove_lite.train import TrainConfig, train_glove
from glove_lite.cooccur import build_cooc_matrix

rng = np.random.default_rng(0)
ids = [np.minimum(rng.zipf(1.3, size=3000) - 1, 299) for _ in range(3)]  # ids frequency-sorted-ish
X = build_cooc_matrix(ids, 300, window_size=4)
keep = np.asarray(X.sum(axis=1)).ravel() > 0
X = X[keep][:, keep].tocsr()
out = {"devices": len(jax.devices()), "V": X.shape[0], "nnz": int(X.nnz)}
for opt in ("adagrad", "adam"):
    cfg = TrainConfig(dim=8, epochs=4, optimizer=opt, batch_size=64, seed=1)
    runs = {N: train_sharded(X, cfg, devices=N, groups=4) for N in (1, 2, 4)}
    out[opt] = {N: {"losses": r.losses,
                    "max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                                    for a, b in zip(runs[1].params, r.params))}
                for N, r in runs.items()}
r = train_glove(X, TrainConfig(dim=8, epochs=3, devices=4))
out["train_glove"] = {"method": r.method, "losses": r.losses}
# A checkpoint written on 4 devices resumes on 2 (the same G): the uninterrupted run's vectors.
import tempfile
cfg = TrainConfig(dim=8, epochs=4, seed=5)
with tempfile.TemporaryDirectory() as folder:
    train_sharded(X, TrainConfig(dim=8, epochs=2, seed=5), devices=4, groups=4, checkpoint_dir=folder)
    resumed = train_sharded(X, cfg, devices=2, groups=4, checkpoint_dir=folder, resume=True)
whole = train_sharded(X, cfg, devices=1, groups=4)
out["resume"] = {"losses": [resumed.losses, whole.losses],
                 "max_diff": max(float(np.abs(np.asarray(a) - np.asarray(b)).max())
                                 for a, b in zip(resumed.params, whole.params))}
r = train_glove(X, TrainConfig(dim=8, epochs=3, devices="all"))
out["all"] = r.method
print(json.dumps(out))
"""


def test_two_and_four_simulated_devices_equal_one_device():
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_MULTI)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == 4
    for opt in ("adagrad", "adam"):
        one = out[opt]["1"]["losses"]
        assert all(b < a for a, b in zip(one, one[1:])) and one[-1] < (0.7 if opt == "adagrad" else 0.9) * one[0], one
        for N in ("2", "4"):
            assert out[opt][N]["max_diff"] < 1e-5, (opt, N, out[opt][N])
            np.testing.assert_allclose(out[opt][N]["losses"], one, rtol=1e-5)
    assert out["train_glove"]["method"] == "tiled" and out["all"] == "tiled"
    assert out["train_glove"]["losses"][-1] < out["train_glove"]["losses"][0]
    resumed, whole = out["resume"]["losses"]
    assert len(resumed) == 4 and out["resume"]["max_diff"] < 1e-5
    np.testing.assert_allclose(resumed, whole, rtol=1e-5)


def test_a_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path, small_corpus):
    _, _, X = small_corpus
    cfg = TrainConfig(dim=8, epochs=4, seed=1)
    whole = train_sharded(X, cfg, devices=1, groups=4)
    with pytest.raises(GloveLiteError, match="resume=True needs checkpoint_dir"):
        train_sharded(X, cfg, devices=1, groups=4, resume=True)
    train_sharded(X, TrainConfig(dim=8, epochs=3, seed=1), devices=1, groups=4, checkpoint_dir=tmp_path,
                  checkpoint_every=2)
    with pytest.raises(GloveLiteError, match="already holds a checkpoint"):
        train_sharded(X, cfg, devices=1, groups=4, checkpoint_dir=tmp_path)
    with pytest.raises(GloveLiteError, match="has method 'tiled, 4 groups'"):
        train_sharded(X, cfg, devices=1, groups=2, checkpoint_dir=tmp_path, resume=True)
    resumed = train_sharded(X, cfg, devices=1, groups=4, checkpoint_dir=tmp_path, resume=True)
    assert resumed.losses == whole.losses
    for a, b in zip(resumed.params, whole.params):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


_HOST = """
import json, os, sys
import jax
jax.config.update("jax_num_cpu_devices", 2)
jax.config.update("jax_cpu_collectives_implementation", "gloo")
jax.distributed.initialize(sys.argv[1], 2, int(sys.argv[2]))
import numpy as np, scipy.sparse as sp
from glove_lite.sharded_train import train_sharded
from glove_lite.train import TrainConfig
A = sp.random(200, 200, density=0.05, random_state=0, format="csr") * 50
X = sp.csr_matrix(A + A.T)
r = train_sharded(X, TrainConfig(dim=8, epochs=3), devices="all", groups=4)
print(json.dumps({"devices": r.devices, "local": len(jax.local_devices()), "losses": r.losses,
                  "W": np.asarray(r.params.W).tolist()}))
"""


def test_two_processes_with_two_devices_each_equal_one_device():
    """Several hosts, simulated: two processes (jax.distributed, gloo on CPU) of two devices each."""
    import socket

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
            out, err = p.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, err[-2000:]
        outs.append(json.loads(out.strip().splitlines()[-1]))

    A = sp.random(200, 200, density=0.05, random_state=0, format="csr") * 50
    one = train_sharded(sp.csr_matrix(A + A.T), TrainConfig(dim=8, epochs=3), devices=1, groups=4)
    for out in outs:
        assert out["devices"] == 4 and out["local"] == 2
        np.testing.assert_allclose(out["losses"], one.losses, rtol=1e-5)
        np.testing.assert_allclose(np.array(out["W"]), np.asarray(one.params.W), rtol=1e-5, atol=1e-6)


def test_bench_tiled_child_reports_time_loss_and_memory_on_two_simulated_devices(tmp_path):
    from glove_lite.studies.bench_train import run_child

    A = sp.random(800, 800, density=0.01, random_state=0, format="csr") * 20
    X = sp.csr_matrix(A + A.T)
    path = tmp_path / "x.npz"
    np.savez(path, shape=np.array(X.shape), indptr=X.indptr, indices=X.indices, data=X.data)
    rec = run_child("tiled", path, devices=2)
    assert rec["epoch_s"] > 0 and rec["first_s"] > 0 and rec["loss"] > 0 and 0 < rec["peak_gb"] < 4, rec
