"""The nhsgraph benchmark: ``python -m benchmarks.run [--quick] [--sizes 1e5,1e6,1e7]``.

Prints Markdown tables of medians over repeated runs, with peak RSS, and
whether each target of issue 6 is met. Not a test: nothing fails, it measures.

What runs (see benchmarks/README.md for the method):

1. the embedded (real) graph, which the CLI loads from the cached N-Triples
   into an in-memory Oxigraph store: cold ``nhsgraph query`` of every canned
   query as a whole process, against ``python -c "import rdflib"``; where the
   time of a cold query goes, beside the on-disk alternative (an Oxigraph store
   of the same N-Triples, built once per run, opened read-only); warm
   in-process queries in memory (the target) and on disk; ``nhsgraph build``,
   ``validate`` and ``export``;
2. synthetic graphs (benchmarks/synthetic.py) at each size: generation;
   loading the prepared N-Triples into memory and opening a prepared on-disk
   store (nhsgraph's path below and above ``store.DISK_STORE_BYTES``); every canned query on pyoxigraph in memory vs
   rdflib's memory store vs Jena ARQ in memory (the ratios and targets), and on
   the on-disk store; validation (``nhsgraph validate``'s path; stock pySHACL
   as it ran before; Jena SHACL).

Every measurement runs in a fresh child process (benchmarks/worker.py, the
CLI, or the JVM), timed from outside; peak RSS is the child's ``ru_maxrss``
from ``os.wait4``. Every query execution has its own time limit, the warm-up
included; a query past it, or a crash, costs only that query: the runner
records it and starts the measurement again without it (:func:`resumable`).
A section that fails is reported and the run goes on; ``--markdown`` and
``--json`` are rewritten after every section, so a run that stops part-way
leaves what it measured. ``--quick`` (1e5 only, fewer repeats, shorter time
limits, no Jena, no full pySHACL runs) finishes in under two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"
PY = sys.executable
NHSGRAPH = str(Path(PY).with_name("nhsgraph"))
JENA = str(BENCH / "jena-arq")
TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None  # GNU time, for peak RSS

# -- targets of issue 6 ---------------------------------------------------------------------
COLD_FACTOR, COLD_FLOOR = 2.0, 0.5       # cold query <= max(2 x import rdflib, 0.5 s)
WARM_MAX = 0.020                         # warm query < 20 ms
LOAD_MAX_1E6 = 2.0                       # load from prepared store < 2 s at 1e6
RDFLIB_RATIO_1E6 = 10.0                  # >= 10x faster than rdflib at 1e6
VALIDATE_MAX_1E6 = 60.0                  # validation of 1e6 < 60 s
BUILD_VALIDATE_MAX = 10.0                # build + validate of the real graph < 10 s
MEM_LIMIT_GB = 18                        # address-space cap of the rdflib/pySHACL workers
BIG = 5_000_000                          # from this size: fewer cold loads, no rdflib


@dataclass
class Config:
    quick: bool
    sizes: list[int]
    cold_repeats: int
    warm_repeats: int
    repeats: int          # synthetic queries: runs after the warm-up
    slow: float           # a first run at least this long is the only sample
    query_timeout: float  # per query execution, every engine
    jena: bool
    pyshacl_full_max: int  # run stock pySHACL only up to this size
    validate_timeout: float
    workdir: Path
    jena_max: float = float("inf")  # run Jena only up to this many triples


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    code: int | None
    out: str
    err: str
    timed_out: bool = False


def run(argv: list[str], timeout: float | None = None, env: dict[str, str] | None = None,
        cwd: Path = REPO) -> Run:
    """Run a child process, timed from outside; on timeout, kill it and its children.

    Its peak RSS comes from GNU time, which starts it from a small process: a
    process started straight from this runner would report the runner's own peak
    RSS as its ``ru_maxrss`` if that is larger (Linux carries it over on exec).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as peak:
        cmd = [TIME, "-f", "%M", "-o", peak.name, *argv] if TIME else argv
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env or os.environ.copy(),
                                start_new_session=True)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: the child is in its own session, so end it here
            kill()
            raise
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        last = _last_line(peak.read())
        rss_kb = int(last) if TIME and last.isdigit() else (0 if TIME else usage.ru_maxrss)
        out.seek(0)
        err.seek(0)
        return Run(wall, usage.ru_utime + usage.ru_stime, rss_kb / 1024, proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   fired.is_set())


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1][:200] if lines else ""


def resumable(argv_for: Callable[[list[str]], list[str]], timeout: float, limit: float | None,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a measurement that reports as benchmarks/worker.py does, to its end.

    ``argv_for(skip)`` is the command that measures all but the keys in ``skip``.
    Returns the facts it reported merged into one dict, its measurements by key
    under ``"queries"``, ``wall_s`` and ``cpu_s`` (summed over its processes) and
    ``peak_rss_mb`` (the largest). If a process ends before it is done, the key it
    was measuring is recorded as a timeout (past its hard limit ``limit``) or a
    crash, and the measurement starts again without it; if no key was running
    (it failed while loading), ``"error"`` says why and it stops there.
    """
    data: dict[str, Any] = {"queries": {}, "wall_s": 0.0, "cpu_s": 0.0, "peak_rss_mb": 0.0,
                            "restarts": 0}
    skip: list[str] = []
    while True:
        r = run(argv_for(skip), timeout=timeout, env=env)
        data["wall_s"] += r.wall
        data["cpu_s"] += r.cpu
        data["peak_rss_mb"] = max(data["peak_rss_mb"], r.rss_mb)
        running, done = None, False
        for line in r.out.splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            if "running" in obj:
                running = obj["running"]
            elif "result" in obj:
                data["queries"][obj.pop("result")] = obj
                running = None
            elif obj.get("done"):
                done = True
            else:
                data.update(obj)
        if done:
            return data
        if r.timed_out:
            why: dict[str, Any] = {"error": f"stopped at the process limit of {timeout:g} s"}
        elif "Timeout (" in r.err and limit is not None:
            why = {"error": f"timeout {limit:g} s", "timeout": limit}
        else:
            why = {"error": f"crashed (exit {r.code}: {_last_line(r.err)})"}
        if running is None:
            data["error"] = why["error"]
            return data
        data["queries"][running] = why
        skip.append(running)
        data["restarts"] += 1


def worker(task: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
    """A benchmarks.worker task in fresh processes (see :func:`resumable`)."""
    return resumable(lambda skip: [PY, "-m", "benchmarks.worker", task,
                                   json.dumps({**args, "skip": skip})],
                     timeout, args.get("timeout"))


def repeat(argv: list[str], n: int, timeout: float = 120) -> dict[str, Any]:
    """Median wall and CPU time and the largest peak RSS of ``n`` cold runs."""
    runs = [run(argv, timeout=timeout) for _ in range(n)]
    bad = [r for r in runs if r.code != 0]
    return {
        "median": statistics.median(r.wall for r in runs),
        "min": min(r.wall for r in runs),
        "cpu": statistics.median(r.cpu for r in runs),
        "rss_mb": max(r.rss_mb for r in runs),
        "n": n,
        "error": (f"exit {bad[0].code}: " + _last_line(bad[0].err)[:160]) if bad else None,
    }


def median_of(runs: list[dict[str, Any]], *keys: str) -> float | None:
    """The median over ``runs`` of the sum of ``keys`` (runs that lack one are left out)."""
    values = [sum(r[k] for k in keys) for r in runs if all(r.get(k) is not None for k in keys)]
    return statistics.median(values) if values else None


# -- formatting ---------------------------------------------------------------------------------


def s(x: float | None) -> str:
    if x is None:
        return "–"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def mb(x: float | None) -> str:
    return "–" if not x else f"{x:,.0f} MB"


def table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ok(m: dict[str, Any] | None) -> bool:
    return bool(m) and not m.get("error")


def median(m: dict[str, Any] | None) -> float | None:
    return m["median"] if ok(m) and "median" in m else None


def ratio(slow: dict[str, Any] | None, fast: dict[str, Any] | None) -> str:
    """``slow`` time ÷ ``fast`` time; a lower bound when ``slow`` timed out."""
    f = median(fast)
    if f and slow and slow.get("timeout"):
        return f"> {slow['timeout'] / f:,.0f}×"
    sl = median(slow)
    if not sl or not f:
        return "–"
    r = sl / f
    return f"{r:,.1f}×" if r >= 1 else f"{r:.2g}×"


def cell(m: dict[str, Any] | None) -> str:
    """A query measurement: median (n) or what went wrong."""
    if not m:
        return "–"
    if m.get("error"):
        return "timeout" if m.get("timeout") else "error"
    return s(m["median"]) + (f" (n={m['n']})" if m.get("n", 0) < 2 else "")


def error_note(m: dict[str, Any]) -> str:
    return f" ({m['error']})" if m.get("error") else ""


class Report:
    """The Markdown parts and targets so far, written out after every part."""

    def __init__(self, markdown: Path | None, json_path: Path | None) -> None:
        self.parts: list[str] = []
        self.targets: list[tuple[str, str, str]] = []  # (target, verdict, why)
        self.data: dict[str, Any] = {}
        self.markdown, self.json_path = markdown, json_path
        self.finished = False

    def add(self, text: str) -> None:
        self.parts.append(text)
        print(text + "\n", flush=True)
        self.save()

    def target(self, what: str, met: bool | None, why: str) -> None:
        verdict = "met" if met else ("not measured" if met is None else "NOT MET")
        self.targets.append((what, verdict, why))

    def targets_table(self) -> str:
        return table(["target", "verdict", "measured"], [[a, f"**{b}**", c] for a, b, c in self.targets])

    def save(self) -> None:
        if self.markdown:
            parts = list(self.parts)
            if not self.finished:
                parts.append("## Targets so far (the run has not finished)\n\n" + self.targets_table())
            self.markdown.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        if self.json_path:
            self.data["targets"] = self.targets
            self.json_path.write_text(json.dumps(self.data, indent=1, default=str), encoding="utf-8")


# -- environment ----------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def environment() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass

    def version(mod: str) -> str:
        try:
            from importlib.metadata import version as v

            return v(mod)
        except Exception:
            return "not installed"

    jena = "not installed"
    if Path("/usr/share/java/jena-arq.jar").exists() and shutil.which("java"):
        r = run([JENA, "--version"], timeout=60)
        jena = (r.out.strip().splitlines() or ["?"])[0].replace("Jena:       VERSION:", "").strip()
    java = run(["java", "-version"], timeout=60).err.splitlines()[0] if shutil.which("java") else "–"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True,
                           text=True).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "nproc": str(os.cpu_count()), "memory": mem,
        "os": platform.platform(), "python": platform.python_version(),
        "pyoxigraph": version("pyoxigraph"), "rdflib": version("rdflib"),
        "pyshacl": version("pyshacl"), "oxrdflib": version("oxrdflib"),
        "jena": jena, "java": java,
        "commit": commit + (" + uncommitted changes" if dirty else ""),
        "load_average_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- sections ---------------------------------------------------------------------------------------


def section_embedded(cfg: Config, rep: Report) -> None:
    from benchmarks.common import cli_args, sample_params
    from nhsgraph import queries, store

    cat = queries.catalogue()
    rep.data["catalogue"] = sorted(cat)
    # Build once so that every cold query below finds the cache current.
    t0 = time.perf_counter()
    embedded = store.build()
    first_build = time.perf_counter() - t0
    before = store.fingerprint()

    base = {
        "python -c pass": repeat([PY, "-c", "pass"], cfg.cold_repeats),
        'python -c "import rdflib"': repeat([PY, "-c", "import rdflib"], cfg.cold_repeats),
        'python -c "import pyoxigraph"': repeat([PY, "-c", "import pyoxigraph"], cfg.cold_repeats),
        "nhsgraph --version": repeat([NHSGRAPH, "--version"], cfg.cold_repeats),
        "nhsgraph query --list": repeat([NHSGRAPH, "query", "--list"], cfg.cold_repeats),
    }
    limit = max(COLD_FACTOR * base['python -c "import rdflib"']["median"], COLD_FLOOR)
    cold = {}
    for name, query in cat.items():
        cold[name] = repeat([NHSGRAPH, *cli_args(name, sample_params(query))], cfg.cold_repeats)
    rebuilt = store.fingerprint() != before
    rep.data["cold"] = {"baselines": base, "queries": cold, "limit": limit,
                        "first_build_s": first_build, "inputs_changed_during_run": rebuilt}

    rows = [[k, s(v["median"]), s(v["min"]), s(v["cpu"]), mb(v["rss_mb"]), ""]
            for k, v in base.items()]
    misses = []
    for name, v in cold.items():
        met = v["error"] is None and v["median"] <= limit
        if not met:
            misses.append(name)
        rows.append([f"`nhsgraph query {name}`", s(v["median"]), s(v["min"]), s(v["cpu"]),
                     mb(v["rss_mb"]), ("met" if met else "not met") + (f" ({v['error']})" if v["error"] else "")])
    rep.add(f"### Cold start on the embedded graph (whole process, n={cfg.cold_repeats} each) "
            f"[load average {load_average()}]\n\n"
            "Each `nhsgraph query` loads the cached N-Triples (graph.nt) into an in-memory "
            "Oxigraph store, then runs the query. "
            f"Target: median ≤ max(2 × `import rdflib`, 0.5 s) = **{s(limit)}**. "
            f"Making sure the cache is current before timing took {s(first_build)}"
            + ("; **the inputs changed during the run**, so some calls rebuilt the graph." if rebuilt else ".")
            + "\n\n" + table(["command", "median wall", "min wall", "median CPU", "peak RSS", "target"], rows))
    cpu_limit = max(COLD_FACTOR * base['python -c "import rdflib"']["cpu"], COLD_FLOOR)
    cpu_misses = [n for n, v in cold.items() if v["error"] or v["cpu"] > cpu_limit]
    rep.target("cold `nhsgraph query` ≤ max(2× import rdflib, 0.5 s)", not misses,
               f"limit {s(limit)}; " + (f"missed by {', '.join(misses)}" if misses else
                                        f"slowest {s(max(v['median'] for v in cold.values()))}")
               + f". On CPU time (user + sys, less sensitive to other load) with limit {s(cpu_limit)}: "
               + (f"missed by {', '.join(cpu_misses)}" if cpu_misses else "all met"))

    # The on-disk alternative, built once for this run from the same N-Triples.
    disk = cfg.workdir / "embedded-store"
    prep = worker("prepare", {"nt": str(embedded.ntriples), "store": str(disk)}, 600)
    rep.data["embedded_disk_store"] = prep

    # Where the time goes (one process per query, in-process phase timers).
    phases = {name: worker("phases", {"name": name, "disk": str(disk), "timeout": cfg.query_timeout},
                           120 + 3 * cfg.query_timeout) for name in cat}
    rep.data["phases"] = phases
    keys = ["import_cli_s", "import_modules_s", "catalogue_s", "fingerprint_s", "open_store_s",
            "bind_s", "query_s", "format_s", "total_in_process_s", "disk_open_s", "disk_query_s"]
    rows = [[name + error_note(p)] + [s(p.get(k)) for k in keys] for name, p in phases.items()]
    imports = run([PY, "-X", "importtime", "-c", "import nhsgraph.cli, nhsgraph.store, "
                   "nhsgraph.queries, nhsgraph.engine, nhsgraph.results"], timeout=120)
    top = _import_top(imports.err)
    rep.data["imports"] = top
    rep.add("### Where the time of a cold query goes (one fresh process per query, in-process timers)\n\n"
            "Interpreter start-up is `python -c pass` above. `open_store` is what the CLI does: a "
            "second input fingerprint, then loading graph.nt into an in-memory store; `query` runs "
            "as the CLI runs it, with its default deadline (in a forked child). The last two "
            "columns time the alternative that memory replaced: an on-disk Oxigraph store of the same "
            f"graph.nt (built once for this run by bulk load + optimise in {s(prep.get('total_s'))}"
            + error_note(prep) + "), opened read-only, and the same query on it.\n\n"
            + table(["query", "import cli+click", "import rest", "read catalogue", "fingerprint",
                     "open_store (load graph.nt in memory)", "bind", "query", "format", "total",
                     "alternative: open on-disk store", "query on disk"], rows)
            + "\n\nLargest imports (`python -X importtime`, cumulative):\n\n"
            + table(["module", "cumulative"], [[m, s(t)] for m, t in top]))

    # Warm, in-process.
    warm = worker("warm", {"disk": str(disk), "repeats": cfg.warm_repeats, "slow": 5.0,
                           "timeout": cfg.query_timeout}, 1800)
    rep.data["warm"] = warm
    measured = warm["queries"]
    rows, misses = [], []
    for name in sorted(cat):
        m, d = measured.get(f"memory/{name}"), measured.get(f"disk/{name}")
        met = ok(m) and m["median"] < WARM_MAX
        if not met:
            misses.append(f"{name} ({cell(m)})")
        rows.append([name, cell(m), s((m or {}).get("first")), (m or {}).get("rows", "–"),
                     "met" if met else "not met", cell(d), ratio(d, m)])
    rep.add(f"### Warm canned queries on the embedded graph (in-process: bind + run; "
            f"median of {cfg.warm_repeats} after one warm-up)\n\n"
            "The target applies to the in-memory store the CLI uses (graph.nt loaded in "
            f"{s(warm.get('memory_load_s'))}); the last two columns run the same calls on the "
            f"on-disk store (opened in {s(warm.get('disk_open_s'))}); disk ÷ memory above 1 means "
            "memory is faster." + error_note(warm) + "\n\n"
            + table(["query", "in memory (CLI)", "first run", "rows", "target < 20 ms",
                     "on-disk store", "disk ÷ memory"], rows))
    rep.target("warm canned queries < 20 ms median (in memory, as the CLI)", not misses and bool(rows),
               "missed by " + ", ".join(misses) if misses else "all under 20 ms")


def _import_top(text: str, n: int = 12) -> list[tuple[str, float]]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:"):].split("|")]
        try:
            cumulative = int(parts[1]) / 1e6
        except ValueError:
            continue
        name = parts[2]
        if name.startswith("  ") or parts[2] != parts[2].lstrip():
            continue
        rows.append((name.strip(), cumulative))
    return sorted(rows, key=lambda r: -r[1])[:n]


def _steps(v: dict[str, Any]) -> str:
    if v.get("error"):
        return v["error"]
    parts = [f"{k[:-2].replace('_', ' ')} {s(v[k])}" for k in
             ("parse_s", "to_rdflib_s", "oxigraph_store_s", "sparql_targets_s", "pyshacl_s") if k in v]
    return "in one process: " + ", ".join(parts) + f"; results {v.get('results')}"


def section_real_graph(cfg: Config, rep: Report) -> None:
    from nhsgraph import store

    n = 1 if cfg.quick else 3
    build = repeat([NHSGRAPH, "build"], n, timeout=1800)
    breakdown = {} if cfg.quick else worker("build-breakdown", {}, 1800)
    out = cfg.workdir / "export"
    out.mkdir(parents=True, exist_ok=True)
    exports = {fmt: repeat([NHSGRAPH, "export", "--format", fmt, "-o", str(out / f"graph.{fmt}")], n)
               for fmt in ("turtle", "nt", "jsonld")}
    embedded = store.build()
    triples = sum(1 for _ in embedded.ntriples.open("rb"))
    validate = repeat([NHSGRAPH, "validate"], n, timeout=cfg.validate_timeout)
    if validate["error"] and validate["error"].startswith("exit 1"):
        validate["error"] = None  # exit 1 = it ran and found violations
    steps = {} if cfg.quick else worker("validate", {"nt": str(embedded.ntriples), "steps": True},
                                        cfg.validate_timeout)
    rep.data["real"] = {"build": build, "breakdown": breakdown, "exports": exports,
                        "validate": validate, "validate_steps": steps, "triples": triples}
    rows = [
        ["`nhsgraph build` (forced rebuild)", s(build["median"]), s(build["cpu"]), mb(build["rss_mb"]),
         (f"in one process: import {s(breakdown.get('import_s'))}, ingest (compile_graph) "
          f"{s(breakdown.get('compile_graph_s'))}, write N-Triples {s(breakdown.get('write_nt_s'))} "
          "(all the cache holds: no store is written)" + error_note(breakdown)) if breakdown else ""],
        ["`nhsgraph validate`", s(validate.get("median")), s(validate.get("cpu")),
         mb(validate.get("rss_mb")), validate.get("error") or (_steps(steps) if steps else "")],
    ]
    for fmt, m in exports.items():
        rows.append([f"`nhsgraph export --format {fmt}`", s(m["median"]), s(m["cpu"]), mb(m["rss_mb"]),
                     m["error"] or ""])
    rep.add(f"### Build, validate and export of the real graph ({triples:,} triples; cold processes, "
            f"n={n}) [load average {load_average()}]\n\n"
            + table(["command", "median wall", "CPU", "peak RSS", "notes"], rows))
    if validate.get("median") is not None and not validate.get("error"):
        total = build["median"] + validate["median"]
        rep.target("build + validate of the real graph < 10 s", total < BUILD_VALIDATE_MAX,
                   f"{s(build['median'])} + {s(validate['median'])} = {s(total)} (wall; CPU "
                   f"{s(build['cpu'])} + {s(validate['cpu'])} = {s(build['cpu'] + validate['cpu'])})")
    else:
        rep.target("build + validate of the real graph < 10 s", False,
                   f"`nhsgraph validate`: {validate.get('error')}")
    if not cfg.quick:
        targets = worker("targets-rdflib", {"nt": str(embedded.ntriples), "timeout": cfg.validate_timeout / 2},
                         cfg.validate_timeout * 4)
        rep.data["real"]["targets"] = targets
        measured = targets["queries"]
        names = sorted({key.split("/", 1)[1] for key in measured},
                       key=lambda n: -(median(measured.get(f"rdflib/{n}")) or 1e9))
        rows = [[name, cell(measured.get(f"rdflib/{name}")), cell(measured.get(f"oxigraph/{name}")),
                 ratio(measured.get(f"rdflib/{name}"), measured.get(f"oxigraph/{name}")),
                 measured.get(f"oxigraph/{name}", {}).get("rows", "–")] for name in names]
        rep.add("### Why validation needs Oxigraph: the shapes' SPARQL targets on rdflib (as stock "
                "pySHACL runs them) and on Oxigraph in memory (real graph, one run each)"
                + error_note(targets) + "\n\n"
                + table(["shape", "rdflib", "Oxigraph", "ratio", "focus nodes"], rows))


def size_label(size: int) -> str:
    """100000 -> "1e5"."""
    return f"{size:.0e}".replace("e+0", "e")


def section_synthetic(cfg: Config, rep: Report, size: int, jena_ok: bool) -> None:
    from benchmarks.synthetic import generate

    label = size_label(size)
    work = cfg.workdir / label
    work.mkdir(parents=True, exist_ok=True)
    nt = work / "synthetic.nt"
    st = work / "store"
    qdir = work / "queries"
    t0 = time.perf_counter()
    stats = generate(size, nt)
    gen = time.perf_counter() - t0
    triples = stats["triples"]
    d: dict[str, Any] = {"generate_s": gen, "stats": stats, "file_mb": nt.stat().st_size / 1e6}
    rep.data.setdefault("synthetic", {})[label] = d
    big = size >= BIG
    n_cold = min(cfg.cold_repeats, 3) if big else cfg.cold_repeats
    limits = {"repeats": cfg.repeats, "slow": cfg.slow, "timeout": cfg.query_timeout}

    # Loading, cold: the prepared N-Triples into memory, and an on-disk store
    # prepared from them (nhsgraph's paths for small and large graphs).
    d["prepare"] = prep = worker("prepare", {"nt": str(nt), "store": str(st)}, 7200)
    d["load_memory"] = loads = [worker("load", {"nt": str(nt), "timeout": cfg.query_timeout}, 3600)
                                for _ in range(n_cold)]
    d["open_disk"] = opens = [worker("load", {"store": str(st), "timeout": cfg.query_timeout}, 600)
                              for _ in range(n_cold)]
    load_med, open_med = median_of(loads, "load_s"), median_of(opens, "load_s")

    # Every canned query on every engine; pyoxigraph in memory writes the query texts first.
    d["oxigraph_memory"] = om = worker("oxigraph", {"nt": str(nt), "qdir": str(qdir), **limits}, 14400)
    d["oxigraph_disk"] = od = worker("oxigraph", {"store": str(st), **limits}, 14400)
    if big:
        d["rdflib"] = rd = {"error": "skipped: rdflib at 10^7 triples needs ~15 GB and ~10 min "
                                     "just to parse; not feasible in this run", "queries": {}}
    else:
        d["rdflib"] = rd = worker("rdflib", {"nt": str(nt), "qdir": str(qdir), "mem_limit_gb": MEM_LIMIT_GB,
                                             **limits}, 14400)
    if size > cfg.jena_max:
        jena_ok = False
    jn: dict[str, Any] = {"error": "not run (--quick)" if cfg.quick else (
        f"not run at this size (--jena-max {cfg.jena_max:,.0f})" if size > cfg.jena_max
        else "Jena not installed"), "queries": {}}
    if cfg.jena and jena_ok:
        jn = jena_queries(cfg, nt, qdir, size)
    d["jena"] = jn

    def loaded(runs: list[dict[str, Any]], what: str) -> str:
        errors = [r["error"] for r in runs if r.get("error")]
        return (f"import + {what} {s(median_of(runs, 'import_s', 'load_s'))}; first query "
                f"(organisations-at) after it {s(median_of(runs, 'first_query_s'))}; whole process "
                f"{s(median_of(runs, 'wall_s'))}" + (f"; errors: {errors[0]}" if errors else ""))

    # nhsgraph loads graph.nt into memory up to store.DISK_STORE_BYTES, and opens an
    # on-disk store above it: the verdict is on the path it takes at this size.
    from nhsgraph.store import DISK_STORE_BYTES

    on_disk = nt.stat().st_size > DISK_STORE_BYTES
    d["nhsgraph_path"] = "disk" if on_disk else "memory"
    limit_mb = DISK_STORE_BYTES / 2**20
    rows = [
        ["generate (benchmarks/synthetic.py)", s(gen), "–", f"{d['file_mb']:,.0f} MB N-Triples"],
        [(f"load the prepared N-Triples into memory (pyoxigraph `Store.load`, lenient: "
          f"nhsgraph's path up to {limit_mb:.0f} MB; n={n_cold})"), s(load_med),
         mb(max((r.get("rss_after_load_mb", 0) for r in loads), default=0)), loaded(loads, "load")],
        [f"open the prepared on-disk store read-only (nhsgraph's path above {limit_mb:.0f} MB; "
         f"n={n_cold})", s(open_med),
         mb(max((r.get("rss_after_load_mb", 0) for r in opens), default=0)), loaded(opens, "open")],
        ["prepare that on-disk store (bulk_load + optimize)", s(prep.get("total_s")),
         mb(prep.get("peak_rss_mb")), f"{prep.get('disk_mb', 0):,.0f} MB on disk" + error_note(prep)],
        ["rdflib memory store: parse N-Triples", s(rd.get("load_s")), mb(rd.get("rss_after_load_mb")),
         rd.get("error", "")],
        ["Jena: load N-Triples into an in-memory model (JVM start excluded)", s(jn.get("load_s")),
         mb(jn.get("peak_rss_mb")), jn.get("error", "") or "peak RSS is the whole JVM run"],
    ]
    rep.add(f"### Synthetic graph {label}: {triples:,} triples "
            f"[load average {load_average()}] "
            f"({', '.join(f'{k[5:]} {v:,}' for k, v in stats.items() if k.startswith('orgs_'))} organisations)\n\n"
            "Peak RSS of a load is the process's right after it.\n\n"
            + table(["step", "time", "peak RSS", "notes"], rows))
    if label == "1e6":
        path = (f"{d['file_mb']:,.0f} MB of N-Triples is over {limit_mb:.0f} MB, so nhsgraph opens its "
                "on-disk store" if on_disk else
                f"{d['file_mb']:,.0f} MB of N-Triples is within {limit_mb:.0f} MB, so nhsgraph loads it "
                "into memory")
        path_med = open_med if on_disk else load_med
        rep.target("1e6: load from the prepared store < 2 s", path_med is not None and path_med < LOAD_MAX_1E6,
                   f"{path}: open {s(open_med)} (first query after it "
                   f"{s(median_of(opens, 'first_query_s'))}); in-memory load {s(load_med)} "
                   f"(first query after it {s(median_of(loads, 'first_query_s'))})")

    # Queries: every engine in memory (the ratios and targets), and pyoxigraph on disk.
    oq, dq, rq, jq = om["queries"], od["queries"], rd["queries"], jn["queries"]
    rows, slow_vs_rdflib, slow_vs_jena, not_compared, mismatched = [], [], [], [], []
    disk_misses: list[str] = []
    for name in sorted(set(oq) | set(dq) | set(rq) | set(jq)):
        o, dk, r, j = oq.get(name), dq.get(name), rq.get(name), jq.get(name)
        counts = [x["rows"] for x in (o, r, j, dk) if ok(x) and "rows" in x]
        same = len(set(counts)) <= 1
        if not same:
            mismatched.append(name)
        rows.append([name, cell(o), cell(r), ratio(r, o), cell(j), ratio(j, o), cell(dk), ratio(dk, o),
                     " / ".join(str(x.get("rows", "–")) if x else "–" for x in (o, r, j, dk))
                     + ("" if same else " **≠**")])
        om_ = median(o)
        if om_ is None:
            slow_vs_rdflib.append(f"{name} (pyoxigraph {cell(o)})")
            slow_vs_jena.append(f"{name} (pyoxigraph {cell(o)})")
            continue
        if ok(r):
            if r["median"] / om_ < RDFLIB_RATIO_1E6:
                slow_vs_rdflib.append(f"{name} ({ratio(r, o)})")
        elif r and r.get("timeout"):
            if r["timeout"] / om_ < RDFLIB_RATIO_1E6:
                slow_vs_rdflib.append(f"{name} (rdflib timed out: only {ratio(r, o)} known)")
        elif r:
            not_compared.append(f"{name} (rdflib {r['error']})")
        if ok(j):
            if om_ > j["median"]:
                slow_vs_jena.append(f"{name} ({s(om_)} vs {s(j['median'])})")
        elif j and not j.get("timeout"):
            not_compared.append(f"{name} (Jena {j['error']})")
        dm = median(dk)
        if dm is None:
            disk_misses.append(f"{name} (on disk {cell(dk)})")
        elif (ok(r) and r["median"] / dm < RDFLIB_RATIO_1E6) or (ok(j) and dm > j["median"]):
            disk_misses.append(f"{name} ({s(dm)}: rdflib {ratio(r, dk)}, Jena {ratio(j, dk)})")
    d["mismatched_rows"] = mismatched
    notes = "".join(f"\n\n{w}: {e}" for w, e in (("pyoxigraph in memory", om.get("error")),
                                                  ("pyoxigraph on disk", od.get("error")),
                                                  ("rdflib", rd.get("error")), ("Jena", jn.get("error")))
                    if e)
    rep.add(f"#### Canned queries at {label} (median after a warm-up; n=1 when the first run took ≥ {cfg.slow:g} s; "
            f"time limit {cfg.query_timeout:g} s per execution)\n\n"
            "rdflib and Jena run in memory, and so does pyoxigraph in the first column (the N-Triples "
            "loaded as nhsgraph loads its cache): the ratios and the targets compare these. Ratios are "
            "engine time ÷ pyoxigraph in-memory time (higher = pyoxigraph faster; \"> N×\" when the "
            "engine timed out). The last columns run pyoxigraph on the prepared on-disk store instead."
            + notes + "\n\n"
            + table(["query", "pyoxigraph (memory)", "rdflib memory", "rdflib ÷ ox", "Jena ARQ (memory)",
                     "Jena ÷ ox", "pyoxigraph (disk)", "disk ÷ memory",
                     "rows ox / rdflib / Jena / ox disk"], rows))
    if label == "1e6":
        rep.target("1e6: each canned query ≥ 10× faster than rdflib's memory store "
                   "(pyoxigraph in memory)",
                   not slow_vs_rdflib if rq else None,
                   ("below 10×: " + ", ".join(slow_vs_rdflib)) if slow_vs_rdflib else
                   ("rdflib not measured" if not rq else "all ≥ 10× (a timeout counts as limit ÷ pyoxigraph)"))
        rep.target("1e6: each canned query at least as fast as Jena ARQ in memory (JVM start excluded; "
                   "pyoxigraph in memory)",
                   (not slow_vs_jena) if jq else None,
                   ("slower than Jena: " + ", ".join(slow_vs_jena)) if slow_vs_jena else
                   ("Jena not measured" if not jq else "all at least as fast"))
        rep.target("1e6: the same two targets on the on-disk store (the path nhsgraph takes at this size)"
                   if on_disk else "1e6: the same two targets on the on-disk store (the alternative)",
                   not disk_misses if (rq or jq) else None,
                   ("missed by " + ", ".join(disk_misses)) if disk_misses else "all met")
        if not_compared:
            rep.target("1e6: queries that could not be compared", None, ", ".join(not_compared))

    validation_section(cfg, rep, d, label, size, nt, jena_ok)


def jena_queries(cfg: Config, nt: Path, qdir: Path, size: int) -> dict[str, Any]:
    env = os.environ.copy()
    env["JAVA_OPTS"] = f"-Xmx{'14g' if size >= BIG else '6g'} -XX:+UseParallelGC"
    limit = int(cfg.query_timeout)
    return resumable(lambda skip: [JENA, "--class", str(BENCH / "JenaBench.java"), str(nt), str(qdir),
                                   str(cfg.repeats), str(cfg.slow), str(limit), ",".join(skip)],
                     14400, limit, env=env)


def validation_section(cfg: Config, rep: Report, d: dict[str, Any], label: str, size: int,
                       nt: Path, jena_ok: bool) -> None:
    rows = []
    big = size >= BIG
    timeout = cfg.validate_timeout * (3 if big else 1)
    v = worker("validate", {"nt": str(nt), "steps": not (big or cfg.quick), "mem_limit_gb": MEM_LIMIT_GB},
               timeout)
    d["validate"] = v
    rows.append(["`nhsgraph validate` path (validate_triples: SPARQL targets in Oxigraph, then pySHACL)",
                 s(v.get("total_s")) if ok(v) else v["error"], mb(v.get("peak_rss_mb")),
                 _steps(v) if ok(v) else ""])
    if size <= cfg.pyshacl_full_max:
        stock = worker("pyshacl-stock", {"nt": str(nt)}, cfg.validate_timeout)
    elif cfg.quick:
        stock = {"error": "not run (--quick)"}
    elif size <= 100_000:
        stock = {"error": f"not run (--stock-pyshacl-max {cfg.pyshacl_full_max:,})"}
    else:
        stock = {"error": "not run: its SPARQL targets grow with the square of the records "
                          "(see the 1e5 run and the target table); hours at this size"}
    d["pyshacl_stock"] = stock
    rows.append(["stock pySHACL, all shapes (SPARQL targets in rdflib; the path before)",
                 s(stock.get("total_s")) if ok(stock) else stock["error"],
                 mb(stock.get("peak_rss_mb")),
                 (f"rdflib parse {s(stock.get('rdflib_parse_s'))}, pySHACL {s(stock.get('pyshacl_s'))}; "
                  f"results {stock.get('results')}") if ok(stock) else ""])
    if cfg.jena and jena_ok:
        shapes = cfg.workdir / "shapes-all.ttl"
        if not shapes.exists():
            from nhsgraph.validate import shapes_graph

            shapes.write_text(shapes_graph().serialize(format="turtle"), encoding="utf-8")
        env = os.environ.copy()
        env["JAVA_OPTS"] = f"-Xmx{'14g' if big else '6g'} -XX:+UseParallelGC"
        r = run([JENA, "--class", "shacl.shacl", "validate", "--shapes", str(shapes), "--data", str(nt)],
                timeout=timeout, env=env)
        results = r.out.count("sh:ValidationResult")
        conforms = "sh:conforms  true" in r.out or "sh:conforms true" in r.out
        jv = {"wall_s": r.wall, "peak_rss_mb": r.rss_mb, "results": results, "conforms": conforms,
              "error": "timeout" if r.timed_out else (None if r.code == 0 else f"exit {r.code}")}
        d["jena_shacl"] = jv
        rows.append(["Jena SHACL 4.5, all shapes (JVM start and load included)",
                     s(jv["wall_s"]) if not jv["error"] else jv["error"], mb(jv["peak_rss_mb"]),
                     f"{results} results" + (", conforms" if conforms else "")])
    rep.add(f"#### Validation at {label}\n\n" + table(["validator", "time", "peak RSS", "notes"], rows))
    if label == "1e6":
        rep.target("1e6: validation < 60 s (or bottleneck named)", ok(v) and v["total_s"] < VALIDATE_MAX_1E6,
                   f"`nhsgraph validate` path {s(v.get('total_s')) if ok(v) else v['error']}"
                   + (f" ({_steps(v)})" if ok(v) else ""))
    if big:
        loads, om = d["load_memory"], d["oxigraph_memory"]
        ran = [m for m in om["queries"].values() if ok(m)]
        rep.target("1e7: build, query and validate complete on this machine (peak memory reported)",
                   bool(ran) and ok(v) and median_of(loads, "load_s") is not None,
                   f"generate (the build's N-Triples) {s(d['generate_s'])}; load into memory "
                   f"{s(median_of(loads, 'load_s'))}; {len(ran)} of {len(om['queries'])} queries ran in "
                   f"memory, worker peak {mb(om.get('peak_rss_mb'))}; validation "
                   f"{s(v.get('total_s')) if ok(v) else v.get('error')} / {mb(v.get('peak_rss_mb'))}")


# -- main --------------------------------------------------------------------------------------------


def snapshot(workdir: Path) -> Path:
    """A frozen copy of the code and inputs (mtimes kept, so the cache fingerprint matches)."""
    snap = workdir / "snapshot"
    if snap.exists():
        shutil.rmtree(snap)
    for name in ("src", "data", "ontology", "queries", "shapes"):
        shutil.copytree(REPO / name, snap / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(REPO / "pyproject.toml", snap / "pyproject.toml")
    return snap


def jena_available() -> bool:
    if not (Path("/usr/share/java/jena-arq.jar").exists() and shutil.which("java")):
        return False
    return run([JENA, "--version"], timeout=120).code == 0


def guarded(rep: Report, title: str, section: Callable[..., None], *args: Any) -> None:
    """Run a section; if it fails, say so in the report and go on with the next one."""
    t0 = time.perf_counter()
    try:
        section(*args)
        print(f"[{title}: {s(time.perf_counter() - t0)}]\n", flush=True)
    except Exception as exc:  # whatever it was, the sections after it still run
        traceback.print_exc()
        rep.add(f"### {title}: failed\n\n`{type(exc).__name__}: {str(exc)[:300]}` "
                "(the traceback is in the console output); the run went on.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the nhsgraph benchmark (see benchmarks/README.md).")
    parser.add_argument("--quick", action="store_true", help="1e5 only, fewer repeats, no Jena: < 2 min")
    parser.add_argument("--sizes", help="synthetic sizes in triples, e.g. 1e5,1e6,1e7 (default: all three)")
    parser.add_argument("--no-jena", action="store_true", help="skip Apache Jena")
    parser.add_argument("--skip-embedded", action="store_true", help="skip the real-graph sections")
    parser.add_argument("--skip-synthetic", action="store_true", help="skip the synthetic sizes")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run on the live source tree instead of a frozen copy of it")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "nhsgraph-bench")
    parser.add_argument("--json", type=Path, help="also write every measurement here as JSON")
    parser.add_argument("--markdown", type=Path, help="also write the tables here as Markdown")
    parser.add_argument("--query-timeout", type=float, metavar="S",
                        help="time limit of one query execution, every engine (default 120 s; quick 2 s)")
    parser.add_argument("--validate-timeout", type=float, metavar="S",
                        help="time limit of one validation run (default 1800 s, x3 at 1e7; quick 60 s)")
    parser.add_argument("--jena-max", type=float, default=float("inf"), metavar="TRIPLES",
                        help="run Jena only up to this size (default: every size)")
    parser.add_argument("--stock-pyshacl-max", type=float, metavar="TRIPLES",
                        help="run stock pySHACL only up to this size (default 1e5; 0 to skip it)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NHSGRAPH_CACHE", str(Path(tempfile.gettempdir()) / "bench-cache"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    paths = [str(REPO)]
    if not args.no_snapshot:
        # Freeze the inputs: others edit src/, data/ and queries/ while this runs, and a
        # changed input would rebuild the graph in the middle of a timed command.
        snap = snapshot(args.workdir)
        paths.insert(0, str(snap / "src"))
        sys.path.insert(0, str(snap / "src"))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        paths + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    sizes = [] if args.skip_synthetic else [
        int(float(x)) for x in (args.sizes or ("1e5" if args.quick else "1e5,1e6,1e7")).split(",")]
    if args.quick:
        cfg = Config(True, sizes, 3, 5, 2, 1.0, 2.0, False, 0, 60.0, args.workdir)
    else:
        cfg = Config(False, sizes, 7, 20, 5, 5.0, 120.0, not args.no_jena, 100_000, 1800.0, args.workdir)
    if args.query_timeout:
        cfg.query_timeout = args.query_timeout
    if args.validate_timeout:
        cfg.validate_timeout = args.validate_timeout
    cfg.jena_max = args.jena_max
    if args.stock_pyshacl_max is not None:
        cfg.pyshacl_full_max = int(args.stock_pyshacl_max)
    rep = Report(args.markdown, args.json)
    t0 = time.perf_counter()
    env = environment()
    rep.data["environment"] = env
    rep.add("## Machine and versions\n\n" + table(["", ""], [[k, v] for k, v in env.items()])
            + f"\n\nNHSGRAPH_CACHE={os.environ['NHSGRAPH_CACHE']}; mode: {'quick' if cfg.quick else 'full'}; "
            f"limits: {cfg.query_timeout:g} s a query execution, {cfg.validate_timeout:g} s a validation "
            f"(x3 at 1e7); stock pySHACL up to {cfg.pyshacl_full_max:,} triples"
            + (f"; Jena up to {cfg.jena_max:,.0f} triples" if cfg.jena_max != float("inf") else ""))
    jena_ok = cfg.jena and jena_available()
    if not args.skip_embedded:
        guarded(rep, "Embedded graph: cold, phases and warm queries", section_embedded, cfg, rep)
        guarded(rep, "Real graph: build, validate and export", section_real_graph, cfg, rep)
    for size in sizes:
        guarded(rep, f"Synthetic graph {size_label(size)}", section_synthetic, cfg, rep, size, jena_ok)
    if cfg.jena and not jena_ok:
        rep.target("Jena comparisons", None, "Jena is not installed (apt-get install -y "
                   "--no-install-recommends default-jre-headless libapache-jena-java)")
    rep.finished = True
    rep.add("## Targets\n\n" + rep.targets_table())
    elapsed = time.perf_counter() - t0
    rep.data["elapsed_s"] = elapsed
    rep.add(f"Benchmark finished in {s(elapsed)}; load average at the end: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
