"""``make sweeps`` in its tiny ``--quick`` form: the JSON file the evaluation chapter plots."""

import json

import pytest

from glove_lite.studies import sweeps
from glove_lite.evaluate import SCORE_KEYS


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweeps") / "data" / "evaluation.json"
    assert sweeps.main(["--quick", "--no-progress", "--output", str(path)]) == 0
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_table_has_every_system_with_scores_coverage_and_time(quick_result):
    _, r = quick_result
    names = [s["system"] for s in r["systems"]]
    assert names == ["GloVe (AdaGrad)", "GloVe (Adam)", "PPMI-SVD (p = 0)", "PPMI-SVD (p = 0.5)", "SGNS (word2vec)"]
    for s in r["systems"]:
        assert set(s["scores"]) == set(SCORE_KEYS)
        for key, v in s["scores"].items():
            assert set(v) == {"score", "covered", "total"} and 0 <= v["covered"] <= v["total"]
        assert s["train_seconds"] >= 0 and s["cpu_seconds"] >= 0
        a = s["scores"]
        assert a["analogy_semantic"]["covered"] + a["analogy_syntactic"]["covered"] == a["analogy"]["covered"]
    assert [x["system"] for x in r["reference"]] == ["GloVe C tool, 25 epochs", "GloVe C tool, 50 epochs"]
    assert r["quick"] is True and r["machine"] and r["date"]


def test_epoch_curves_seeds_and_sweeps(quick_result):
    _, r = quick_result
    plan = sweeps.QUICK
    for name in ("GloVe (AdaGrad)", "GloVe (Adam)"):
        points = r["epochs"][name]["points"]
        assert [p["epoch"] for p in points] == list(range(plan.curve_every, plan.curve_epochs + 1, plan.curve_every))
        assert all(p["loss"] > 0 for p in points)
    assert [s["seed"] for s in r["seeds"]] == list(plan.seeds)
    assert all(x["cpu_seconds"] >= 0 for runs in r["sweeps"].values() for x in runs)
    # The table's GloVe row is the curve's point at `epochs`, and the seed-0 entry repeats it.
    table = r["systems"][0]["scores"]
    point = next(p for p in r["epochs"]["GloVe (AdaGrad)"]["points"] if p["epoch"] == plan.epochs)
    assert point["simlex999"] == table["simlex999"]["score"] == r["seeds"][0]["simlex999"]
    assert set(r["sweeps"]) == {"window", "min_count", "x_max", "dim"}
    for knob, values in (("window", plan.windows), ("min_count", plan.min_counts), ("x_max", plan.x_maxes),
                         ("dim", plan.dims)):
        runs = r["sweeps"][knob]
        assert sorted({x["value"] for x in runs}) == sorted(values)
        systems = {"GloVe"} if knob == "x_max" else {"GloVe", "PPMI-SVD"}
        assert {x["system"] for x in runs} == systems
    by_count = {(x["value"], x["system"]): x for x in r["sweeps"]["min_count"]}
    assert by_count[(5, "GloVe")]["words"] > by_count[(10, "GloVe")]["words"]
    # On the common vocabulary every min count covers the same pairs.
    assert len({x["common_covered"]["simlex999"] for x in r["sweeps"]["min_count"]}) == 1


def test_file_is_small_strict_json(quick_result):
    path, _ = quick_result
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and len(text) < 200_000
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, no leftovers
