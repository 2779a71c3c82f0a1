"""The benchmarks run end to end on tiny settings and write the JSON they promise.

No timing is asserted here (speed targets live in the benchmarks themselves);
these only keep the commands that produced the README's figures working.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real Ray and real trials: make test-fast leaves these out

ROOT = Path(__file__).resolve().parent.parent


def _run(script, *args, tmp_path):
    out = tmp_path / f"{script}.json"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{script}.py"), *args, "--json", str(out)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        timeout=1200,
    )
    return json.loads(out.read_text())


def test_step_benchmark_compares_ciper_with_the_bare_encoder(tmp_path):
    res = _run("step", "--batch", "16", "--rounds", "2", "--calls", "1", tmp_path=tmp_path)
    bare, ciper = res["rows"]
    assert bare["views_per_s"] > 0 and ciper["views_per_s"] > 0
    assert 0 < ciper["ratio_min"] <= ciper["ratio_to_bare"] <= ciper["ratio_max"]
    assert ciper["cpu_max_rss_mib"] > 0 and res["machine"]


def test_augment_benchmark_reports_a_speedup(tmp_path):
    res = _run("augment", "--batch", "8", "--device", "cpu", tmp_path=tmp_path)
    ours, theirs = res["rows"]
    assert ours["speedup"] > 0 and theirs["views_per_s"] > 0


def test_share_benchmark_runs_several_processes(tmp_path):
    res = _run("share", "--processes", "2", "--batch", "8", "--seconds", "1", "--device", "cpu", tmp_path=tmp_path)
    alone, shared = res["rows"]
    assert alone["processes"] == 1 and shared["processes"] == 2
    assert alone["views_per_s_total"] > 0 and shared["ratio_to_alone"] > 0


def test_world_benchmark_times_generation_and_the_cache(tmp_path):
    res = _run("world", "--repeats", "1", "--objects", "2", "--sessions", "2", "--frames", "5", tmp_path=tmp_path)
    rows = {r["world"]: r for r in res["rows"]}
    assert set(rows) == {"world", "flatworld"}
    for r in rows.values():
        assert r["images"] == 20 and r["generate_s"] > 0 and r["cache_hit_s"] > 0 and r["file_mib"] > 0


def test_layout_benchmark_compares_both_layouts(tmp_path):
    res = _run("layout", "--batch", "8", "--threads", "1", "--rounds", "2", "--calls", "1", tmp_path=tmp_path)
    rows = {r["layout"]: r for r in res["rows"]}
    assert set(rows) == {"contiguous", "channels_last"} and rows["channels_last"]["speedup"] > 0


def test_precision_benchmark_compares_fp32_with_bf16(tmp_path):
    res = _run("precision", "--batch", "8", "--rounds", "1", "--calls", "1", tmp_path=tmp_path)
    fp32, bf16 = res["rows"]
    assert (fp32["precision"], bf16["precision"]) == ("fp32", "bf16") and fp32["threads"] == 1
    assert fp32["views_per_s"] > 0 and 0 < bf16["speedup_min"] <= bf16["speedup"] <= bf16["speedup_max"]


def test_versus_benchmark_trains_both_commits(tmp_path):
    small = ["--preset", "smoke", "--set", "threads=1", "epochs=2", "max_train_images=128"]
    flat = ["--base-set", "dataset=flatworld", "--head-set", "dataset=flatworld", "precision=fp32"]
    res = _run("versus", "--base", "HEAD", "--rounds", "1", *small, *flat, tmp_path=tmp_path)
    base, head = res["rows"]
    assert base["commit"] == "HEAD" and head["precision"] == "fp32"
    assert base["ms_per_step"] > 0 and head["ms_per_step"] > 0 and head["speedup"] > 0


def test_folder_cache_benchmark_times_a_first_and_a_later_trial(tmp_path):
    import torch
    from torchvision.io import write_png

    for k in (1, 2):
        for a in range(0, 360, 45):
            write_png(torch.full((3, 16, 16), 40 * k + a // 45, dtype=torch.uint8), str(tmp_path / f"obj{k}__{a}.png"))
    sets = [
        "image_size=8",
        "time_window=1",
        "split_blocks=2",
        "batch_size=4",
        "latent_dim=8",
        "eval_images=0",
        "knn_k=2",
    ]
    res = _run("folder_cache", "--data-dir", str(tmp_path), "--set", *sets, "--repeats", "1", tmp_path=tmp_path)
    (row,) = res["rows"]
    assert row["first_trial_to_step_s"] > 0 and row["later_trial_to_step_s"] > 0 and row["cache_mib"] > 0
