"""Hostile run folders and processes: bad input ends in a clear exit 2, and no run is lost."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import simulator.experiment.experiment as experiment
import simulator.experiment.run_folder as run_folder
from cli import main
from simulator.experiment.experiment import run_experiment
from simulator.experiment.run_folder import RunFolderError
from simulator.scenario import load_scenario
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parent.parent
FINAL = ("summary", "rep_quarters", "accounts", "events", "weekly", "comparison", "alignment", "territories",
         "assignments")
SMALL = small_scenario(**{"name": "hostile", "workforce.attrition.enabled": True,
                          "workforce.attrition.annual_quit_rate": 0.3, "experiment.replications": 3}
                       ).model_dump(mode="json", exclude={"source"})


class Killed(Exception):
    """Stands for a kill at one point of a run."""


def _scenario_file(folder: Path, **changes) -> Path:
    path = folder / "s.yaml"
    path.write_text(yaml.safe_dump({**SMALL, **changes}))
    return path


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """An uninterrupted run folder of the scenario, to compare with."""
    folder = tmp_path_factory.mktemp("whole")
    return run_experiment(load_scenario(_scenario_file(folder)), out=folder / "out").folder


def _cut(tmp_path: Path, stop_after: int = 2):
    """A run folder interrupted after `stop_after` runs, and its scenario file."""
    path = _scenario_file(tmp_path)
    with pytest.raises(InterruptedError):
        run_experiment(load_scenario(path), out=tmp_path / "out", stop_after=stop_after)
    return next((tmp_path / "out" / "hostile").iterdir()), path


def _assert_complete_and_same(folder: Path, whole: Path) -> None:
    for name in FINAL:
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{name}.parquet"),
                                      pd.read_parquet(whole / f"{name}.parquet"), obj=name)
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"
    assert not (folder / "parts").exists()
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def _cli(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("content", ['{"status": "running", "resolved', "", "\x00\xff garbage", "[]",
                                     '{"status": "running"}'], ids=["truncated", "empty", "binary", "list", "keys"])
def test_resume_with_a_broken_manifest_is_exit_2_naming_it(tmp_path, content):
    folder, path = _cut(tmp_path, stop_after=1)
    (folder / "manifest.json").write_text(content, encoding="latin-1")
    result = _cli("run", path, "--resume", folder, "--executor", "serial")
    assert result.exit_code == 2, result.output
    assert f"{folder / 'manifest.json'}:" in result.output and "expected" in result.output


def test_resume_of_something_else_keeps_its_clear_errors(tmp_path):
    folder, path = _cut(tmp_path, stop_after=1)
    (tmp_path / "empty").mkdir()
    result = _cli("run", path, "--resume", tmp_path / "empty")
    assert result.exit_code == 2 and "no manifest.json; expected a run folder" in result.output
    other = _scenario_file(tmp_path / "empty", experiment={"replications": 3, "seed": 6})
    result = _cli("run", other, "--resume", folder)
    assert result.exit_code == 2 and "another scenario" in result.output
    result = _cli("run", path, "--resume", path)  # a file
    assert result.exit_code == 2


def test_corrupt_and_incomplete_parts_are_recomputed(tmp_path, whole):
    folder, path = _cut(tmp_path, stop_after=4)
    parts = sorted((folder / "parts").iterdir())
    summary = parts[0] / "summary.parquet"
    summary.write_bytes(summary.read_bytes()[: summary.stat().st_size // 2])  # truncated
    (parts[1] / "accounts.parquet").unlink()  # a part folder missing a table
    (parts[2] / "events.parquet").write_bytes(b"not parquet at all")
    result = _cli("run", path, "--resume", folder, "--executor", "serial")
    assert result.exit_code == 0, result.output
    assert "recomputed 3 corrupt or incomplete part(s)" in result.output
    assert json.loads((folder / "manifest.json").read_text())["resumed_parts"] == 1
    _assert_complete_and_same(folder, whole)


def test_a_resume_removes_the_temporary_files_a_killed_run_left(tmp_path, whole):
    folder, _ = _cut(tmp_path)
    (folder / ".rep_quarters.parquet.x1y2.tmp").write_bytes(b"half a table")
    (folder / ".manifest.json.abc.tmp").write_text("{")
    half = folder / "parts" / ".s000-p01-r0002.0badf00d.tmp"
    half.mkdir()
    (half / "summary.parquet").write_bytes(b"PAR1")
    resumed = run_experiment(load_scenario(tmp_path / "s.yaml"), resume=folder)
    assert resumed.resumed_parts == 2 and resumed.recomputed_parts == []
    _assert_complete_and_same(folder, whole)


def _fail_on_call(real, number: int):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == number:
            raise Killed(f"killed at call {number} of {real.__name__}")
        return real(*args, **kwargs)

    return wrapper


def _partial_clean(folder):
    for part in sorted((Path(folder) / "parts").iterdir())[::2]:  # some parts gone, one half-deleted
        for file in sorted(part.iterdir())[:3]:
            file.unlink()
    raise Killed("killed while removing the parts")


def _kill_manifest_complete(real):
    def wrapper(*args, **kwargs):
        if kwargs.get("status") == "complete":
            raise Killed("killed before the manifest said complete")
        return real(*args, **kwargs)

    return wrapper


KILL_POINTS = {
    "first table": lambda mp: mp.setattr(experiment, "write_parquet", _fail_on_call(experiment.write_parquet, 1)),
    "fifth table": lambda mp: mp.setattr(experiment, "write_parquet", _fail_on_call(experiment.write_parquet, 5)),
    "last table": lambda mp: mp.setattr(experiment, "write_parquet", _fail_on_call(experiment.write_parquet, 9)),
    "report": lambda mp: mp.setattr(experiment, "build_report", _fail_on_call(experiment.build_report, 1)),
    "manifest": lambda mp: mp.setattr(experiment, "_manifest", _kill_manifest_complete(experiment._manifest)),
    "removing parts": lambda mp: mp.setattr(run_folder, "clean", _partial_clean),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_kill_anywhere_in_finalising_is_completed_by_resume(tmp_path, whole, point):
    path = _scenario_file(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        KILL_POINTS[point](mp)
        with pytest.raises(Killed):
            run_experiment(load_scenario(path), out=tmp_path / "out")
    folder = next((tmp_path / "out" / "hostile").iterdir())
    result = _cli("run", path, "--resume", folder, "--executor", "serial")
    if point == "removing parts":  # the manifest already said complete: the resume only cleans
        assert result.exit_code == 2 and "already complete" in result.output and "removed" in result.output
    else:
        assert result.exit_code == 0, result.output
    _assert_complete_and_same(folder, whole)


def test_final_tables_with_parts_partly_removed_and_a_running_manifest_complete(tmp_path, whole):
    # the state an earlier version left when killed while removing the parts (before marking the manifest)
    path = _scenario_file(tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(experiment, "build_report", _fail_on_call(experiment.build_report, 1))
        with pytest.raises(Killed):
            run_experiment(load_scenario(path), out=tmp_path / "out")
    folder = next((tmp_path / "out" / "hostile").iterdir())
    with pytest.raises(Killed):
        _partial_clean(folder)
    resumed = run_experiment(load_scenario(path), resume=folder)
    assert resumed.recomputed_parts  # the half-deleted part
    _assert_complete_and_same(folder, whole)


def _no_worlds(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the output folder must be checked before any world is built")

    monkeypatch.setattr(experiment, "tasks_of", refuse)


def test_an_output_folder_under_a_file_is_exit_2_before_any_run(tmp_path, monkeypatch):
    _no_worlds(monkeypatch)
    path = _scenario_file(tmp_path)
    (tmp_path / "plain.txt").write_text("a file")
    for out in (tmp_path / "plain.txt", tmp_path / "plain.txt" / "deeper"):
        result = _cli("run", path, "--out", out)
        assert result.exit_code == 2, result.output
        assert f"{tmp_path / 'plain.txt'} is a file, not a folder" in result.output


def test_a_scenario_name_too_long_for_a_folder_is_exit_2_before_any_run(tmp_path, monkeypatch):
    _no_worlds(monkeypatch)
    path = _scenario_file(tmp_path, name="x" * 300)
    result = _cli("run", path, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "name: String should have at most 100 characters" in result.output  # the schema refuses it first
    assert not (tmp_path / "out").exists()


def test_an_output_folder_name_too_long_is_exit_2_before_any_run(tmp_path, monkeypatch):
    _no_worlds(monkeypatch)
    path = _scenario_file(tmp_path)
    out = tmp_path / ("y" * 300)
    result = _cli("run", path, "--out", out)
    assert result.exit_code == 2, result.output
    assert "is 300 bytes long; expected at most 255 bytes" in result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("yyy")]  # (out.exists() itself would raise)


def test_an_output_folder_without_permission_is_exit_2(tmp_path, monkeypatch):
    path = _scenario_file(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.geteuid() == 0:  # root may write anywhere: stand in for the refusal
            access = os.access
            monkeypatch.setattr(run_folder.os, "access", lambda p, mode: Path(p) != locked and access(p, mode))
        _no_worlds(monkeypatch)
        result = _cli("run", path, "--out", locked / "out")
        assert result.exit_code == 2, result.output
        assert f"no permission to write in {locked}" in result.output
    finally:
        locked.chmod(0o700)


def test_a_folder_that_cannot_be_created_after_the_check_is_exit_2(tmp_path, monkeypatch):
    path = _scenario_file(tmp_path, experiment={"replications": 1, "seed": 5})

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(run_folder.Path, "mkdir", refuse)
    result = _cli("run", path, "--out", tmp_path / "out", "--executor", "serial")
    assert result.exit_code == 2, result.output
    assert "cannot create the run folder" in result.output and "Permission denied" in result.output


def test_check_writable_accepts_a_new_nested_folder(tmp_path):
    run_folder.check_writable(tmp_path / "a" / "b" / "scenario")
    with pytest.raises(RunFolderError, match="is a file"):
        (tmp_path / "f").write_text("")
        run_folder.check_writable(tmp_path / "f" / "scenario")


def test_an_unexpected_failure_is_one_line_and_exit_1(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("cli.run_experiment", boom)
    result = _cli("run", _scenario_file(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.strip() == "error: RuntimeError: boom (run with --debug for the traceback)"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie is dead (init may be slow to reap it)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; prctl is Linux only")
def test_killing_a_run_ends_its_pool_workers(tmp_path):
    path = _scenario_file(tmp_path, calendar={"quarters": 4}, experiment={"replications": 40, "seed": 5})
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "run", str(path), "--executor", "local",
                                "--workers", "2", "--out", str(tmp_path / "out"), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
            workers = _children(process.pid)
        assert len(workers) >= 2, "the run never started its two pool workers"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 5
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)], "pool workers outlived their killed parent"
    finally:
        if process.poll() is None:
            process.kill()
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
