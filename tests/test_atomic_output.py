"""Atomic output: a killed, refused or out-of-space write never damages the previous file.

``export -o`` and ``build -o`` write through ``export.write_atomic`` (a
temporary ``.NAME.*.tmp`` beside the target, fsync, rename), and ``build``
writes the graph cache into a temporary ``.build-*`` folder that it renames
into place. Here:

- a real ``python -m nhsgraph export -o PATH`` is killed with SIGKILL while
  it is writing its temporary file: PATH keeps its old bytes. A SIGKILLed
  process cannot remove its temporary file, so one may remain beside PATH
  (``*.tmp`` is in ``.gitignore``); the next successful write is unaffected;
- a target that cannot be created (under a regular file, in a missing or
  read-only folder) is exit 2 with a message naming it; the read-only case
  is skipped as root, who can write anywhere;
- a full disk (``OSError(ENOSPC)`` from the write, the fsync or the rename,
  injected in-process) is exit 2 with the errno text, the old file intact and
  no temporary file left;
- a build that fails while writing the cache keeps the previous graph.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nhsgraph import export, store

OLD = b"# the previous export, which must survive\n<urn:a> <urn:b> <urn:c> .\n"


def temps(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.tmp"))


# -- SIGKILL part-way through ----------------------------------------------------------------

def _kill_while_writing(target: Path, deadline: float) -> tuple[bool, int]:
    """Start an export to ``target`` and SIGKILL it once its temp file has bytes in it.

    Returns (caught mid-write, bytes in the temp file when killed).
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "nhsgraph", "export", "--format", "turtle", "-o", str(target)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=target.parent,
    )
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for tmp in temps(target):
                try:
                    size = tmp.stat().st_size
                except FileNotFoundError:
                    continue  # renamed into place between the glob and the stat
                if size > 0:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(10)
                    return True, size
        return False, 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_sigkill_while_writing_leaves_the_previous_file_intact(tmp_path, triples):
    """The subprocess uses the session's graph cache (built by the `triples` fixture)."""
    target = tmp_path / "nhsgraph.ttl"
    deadline = time.monotonic() + 60
    caught = []
    for _attempt in range(3):
        target.write_bytes(OLD)
        for tmp in temps(target):
            tmp.unlink()
        hit, size = _kill_while_writing(target, deadline)
        if hit:
            caught.append(size)
            assert target.read_bytes() == OLD, "the kill damaged the previous file"
            # What a SIGKILL leaves: at most the one temporary file, never a damaged target.
            assert len(temps(target)) <= 1
            break
        # The export finished before the poll saw it writing: then the target must be
        # the complete new export, never a mix.
        assert target.read_bytes() != OLD
        assert target.read_bytes().endswith(b" .\n")
    assert caught, "never caught the export mid-write in 3 tries"


def test_the_next_export_after_a_kill_succeeds_and_replaces_the_file(tmp_path, nhsgraph):
    target = tmp_path / "nhsgraph.nt"
    target.write_bytes(OLD)
    stray = tmp_path / f".{target.name}.killed.tmp"
    stray.write_bytes(b"<urn:half")  # what a SIGKILLed export leaves behind
    result = nhsgraph("export", "--format", "nt", "-o", str(target))
    assert result.code == 0, result.err
    assert target.read_bytes() != OLD and target.read_bytes().endswith(b" .\n")
    assert temps(target) == [stray], "the export left a temporary file of its own"


# -- targets that cannot be written ----------------------------------------------------------

@pytest.mark.parametrize("where", ["under-a-file", "missing-folder"])
def test_an_uncreatable_target_is_exit_2_naming_it(tmp_path, nhsgraph, where):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(OLD)
    target = blocker / "graph.nt" if where == "under-a-file" else tmp_path / "nope" / "graph.nt"
    result = nhsgraph("export", "--format", "nt", "-o", str(target))
    assert result.code == 2
    assert str(target) in result.err and "cannot write" in result.err
    assert "Traceback" not in result.out + result.err
    assert blocker.read_bytes() == OLD


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into a chmod 555 folder anyway; the under-a-file case covers it")
def test_a_read_only_folder_is_exit_2_and_the_old_file_survives(tmp_path, nhsgraph):
    folder = tmp_path / "read-only"
    folder.mkdir()
    target = folder / "graph.ttl"
    target.write_bytes(OLD)
    folder.chmod(0o555)
    try:
        result = nhsgraph("export", "-o", str(target))
    finally:
        folder.chmod(0o755)
    assert result.code == 2
    assert str(target) in result.err and "ermission" in result.err
    assert target.read_bytes() == OLD
    assert temps(target) == []


# -- a full disk -----------------------------------------------------------------------------

class _FullDisk(io.TextIOWrapper):
    """A file that takes the first 64 KB, then fails as a full disk does."""

    written = 0

    def write(self, text: str) -> int:
        room = 65536 - self.written
        if len(text) > room:
            super().write(text[:room])
            super().flush()
            self.written += room
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.written += len(text)
        return super().write(text)


def _fail(call: str):
    def failing(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return failing


@pytest.mark.parametrize("stage", ["write", "fsync", "rename"])
def test_a_full_disk_is_exit_2_and_the_old_file_survives(tmp_path, nhsgraph, monkeypatch, triples,
                                                        stage):
    target = tmp_path / "graph.ttl"
    target.write_bytes(OLD)
    if stage == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, mode="r", *args, **kwargs):
            if "w" not in mode:
                return real_fdopen(fd, mode, *args, **kwargs)
            raw = real_fdopen(fd, "wb")
            return _FullDisk(raw, encoding=kwargs.get("encoding", "utf-8"), newline=kwargs.get("newline"))

        monkeypatch.setattr(export.os, "fdopen", fdopen)
    elif stage == "fsync":
        monkeypatch.setattr(export.os, "fsync", _fail("fsync"))
    else:
        monkeypatch.setattr(export.os, "replace", _fail("replace"))
    result = nhsgraph("export", "--format", "nt", "-o", str(target))
    monkeypatch.undo()
    assert result.code == 2, result.err
    assert str(target) in result.err
    assert "No space left on device" in result.err or "no space" in result.err.lower()
    assert "Traceback" not in result.out + result.err
    assert target.read_bytes() == OLD
    assert temps(target) == [], "a failed write left its temporary file"


# -- build: -o, and the graph cache ------------------------------------------------------------

@pytest.fixture
def quick_build(monkeypatch, tmp_path, triples):
    """`nhsgraph build` in a private cache, compiling from the session's triples (no ingest)."""
    monkeypatch.setenv("NHSGRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(store, "compile_graph", lambda: list(triples))
    return tmp_path / "cache"


def test_build_o_into_an_uncreatable_target_is_exit_2(quick_build, tmp_path, nhsgraph):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(OLD)
    result = nhsgraph("build", "-o", str(blocker / "graph.ttl"))
    assert result.code == 2
    assert str(blocker / "graph.ttl") in result.err
    assert blocker.read_bytes() == OLD


def _graph_folder(cache: Path) -> Path:
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    return folder


def _full_disk_on_graph_file(monkeypatch):
    real_open = Path.open

    def open_(self, mode="r", *args, **kwargs):
        if self.name == store.GRAPH_FILE and "w" in mode:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def test_a_full_disk_during_build_keeps_the_previous_graph(quick_build, nhsgraph, monkeypatch):
    assert nhsgraph("build").code == 0
    folder = _graph_folder(quick_build)
    before = (folder / store.GRAPH_FILE).read_bytes()
    _full_disk_on_graph_file(monkeypatch)
    result = nhsgraph("build")
    monkeypatch.undo()
    assert result.code != 0
    assert "Traceback" not in result.out + result.err
    assert (folder / store.GRAPH_FILE).read_bytes() == before
    assert len(store.EmbeddedGraph(folder).store()) > 1000
    assert not [p for p in quick_build.iterdir() if p.name.startswith(".build-")], "a half-built cache"


def test_a_full_disk_during_build_is_exit_2_saying_so(quick_build, nhsgraph, monkeypatch):
    _full_disk_on_graph_file(monkeypatch)
    result = nhsgraph("build")
    assert result.code == 2, result.err
    assert "No space left on device" in result.err


def test_a_failed_swap_during_build_keeps_the_previous_graph(quick_build, nhsgraph, monkeypatch):
    assert nhsgraph("build").code == 0
    folder = _graph_folder(quick_build)
    before = (folder / store.GRAPH_FILE).read_bytes()
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(src).name.startswith(".build-"):
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(store.os, "replace", replace)
    nhsgraph("build")
    monkeypatch.undo()
    assert (folder / store.GRAPH_FILE).is_file(), "the previous graph is gone"
    assert (folder / store.GRAPH_FILE).read_bytes() == before


# -- file mode ---------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path, umask):
    target = tmp_path / "out.ttl"
    old = os.umask(umask)
    try:
        export.write_atomic(target, "<urn:a> <urn:b> <urn:c> .\n")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "out.ttl"
    target.write_bytes(OLD)
    target.chmod(0o640)
    export.write_atomic(target, "<urn:a> <urn:b> <urn:c> .\n")
    assert target.stat().st_mode & 0o777 == 0o640
