"""tools/book_build.py: `make book`'s two builds, and the second try of an edition whose kernel lost its
port to the other build's (the jupyter_client race that once failed a fresh clone's `make book`)."""

import sys

from tools import book_build

RACE = ("Traceback (most recent call last):\\n  zmq.error.ZMQError: Address already in use "
        "(addr='tcp://127.0.0.1:49103')\\nRuntimeError: Kernel died before replying to kernel_info")


def _edition(tmp_path, name, outputs):
    """A stand-in build command: the n-th run prints outputs[n] = (text, exit status) and records itself."""
    runs = tmp_path / f"{name}.runs"

    def cmd():
        script = (f"import pathlib, sys; p = pathlib.Path({str(runs)!r}); n = len(p.read_text().split()) "
                  f"if p.exists() else 0; p.write_text((p.read_text() if p.exists() else '') + "
                  f"'run '); out = {outputs!r}[n]; print(out[0]); sys.exit(out[1])")
        return [sys.executable, "-c", script]

    return cmd, runs


def _build(tmp_path, en_outputs, zh_outputs):
    en, en_runs = _edition(tmp_path, "en", en_outputs)
    zh, zh_runs = _edition(tmp_path, "zh", zh_outputs)
    rc = book_build.build(en, zh, tmp_path / "en.log", tmp_path / "zh.log")
    return rc, en_runs.read_text().split(), zh_runs.read_text().split()


def test_an_edition_that_lost_a_port_is_built_again_alone(tmp_path, capsys):
    rc, en_runs, zh_runs = _build(tmp_path, [(RACE, 1), ("built", 0)], [("zh built", 0)])
    assert (rc, en_runs, zh_runs) == (0, ["run", "run"], ["run"])
    out = capsys.readouterr().out
    assert "building the English edition again, alone" in out and "zh built" in out
    assert (tmp_path / "en.log").read_text().strip() == "built"  # the log is the second build's

    again = tmp_path / "again"
    again.mkdir()
    rc, en_runs, zh_runs = _build(again, [("built", 0)], [(RACE, 1), ("zh built", 0)])
    assert (rc, en_runs, zh_runs) == (0, ["run"], ["run", "run"])


def test_other_failures_are_reported_not_retried(tmp_path, capsys):
    # A page that fails for a reason of its own (here a kernel that died of something else) fails the book.
    rc, en_runs, zh_runs = _build(tmp_path, [("RuntimeError: Kernel died before replying to kernel_info", 1)],
                                  [("zh built", 0)])
    assert (rc, en_runs, zh_runs) == (1, ["run"], ["run"])
    assert "The English build failed" in capsys.readouterr().err


def test_a_second_race_fails_the_build(tmp_path, capsys):
    rc, en_runs, zh_runs = _build(tmp_path, [("built", 0)], [(RACE, 1), (RACE, 1)])
    assert (rc, en_runs, zh_runs) == (1, ["run"], ["run", "run"])
    captured = capsys.readouterr()
    assert "The Chinese build failed" in captured.err and "Address already in use" in captured.out


def test_the_real_commands_are_the_documented_builds():
    # --all: an incremental build's search index loses the index entries of the pages it did not write.
    assert book_build.english()[1:] == ["build", str(book_build.ROOT), "--builder", "html", "-W", "-n", "--keep-going",
                                        "--all"]
    assert book_build.chinese()[1:] == ["-m", "tools.i18n", "html"]
