"""How each strategy lays X out (every non-zero exactly once, nothing padded that need not be, X read in place),
the planner's choices, and X's dtype from counting to training."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.training import TrainConfig, make_plan, train_glove
from glove_lite.training import driver
from glove_lite.training.chunks import HEAD, device_view, make_chunks, rows_of_window, window
from glove_lite.training.dense import dense_epoch, make_blocks
from glove_lite.training.hybrid import split_corner
from glove_lite.training.optim import make_optimizer
from glove_lite.training.plan import best_corner, corner_profile, hybrid_seconds, model_epoch_seconds, x_dtype
from glove_lite.training.tiled import Layout, check_groups, device_tiles, plan_tiles
from training_reference import random_symmetric


def zipf_matrix(V=60, seed=0):
    """Frequent words (low ids) co-occur often: a dense corner and a sparse rest, symmetric, sorted."""
    rng = np.random.default_rng(seed)
    p = np.minimum(1.0, 6.0 / (1 + np.arange(V)))
    keep = rng.random((V, V)) < np.outer(p, p) ** 0.5
    A = np.triu(np.where(keep, rng.uniform(0.5, 150.0, (V, V)), 0.0))
    X = sp.csr_matrix(A + np.triu(A, 1).T)
    X.eliminate_zeros()
    X.sort_indices()
    return X


# ----------------------------------------------------------------------------- dense blocks

@pytest.mark.parametrize("block_rows", [7, 16, 10**6])
def test_blocks_deal_every_row_once_and_hold_every_nonzero_once(small_corpus, block_rows):
    _, _, X = small_corpus
    V = X.shape[0]
    b = make_blocks(X, block_rows, 100.0, 0.75, seed=3, even=True)
    sizes = (b.rows < V).sum(axis=1)
    assert b.n_blocks % 2 == 0 and sizes.max() - sizes.min() <= 1 and sizes.sum() == V
    assert sorted(b.rows[b.rows < V].tolist()) == list(range(V))
    rebuilt = sp.lil_matrix(X.shape)
    for k in range(b.n_blocks):
        lo, hi = b.offsets[k], b.offsets[k + 1]
        r, c = b.rows[k][b.local_row[lo:hi]], b.col[lo:hi]
        rebuilt[r, c] = np.exp(b.log_x[lo:hi])
    np.testing.assert_allclose(rebuilt.toarray(), X.toarray(), rtol=1e-5)
    device = b.device_blocks()
    for k in (0, b.n_blocks - 1):  # a block read on the device: its entries, then zeros
        n = int(b.counts[k])
        column = np.asarray(device[2][k])
        np.testing.assert_array_equal(column[:n], b.col[b.offsets[k]:b.offsets[k] + n])
        assert not column[n:].any()


def test_blocks_hold_nnz_plus_one_block_not_the_longest_block_times_all():
    V = 600
    A = sp.random(V, V, density=0.005, random_state=0, format="csr") + sp.csr_matrix(
        (np.ones(V), (np.zeros(V, int), np.arange(V))), shape=(V, V))  # row 0 holds every column
    X = sp.csr_matrix(A + A.T)
    b = make_blocks(X, 8, 100.0, 0.75, seed=0, even=True)
    assert b.counts.sum() == X.nnz and b.L == b.counts.max() >= V
    assert b.f_x.shape == (X.nnz + b.L,)
    assert b.f_x.nbytes * 4 < 0.2 * 16 * b.n_blocks * b.L  # padded blocks would need 16 n_blocks L bytes


def test_alternating_roles_reject_an_odd_number_of_blocks(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    b = make_blocks(X, V, 100.0, 0.75, seed=0)  # one block
    tx = make_optimizer("adagrad", 0.2, None)
    params = (jnp.zeros((V, 4)), jnp.zeros((V, 4)), jnp.zeros(V), jnp.zeros(V))
    with pytest.raises(GloveLiteError, match=r"1 blocks; .*even=True"):
        dense_epoch(params, tx.init(params), jax.random.PRNGKey(1), b.device_blocks(), tx, V, "alternate")


# ----------------------------------------------------------------------------- chunks

def test_rows_of_window_match_the_csr_rows():
    X = random_symmetric(V=50, seed=7, empty_rows=(3, 4, 20))
    chunks = make_chunks(X, 11)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    for k in range(chunks.n_chunks):
        s, r0 = int(chunks.start[k]), int(chunks.first_row[k])
        got = np.asarray(rows_of_window(jnp.asarray(chunks.indptr), r0, s, chunks.L, chunks.R))
        np.testing.assert_array_equal(got + r0, rows[s:s + chunks.L])
        assert got.max() < chunks.R
    assert sorted(np.concatenate([chunks.positions(k) for k in range(chunks.n_chunks)]).tolist()) == list(range(X.nnz))


def _misaligned(values: np.ndarray, shift: int) -> np.ndarray:
    """A copy of values whose first element sits ``shift`` 4-byte elements past a 64-byte boundary."""
    buf = np.empty(values.size * 4 + 128, np.uint8)
    off = (-buf.ctypes.data) % 64 + 4 * shift
    out = buf[off:off + values.size * 4].view(values.dtype)
    out[:] = values
    return out


@pytest.mark.parametrize("shift", [0, 1, 7, 15])
def test_device_view_reads_every_window_and_uses_the_array_in_place(shift):
    L = 5
    for dtype in (np.float32, np.int32):
        a = _misaligned(np.arange(100).astype(dtype), shift)
        main, head, got_shift = device_view(a, L)
        assert got_shift == (HEAD - shift) % HEAD and head.shape == (L + HEAD,)
        if jax.default_backend() == "cpu":  # no copy: main is a's own memory from the boundary on
            assert main.unsafe_buffer_pointer() == a.ctypes.data + 4 * got_shift
        read = jax.jit(lambda s: window(main, head, got_shift, s, L))
        for s in range(a.size - L + 1):
            np.testing.assert_array_equal(np.asarray(read(s)), a[s:s + L])
    short = np.arange(12, dtype=np.float32)  # shorter than L + HEAD: copied whole
    main, head, got_shift = device_view(short, L)
    assert got_shift == 0 and main.shape == (12,)
    np.testing.assert_array_equal(np.asarray(window(main, head, 0, 7, L)), short[7:12])


def test_symmetry_is_checked_in_pieces_of_rows(monkeypatch):
    monkeypatch.setattr(driver, "SYMMETRY_PIECE", 7)
    X = random_symmetric(V=50, seed=2)
    for A in (X, X.astype(np.float32)):
        driver.check_symmetric(A)
    bad = sp.lil_matrix(X)
    bad[3, 40] = bad[3, 40] + 1.0  # one entry off the mirror
    with pytest.raises(GloveLiteError, match="not symmetric"):
        driver.check_symmetric(sp.csr_matrix(bad))


# ----------------------------------------------------------------------------- the hybrid corner

def test_corner_profile_counts_every_corner():
    X = zipf_matrix()
    np.testing.assert_array_equal(corner_profile(X), [X[:k, :k].nnz for k in range(X.shape[0] + 1)])


@pytest.mark.parametrize("K, B", [(8, 8), (16, 4), (48, 16), (45, 5)])
def test_split_corner_keeps_every_entry_once(K, B):
    X = zipf_matrix()
    V = X.shape[0]
    corner, (indptr, cols, x) = split_corner(X, K, B)
    top = sp.csr_matrix((x, cols, indptr), shape=(V, V))
    assert top[K:].nnz == 0 and (top[:K].tocoo().col >= K).all()
    n = corner.ptr[-1]
    tile = np.repeat(np.arange(K // B), np.diff(corner.ptr))
    rows, c = tile * B + corner.pos[:n] // K, corner.pos[:n] % K
    np.testing.assert_array_equal(corner.x[n:], 0)
    C = sp.csr_matrix((corner.x[:n], (rows, c)), shape=(V, V))
    below = X.tolil(copy=True)
    below[:K] = 0
    rest = top + sp.csr_matrix(below)
    assert C.nnz == X[:K, :K].nnz and rest.nnz == X.nnz - C.nnz
    np.testing.assert_allclose((C + rest).toarray(), X.toarray(), rtol=1e-6)
    for t in range(K // B):  # positions ascend within a tile (the scatter is told they are sorted)
        assert np.all(np.diff(corner.pos[corner.ptr[t]:corner.ptr[t + 1]]) > 0)
    with pytest.raises(GloveLiteError, match="K=10 with tiles of B=4"):
        split_corner(X, 10, 4)


def test_best_corner_takes_a_dense_corner_and_skips_a_uniform_matrix():
    V = 20_000
    k = np.arange(V + 1)
    profile = np.where(k <= 2000, 0.6 * k * k, 0.6 * 2000**2 + 0.001 * (k * k - 2000**2)).astype(np.int64)
    K, seconds = best_corner(profile, 100)
    assert 1000 <= K <= 2600 and K % 256 == 0 and seconds < hybrid_seconds(profile, 0, 100)
    uniform = (0.002 * k * k).astype(np.int64)  # 0.2 % everywhere: no corner pays
    assert best_corner(uniform, 100) == (0, hybrid_seconds(uniform, 0, 100))


# ----------------------------------------------------------------------------- tiles

@pytest.mark.parametrize("G, N", [(4, 1), (4, 2), (6, 3)])
def test_every_nonzero_is_in_exactly_one_tile_and_each_device_writes_only_its_rows(G, N):
    X = random_symmetric(V=45, seed=3)
    layout = Layout(X.shape[0], G, N)
    plan = plan_tiles(X, layout, 7)
    rows_of = layout.rows_of_words()
    word_of_row = {int(r): w for w, r in enumerate(rows_of)}
    seen = []
    per = layout.k * layout.Vg
    for p in range(N):
        t = device_tiles(X, plan, p)
        for s in range(G):
            for j in range(layout.k):
                a = p + N * j
                n = int(t.nnz[s, j])
                local = np.repeat(np.arange(layout.Vg), np.diff(t.indptr[s, j, :layout.Vg + 1]))[:n]
                words = local * G + a
                assert ((rows_of[words] >= p * per) & (rows_of[words] < (p + 1) * per)).all()  # its own rows
                cols = [word_of_row[int(c)] for c in t.cols[s, j, :n]]
                assert all(c % G == (a + s) % G for c in cols)  # the stratum's column group
                seen += list(zip(words.tolist(), cols, t.x[s, j, :n].tolist()))
    coo = X.tocoo()
    assert sorted(seen) == sorted(zip(coo.row.tolist(), coo.col.tolist(), coo.data.astype(np.float32).tolist()))


def test_groups_must_divide_among_devices_and_fit_the_vocabulary():
    with pytest.raises(GloveLiteError, match="groups=3 is not a multiple of devices=2"):
        check_groups(3, 2, 100)
    with pytest.raises(GloveLiteError, match="groups=16 for a vocabulary of 10 words"):
        check_groups(16, 1, 10)


def test_more_devices_than_jax_sees_gets_a_clear_error(small_corpus):
    _, _, X = small_corpus
    seen = len(jax.devices())
    with pytest.raises(GloveLiteError, match=rf"devices={seen + 1} but JAX sees {seen} device.*device_count"):
        train_glove(X, TrainConfig(dim=4, epochs=1, devices=seen + 1))


# ----------------------------------------------------------------------------- the planner

def test_auto_plans_by_time_to_quality_dense_blocks_for_the_book_and_tiles_at_text8_size():
    from glove_lite.training.plan import seconds_to_quality

    book = seconds_to_quality(model_epoch_seconds(8_791, 5_164_845, 100))  # the book's X: 6.7 % dense
    text8 = seconds_to_quality(model_epoch_seconds(112_822, 83_983_426, 100))  # generated text8-sized X: 0.66 %
    assert min(book, key=book.get) == "dense" and sorted(book.values())[1] > 4 * book["dense"]
    assert min(text8, key=text8.get) == "tiled" and sorted(text8.values())[1] > 2 * text8["tiled"]
    X = zipf_matrix(V=3000, seed=1)  # a dense corner, then 1 % dense: dense blocks lose, the corner pays
    plan = make_plan(X, TrainConfig(dim=16))
    assert (plan.method, plan.how, plan.corner) == ("tiled", "model", 0)
    assert plan.seconds["hybrid"] < plan.seconds["sparse"]  # the corner was weighed, and tiles still won
    assert plan.describe().startswith("tiled (cost model, seconds per epoch x epochs to the same loss: dense ")
    forced = make_plan(X, TrainConfig(dim=16, method="hybrid"))
    assert forced.corner > 0 and f"dense corner of the {forced.corner:,} most frequent words" in forced.describe()
    uniform = sp.random(3000, 3000, density=0.004, random_state=1, format="csr")
    assert "hybrid" not in make_plan(sp.csr_matrix(uniform + uniform.T), TrainConfig(dim=16)).seconds


def test_the_plan_is_recorded_with_its_defaults_and_forced_choices_say_so(small_corpus):
    _, _, X = small_corpus
    result = train_glove(X, TrainConfig(dim=4, epochs=1))
    assert result.method == result.plan.method == "dense" and result.plan.how == "model"
    assert result.plan.describe().startswith("dense (cost model, seconds per epoch x epochs to the same loss: dense ")
    assert (result.plan.learning_rate, result.plan.batch_size) == (0.2, 64)
    sparse = make_plan(X, TrainConfig(method="sparse"))
    assert (sparse.learning_rate, sparse.batch_size, sparse.how) == (0.5, 1024, "forced")
    assert make_plan(X, TrainConfig(method="sparse", optimizer="adam")).learning_rate == 0.01
    assert make_plan(X, TrainConfig(method="sparse", learning_rate=0.3)).learning_rate == 0.3
    assert make_plan(X, TrainConfig(method="tiled")).describe() == "tiled (as asked; 16 x 16 tiles on 1 device)"


def test_x_dtype_is_float32_exactly_where_the_plan_reads_x_in_place():
    book, text8 = (8_791, 5_164_845), (112_822, 83_983_426)
    assert x_dtype(*book) == np.float64 and x_dtype(*text8) == np.float32
    assert x_dtype(*book, TrainConfig(method="sparse")) == np.float32
    assert x_dtype(*text8, TrainConfig(method="dense")) == np.float64


def test_counting_and_loading_give_x_in_the_dtype_asked_for(tmp_path):
    from glove_lite.counts import Counts, count_corpus, load_counts, save_counts
    from glove_lite.preprocess import Vocabulary

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(f"the nation {w} shall defend liberty and {w} justice" for w in
                                ("peace", "war", "law", "trade", "people") * 8), encoding="utf-8")
    kw = dict(min_count=2, window=3, tmp_dir=tmp_path, cache=False)
    plain = count_corpus(corpus, **kw).X
    as32 = count_corpus(corpus, **kw, dtype=lambda V, nnz: np.float32).X
    assert plain.dtype == np.float64 and as32.dtype == np.float32
    assert np.array_equal(as32.data, plain.data.astype(np.float32)) and np.array_equal(as32.indices, plain.indices)
    assert as32.has_sorted_indices
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]  # no spill or row files left
    V = plain.shape[0]
    vocab = Vocabulary(tuple(f"w{i}" for i in range(V)), tuple(range(2 * V, V, -1)), 1)
    path = save_counts(Counts(vocab, plain, {"window": 3}), tmp_path / "x.npz")
    assert load_counts(path).X.dtype == np.float64
    seen = []
    loaded = load_counts(path, lambda V, nnz: seen.append((V, nnz)) or np.float32)
    assert loaded.X.dtype == np.float32 and seen == [(V, plain.nnz)]
    with pytest.raises(GloveLiteError, match="dtype=int64; expected float32 or float64"):
        load_counts(path, np.int64)
    counts = Counts(vocab, plain, {})
    assert counts.astype(np.float64) is counts
    assert np.shares_memory(counts.astype(np.float32).X.indices, plain.indices)  # columns shared, not copied
    cfg = TrainConfig(dim=4, epochs=2, method="sparse", batch_size=32)
    a, b = train_glove(plain, cfg), train_glove(loaded.X, cfg)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
