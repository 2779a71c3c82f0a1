"""Checkpoints: a training state goes back exactly as it was saved, and the final checkpoint of a
run or a study's trial is found the same way everywhere."""

import torch

from ciper import checkpoint


def _state(seed: int):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 / (s + 1))
    g = torch.Generator().manual_seed(seed)
    return model, opt, sched, g


def test_a_training_state_resumes_as_it_was_saved(tmp_path):
    path = tmp_path / checkpoint.FILE_NAME
    model, opt, sched, g = _state(0)
    model(torch.ones(4, 3)).sum().backward()
    opt.step()
    sched.step()
    torch.rand(5, generator=g)  # the generator moved on
    history = [{"epoch": 1, "loss": 2.0}, {"epoch": 2, "loss": 1.5}]
    checkpoint.save_training(path, {"seed": 0}, model, opt, sched, g, history)

    other = _state(1)
    assert checkpoint.resume_training(path, *other) == (2, history)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other[0].state_dict().values()))
    assert other[1].state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]
    assert other[2].get_last_lr() == sched.get_last_lr()
    assert torch.equal(torch.rand(3, generator=other[3]), torch.rand(3, generator=g))
    assert checkpoint.load(path)["config"] == {"seed": 0}
    assert checkpoint.resume_training(tmp_path / "none.pt", *_state(2)) == (0, [])
    assert checkpoint.resume_training(None, *_state(2)) == (0, [])


def test_the_final_checkpoint_of_a_run_and_of_a_trial(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    assert checkpoint.final_checkpoint(run) is None
    (run / checkpoint.FILE_NAME).write_bytes(b"x")
    assert checkpoint.final_checkpoint(run) == run / checkpoint.FILE_NAME
    ray_dir = tmp_path / "study" / "ray"
    trial = ray_dir / "trainable_3f2a1_00001_1_alpha=0.5"
    for n in ("000000", "000002", "000001"):
        (trial / f"checkpoint_{n}").mkdir(parents=True)
        (trial / f"checkpoint_{n}" / checkpoint.FILE_NAME).write_bytes(b"x")
    assert checkpoint.final_checkpoint(trial) == trial / "checkpoint_000002" / checkpoint.FILE_NAME
    assert checkpoint.trial_checkpoint(ray_dir, "3f2a1_00001") == trial / "checkpoint_000002" / checkpoint.FILE_NAME
    assert checkpoint.trial_checkpoint(ray_dir, "3f2a1_00002") is None
