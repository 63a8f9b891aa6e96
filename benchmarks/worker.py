"""Measurements that run inside a fresh process: ``python -m benchmarks.worker TASK JSON``.

Each task writes JSON objects to stdout, one a line, as it goes: ``{"running": KEY}``
before it times a query and ``{"result": KEY, ...}`` after; other objects carry facts
of the run (load times, RSS); the last line is ``{"done": true}``. The runner
(benchmarks/run.py) starts the process, times it from outside, reads its peak RSS
with ``os.wait4`` and merges the lines. When the process ends without "done" (a query
past its hard time limit, a crash), the runner records the query that was running and
starts the task again with ``"skip"``: the queries already measured, and that one.

Timing protocol for a query (the same for every engine, also in JenaBench.java):
run it once (a warm-up that also gives the row count); if that took at least
``slow`` seconds, it is the only sample (n = 1); otherwise run it ``repeats``
more times and take the median of those.

Time limits (:func:`time_limit`), on every execution, the warm-up included: at
``timeout`` seconds SIGALRM raises :class:`Timeout` in Python code (rdflib's
evaluator, pySHACL). Oxigraph evaluates in native code that does not return to
the interpreter until it is done, so the alarm cannot stop it: faulthandler ends
the whole process a few seconds later (:func:`grace`), wherever it is.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

T_START = time.perf_counter()
SH = "http://www.w3.org/ns/shacl#"
FIRST_QUERY = "organisations-at"  # the query timed right after a load


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


class Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Timeout()


def grace(timeout: float) -> float:
    """How long after the soft limit the process is ended (the runner reads it too)."""
    return min(5.0, 0.25 * timeout)


@contextmanager
def time_limit(timeout: float) -> Iterator[None]:
    """Soft limit: Timeout at ``timeout`` s; hard limit: the process ends ``grace`` s later."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    faulthandler.dump_traceback_later(timeout + grace(timeout), exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()


def measure(fn: Callable[[], int], repeats: int, slow: float, timeout: float) -> dict[str, Any]:
    """Run ``fn`` (which returns a row count) by the protocol above; ``timeout`` per execution."""

    def once() -> tuple[float, int]:
        with time_limit(timeout):
            t0 = time.perf_counter()
            rows = fn()
            return time.perf_counter() - t0, rows

    try:
        first, rows = once()
        times = [once()[0] for _ in range(repeats)] if first < slow else [first]
        return {"median": statistics.median(times), "n": len(times), "first": first, "rows": rows}
    except Timeout:
        return {"error": f"timeout {timeout:g} s", "timeout": timeout}
    except Exception as exc:  # a query that does not run on this engine is a result too
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def measure_each(items: dict[str, Callable[[], int]], args: dict[str, Any]) -> None:
    """Measure every item not in ``args["skip"]``, announcing each before and after."""
    skip = set(args.get("skip", ()))
    for key, fn in items.items():
        if key in skip:
            continue
        emit({"running": key})
        emit({"result": key, **measure(fn, args["repeats"], args["slow"], args["timeout"])})


def _catalogue() -> dict[str, Any]:
    from nhsgraph import queries

    return queries.catalogue()


def _bindings(store: Any, cat: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Sample bindings for every query, checked against ``store``; errors by name."""
    from benchmarks.common import sample_params
    from nhsgraph import queries

    bound, errors = {}, {}
    for name, query in cat.items():
        try:
            bound[name] = queries.bind(query, sample_params(query), store)
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
    return bound, errors


# -- tasks ------------------------------------------------------------------------------------


def task_phases(args: dict[str, Any]) -> dict[str, Any]:
    """Where the time of a cold ``nhsgraph query`` goes (in-process timers, after interpreter
    start), then the on-disk alternative: open a read-only Oxigraph store of the same graph
    (``args["disk"]``, prepared by the runner) and run the query there."""
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    import nhsgraph.cli  # noqa: F401  (click and the CLI module)
    t["import_cli_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from benchmarks.common import sample_params
    from nhsgraph import engine, queries, results, store
    t["import_modules_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    canned = queries.get(args["name"])
    t["catalogue_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store.fingerprint()
    t["fingerprint_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = store.open_store()
    t["open_store_s"] = time.perf_counter() - t0  # a second fingerprint, then load graph.nt
    t0 = time.perf_counter()
    bindings = queries.bind(canned, sample_params(canned), st)
    t["bind_s"] = time.perf_counter() - t0
    # As the CLI runs it: with its default deadline, which evaluates in a forked child.
    deadline = engine.DEFAULT_TIMEOUT
    with time_limit(args["timeout"]):
        t0 = time.perf_counter()
        result = engine.run_oxigraph(st, canned.text, bindings, timeout=deadline)
        t["query_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.format_result(result, "table")
    t["format_s"] = time.perf_counter() - t0
    t["total_in_process_s"] = time.perf_counter() - T_START
    emit(t)  # kept if the alternative fails

    import pyoxigraph as ox

    t0 = time.perf_counter()
    disk = ox.Store.read_only(args["disk"])
    disk_open = time.perf_counter() - t0
    with time_limit(args["timeout"]):
        t0 = time.perf_counter()
        engine.run_oxigraph(disk, canned.text, bindings, timeout=deadline)
        disk_query = time.perf_counter() - t0
    return {"disk_open_s": disk_open, "disk_query_s": disk_query}


def task_warm(args: dict[str, Any]) -> dict[str, Any]:
    """Warm canned queries on the embedded graph: bind + run, each store opened once.

    In memory (``store.open_store()``, what the CLI uses) and, for comparison, on
    the read-only on-disk store ``args["disk"]`` prepared by the runner.
    """
    import pyoxigraph as ox

    from benchmarks.common import sample_params
    from nhsgraph import engine, queries, store

    t0 = time.perf_counter()
    memory = store.open_store()
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    disk = ox.Store.read_only(args["disk"])
    opened = time.perf_counter() - t0
    emit({"memory_load_s": load, "disk_open_s": opened})

    def runner(query: Any, st: Any) -> Callable[[], int]:
        def run() -> int:
            bindings = queries.bind(query, sample_params(query), st)
            return len(engine.run_oxigraph(st, query.text, bindings).rows)
        return run

    cat = _catalogue()
    measure_each({f"{where}/{name}": runner(query, st) for name, query in cat.items()
                  for where, st in (("memory", memory), ("disk", disk))}, args)
    return {"rss_mb": rss_mb()}


def task_build_breakdown(args: dict[str, Any]) -> dict[str, Any]:
    """The real graph's build in steps, mirroring nhsgraph.store.build (as of 2026-11-23):
    ingest (``compile_graph``), then writing the canonical N-Triples, which is all the
    cache holds (no store is written: a query loads the N-Triples into memory). Into a
    scratch folder: the cache is not touched."""
    import shutil
    import tempfile

    t0 = time.perf_counter()
    from nhsgraph import store
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    triples = store.compile_graph()
    t_compile = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        t0 = time.perf_counter()
        with (tmp / store.GRAPH_FILE).open("w", encoding="utf-8") as out:
            for triple in triples:
                out.write(f"{triple} .\n")
        t_nt = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"import_s": t_import, "compile_graph_s": t_compile, "write_nt_s": t_nt,
            "triples": len(triples), "rss_mb": rss_mb()}


def task_prepare(args: dict[str, Any]) -> dict[str, Any]:
    """N-Triples -> an on-disk Oxigraph store (bulk load, optimise), for the disk columns."""
    import shutil

    import pyoxigraph as ox

    folder = Path(args["store"])
    if folder.exists():
        shutil.rmtree(folder)
    t0 = time.perf_counter()
    st = ox.Store(str(folder))
    st.bulk_load(path=args["nt"], format=ox.RdfFormat.N_TRIPLES)
    t1 = time.perf_counter()
    st.optimize()
    st.flush()
    t2 = time.perf_counter()
    n = len(st)
    del st
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return {"bulk_load_s": t1 - t0, "optimize_s": t2 - t1, "total_s": t2 - t0, "triples": n,
            "disk_mb": size / 1e6, "rss_mb": rss_mb()}


def _open(args: dict[str, Any]) -> Any:
    """``args["nt"]`` loaded into memory as nhsgraph loads its cache, or ``args["store"]``
    opened read-only."""
    from benchmarks.common import load_oxigraph

    if "nt" in args:
        return load_oxigraph(Path(args["nt"]))
    import pyoxigraph as ox

    return ox.Store.read_only(args["store"])


def task_load(args: dict[str, Any]) -> dict[str, Any]:
    """Load from the prepared data, cold: import, then load the N-Triples into memory
    (``nt``) or open the on-disk store (``store``), then a first canned query."""
    t0 = time.perf_counter()
    import pyoxigraph  # noqa: F401
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = _open(args)
    t_load = time.perf_counter() - t0
    emit({"import_s": t_import, "load_s": t_load, "rss_after_load_mb": rss_mb()})
    from benchmarks.common import sample_params
    from nhsgraph import engine, queries

    query = queries.get(FIRST_QUERY)
    with time_limit(args["timeout"]):
        t0 = time.perf_counter()
        bindings = queries.bind(query, sample_params(query), st)
        rows = len(engine.run_oxigraph(st, query.text, bindings).rows)
        t_first = time.perf_counter() - t0
    return {"first_query_s": t_first, "rows": rows, "rss_mb": rss_mb()}


def task_oxigraph(args: dict[str, Any]) -> dict[str, Any]:
    """Every canned query on pyoxigraph: in memory (``nt``, loaded as nhsgraph loads its
    cache) or on the prepared on-disk store (``store``). With ``qdir``, first writes there
    the exact text of each query (parameters as a VALUES block) for rdflib and Jena."""
    from nhsgraph import engine, queries

    t0 = time.perf_counter()
    st = _open(args)
    emit({"load_s": time.perf_counter() - t0, "rss_after_load_mb": rss_mb()})
    cat = _catalogue()
    bound, errors = _bindings(st, cat)
    if args.get("qdir"):
        qdir = Path(args["qdir"])
        qdir.mkdir(parents=True, exist_ok=True)
        for old in qdir.glob("*.rq"):
            old.unlink()
        for name, bindings in bound.items():
            (qdir / f"{name}.rq").write_text(queries.with_values(cat[name].text, bindings),
                                             encoding="utf-8")
    for name, err in errors.items():
        emit({"result": name, "error": err})

    def runner(name: str) -> Callable[[], int]:
        return lambda: len(engine.run_oxigraph(st, cat[name].text, bound[name]).rows)

    measure_each({name: runner(name) for name in bound}, args)
    return {"rss_mb": rss_mb()}


def task_rdflib(args: dict[str, Any]) -> dict[str, Any]:
    """rdflib's in-memory store: parse the N-Triples, then every canned query.

    The query text is the one Oxigraph runs (parameters as a VALUES block), not
    ``initBindings``: rdflib does not match an ``xsd:string`` binding against a
    plain literal in the data, so bound code parameters would find nothing.
    """
    from benchmarks.common import load_rdflib
    from nhsgraph import engine

    t0 = time.perf_counter()
    graph = load_rdflib(Path(args["nt"]))
    emit({"load_s": time.perf_counter() - t0, "rss_after_load_mb": rss_mb(),
          "triples": len(graph)})

    def runner(text: str) -> Callable[[], int]:
        return lambda: len(engine.run_rdflib(graph, text, {}).rows)

    measure_each({path.stem: runner(path.read_text(encoding="utf-8"))
                  for path in sorted(Path(args["qdir"]).glob("*.rq"))}, args)
    return {"rss_mb": rss_mb()}


def count_results(report: Any) -> dict[str, int]:
    """sh:ValidationResult nodes of a report graph, by severity."""
    import rdflib

    sh = rdflib.Namespace(SH)
    counts: dict[str, int] = {}
    for result in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        severity = str(report.value(result, sh.resultSeverity)).rsplit("#", 1)[-1]
        counts[severity] = counts.get(severity, 0) + 1
    return counts


def task_validate(args: dict[str, Any]) -> dict[str, Any]:
    """What `nhsgraph validate FILE` does: nhsgraph.validate.validate_triples, timed in steps.

    The steps use the module's own functions when it has them (to_rdflib,
    shapes_graph, memory_store, resolve_sparql_targets: SPARQL targets run once
    in Oxigraph, then pySHACL); the total is always validate_triples itself.
    """
    import pyoxigraph as ox

    from nhsgraph import validate
    from nhsgraph.store import parse_file

    t0 = time.perf_counter()
    triples = parse_file(Path(args["nt"]), ox.RdfFormat.N_TRIPLES)
    t_parse = time.perf_counter() - t0
    out: dict[str, Any] = {"parse_s": t_parse}
    if args.get("steps") and all(hasattr(validate, f) for f in
                                 ("to_rdflib", "shapes_graph", "memory_store", "resolve_sparql_targets")):
        import pyshacl

        t0 = time.perf_counter()
        graph = validate.to_rdflib(triples)
        out["to_rdflib_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        store = validate.memory_store(triples)
        out["oxigraph_store_s"] = time.perf_counter() - t0
        shapes = validate.shapes_graph()
        t0 = time.perf_counter()
        runnable = validate.resolve_sparql_targets(shapes, store)
        out["sparql_targets_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pyshacl.validate(graph, shacl_graph=runnable, inference="none", advanced=True,
                         allow_warnings=True, inplace=True)
        out["pyshacl_s"] = time.perf_counter() - t0
        del graph, store
    t0 = time.perf_counter()
    report = validate.validate_triples(triples, with_ontology=False)
    out["validate_triples_s"] = time.perf_counter() - t0
    out["total_s"] = t_parse + out["validate_triples_s"]
    out["results"] = count_results(report.graph)
    out["rss_mb"] = rss_mb()
    return out


def task_pyshacl_stock(args: dict[str, Any]) -> dict[str, Any]:
    """The earlier path: every shape, SPARQL targets included, in pySHACL over rdflib."""
    import pyshacl

    from benchmarks.common import load_rdflib
    from nhsgraph.validate import shapes_graph

    t0 = time.perf_counter()
    graph = load_rdflib(Path(args["nt"]))
    t1 = time.perf_counter()
    _c, report, _t = pyshacl.validate(graph, shacl_graph=shapes_graph(), inference="none",
                                      advanced=True, allow_warnings=True)
    t2 = time.perf_counter()
    return {"rdflib_parse_s": t1 - t0, "pyshacl_s": t2 - t1, "total_s": t2 - t0,
            "results": count_results(report), "rss_mb": rss_mb()}


def _target_query(shapes: Any, target: Any) -> str:
    from nhsgraph import validate

    if hasattr(validate, "sparql_target_query"):
        return validate.sparql_target_query(shapes, target)
    import rdflib

    sh = rdflib.Namespace(SH)
    lines = {f"PREFIX {shapes.value(d, sh.prefix)}: <{shapes.value(d, sh.namespace)}>"
             for p in shapes.objects(target, sh.prefixes) for d in shapes.objects(p, sh.declare)}
    return "\n".join(sorted(lines) + [str(shapes.value(target, sh.select))])


def task_targets_rdflib(args: dict[str, Any]) -> dict[str, Any]:
    """Each SPARQL target of the shapes, run once on rdflib (as stock pySHACL runs it) and
    on Oxigraph in memory (keys ``rdflib/SHAPE`` and ``oxigraph/SHAPE``)."""
    import rdflib

    from benchmarks.common import load_oxigraph, load_rdflib
    from nhsgraph.validate import shapes_graph

    data = load_rdflib(Path(args["nt"]))
    st = load_oxigraph(Path(args["nt"]))
    shapes = shapes_graph()
    sh = rdflib.Namespace(SH)
    items: dict[str, Callable[[], int]] = {}
    for shape, target in sorted(shapes.subject_objects(sh.target), key=lambda st_: str(st_[0])):
        if shapes.value(target, sh.select) is None:
            continue
        text = _target_query(shapes, target)
        name = str(shape).rsplit("#", 1)[-1]
        items[f"oxigraph/{name}"] = lambda text=text: len(list(st.query(text)))
        items[f"rdflib/{name}"] = lambda text=text: len(list(data.query(text)))
    measure_each(items, {**args, "repeats": 0, "slow": 0.0})
    return {"rss_mb": rss_mb()}


TASKS = {
    "phases": task_phases,
    "warm": task_warm,
    "build-breakdown": task_build_breakdown,
    "prepare": task_prepare,
    "load": task_load,
    "oxigraph": task_oxigraph,
    "rdflib": task_rdflib,
    "validate": task_validate,
    "pyshacl-stock": task_pyshacl_stock,
    "targets-rdflib": task_targets_rdflib,
}


def main() -> None:
    task, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    args = json.loads(raw)
    if args.get("mem_limit_gb"):
        # Fail with MemoryError rather than wake the kernel's OOM killer on a shared machine.
        limit = int(args["mem_limit_gb"] * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result = TASKS[task](args)
    except MemoryError:
        result = {"error": f"MemoryError (address space limited to {args.get('mem_limit_gb')} GiB)"}
    except Timeout:
        result = {"error": f"timeout {args.get('timeout'):g} s"}
    emit(result)
    emit({"done": True})
    os._exit(0)  # skip teardown of large graphs: it is not what is measured


if __name__ == "__main__":
    main()
