"""Measurements that run inside a fresh process: ``python -m benchmarks.worker TASK JSON``.

Each task prints one JSON object on its last stdout line; the runner
(benchmarks/run.py) starts the process, times it from outside, reads its peak
RSS with ``os.wait4`` and kills it at its time limit.

Timing protocol for a query (the same for every engine, also in JenaBench.java):
run it once (a warm-up that also gives the row count); if that took at least
``slow`` seconds, it is the only sample (n = 1); otherwise run it ``repeats``
more times and take the median of those.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()
SH = "http://www.w3.org/ns/shacl#"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Timeout()


def measure(fn: Callable[[], int], repeats: int, slow: float, timeout: float) -> dict[str, Any]:
    """Run ``fn`` (which returns a row count) by the protocol above; ``timeout`` per execution."""
    signal.signal(signal.SIGALRM, _alarm)

    def once() -> tuple[float, int]:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            t0 = time.perf_counter()
            rows = fn()
            return time.perf_counter() - t0, rows
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    try:
        first, rows = once()
        times = [once()[0] for _ in range(repeats)] if first < slow else [first]
        return {"median": statistics.median(times), "n": len(times), "first": first, "rows": rows}
    except Timeout:
        return {"error": f"timeout {timeout:g} s", "timeout": timeout}
    except Exception as exc:  # a query that does not run on this engine is a result too
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}


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
    """Where the time of a cold ``nhsgraph query`` goes (in-process timers, after interpreter start)."""
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
    t["open_store_s"] = time.perf_counter() - t0  # includes a second fingerprint
    t0 = time.perf_counter()
    bindings = queries.bind(canned, sample_params(canned), st)
    t["bind_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = engine.run_oxigraph(st, canned.text, bindings)
    t["query_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    results.format_result(result, "table")
    t["format_s"] = time.perf_counter() - t0
    t["total_in_process_s"] = time.perf_counter() - T_START
    # The alternative: the cached N-Triples loaded into an in-memory store.
    import pyoxigraph as ox

    t0 = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(store.build().ntriples), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    t["memory_load_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    engine.run_oxigraph(memory, canned.text, bindings)
    t["memory_query_s"] = time.perf_counter() - t0
    return t


def task_warm(args: dict[str, Any]) -> dict[str, Any]:
    """Warm canned queries on the embedded graph: bind + run, store opened once.

    On the cached on-disk store (what the CLI opens) and, for comparison, on an
    in-memory store loaded from the cached N-Triples.
    """
    import pyoxigraph as ox

    from benchmarks.common import sample_params
    from nhsgraph import engine, queries, store

    embedded = store.build()
    disk = embedded.store()
    t0 = time.perf_counter()
    memory = ox.Store()
    memory.bulk_load(path=str(embedded.ntriples), format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - t0
    out: dict[str, Any] = {"disk": {}, "memory": {}}
    for name, query in _catalogue().items():
        params = sample_params(query)
        for where, st in (("disk", disk), ("memory", memory)):

            def run(query: Any = query, params: dict[str, str] = params, st: Any = st) -> int:
                bindings = queries.bind(query, params, st)
                return len(engine.run_oxigraph(st, query.text, bindings).rows)

            out[where][name] = measure(run, args["repeats"], args["slow"], args["timeout"])
    return {"queries": out["disk"], "memory": out["memory"], "memory_load_s": load,
            "rss_mb": rss_mb()}


def task_build_breakdown(args: dict[str, Any]) -> dict[str, Any]:
    """The real graph's build in steps, mirroring nhsgraph.store.build (as of 2026-11-23).

    Ingest (``compile_graph``), then writing the canonical N-Triples, then
    loading and optimising the Oxigraph store, into a scratch folder (the
    cache is not touched).
    """
    import shutil
    import tempfile

    t0 = time.perf_counter()
    import pyoxigraph as ox

    from nhsgraph import store
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    triples = store.compile_graph()
    t_compile = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        t0 = time.perf_counter()
        with (tmp / "graph.nt").open("w", encoding="utf-8") as out:
            for triple in triples:
                out.write(f"{triple} .\n")
        t_nt = time.perf_counter() - t0
        t0 = time.perf_counter()
        st = ox.Store(str(tmp / "store"))
        st.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
        st.optimize()
        st.flush()
        del st
        t_store = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"import_s": t_import, "compile_graph_s": t_compile, "write_nt_s": t_nt,
            "write_store_s": t_store, "triples": len(triples), "rss_mb": rss_mb()}


def task_prepare(args: dict[str, Any]) -> dict[str, Any]:
    """N-Triples -> an on-disk Oxigraph store (what `nhsgraph build` keeps in the cache)."""
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


def task_open(args: dict[str, Any]) -> dict[str, Any]:
    """Load from the prepared store: import, open read-only, first canned query."""
    t0 = time.perf_counter()
    import pyoxigraph as ox
    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    st = ox.Store.read_only(args["store"])
    t_open = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = len(list(st.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))
    t_count = time.perf_counter() - t0
    from benchmarks.common import sample_params
    from nhsgraph import engine, queries

    query = queries.get(args["query"])
    t0 = time.perf_counter()
    bindings = queries.bind(query, sample_params(query), st)
    rows = len(engine.run_oxigraph(st, query.text, bindings).rows)
    t_first = time.perf_counter() - t0
    return {"import_s": t_import, "open_s": t_open, "first_query_s": t_first,
            "count_all_s": t_count, "rows": rows, "n": n, "rss_mb": rss_mb()}


def task_oxigraph(args: dict[str, Any]) -> dict[str, Any]:
    """Every canned query on the prepared on-disk store (as the CLI) and in memory."""
    import pyoxigraph as ox

    from nhsgraph import engine, queries

    t0 = time.perf_counter()
    mem = ox.Store()
    mem.bulk_load(path=args["nt"], format=ox.RdfFormat.N_TRIPLES)
    load = time.perf_counter() - t0
    rss_load = rss_mb()
    disk = ox.Store.read_only(args["store"])
    cat = _catalogue()
    bound, errors = _bindings(disk, cat)
    out: dict[str, Any] = {name: {"error": err} for name, err in errors.items()}
    memory: dict[str, Any] = dict(out)
    texts = {}
    for name, bindings in bound.items():
        texts[name] = queries.with_values(cat[name].text, bindings)
        for where, st, into in (("disk", disk, out), ("memory", mem, memory)):

            def run(name: str = name, bindings: dict[str, Any] = bindings, st: Any = st) -> int:
                return len(engine.run_oxigraph(st, cat[name].text, bindings).rows)

            into[name] = measure(run, args["repeats"], args["slow"], args["timeout"])
    # The exact texts every engine runs (parameters as a VALUES block).
    qdir = Path(args["qdir"])
    qdir.mkdir(parents=True, exist_ok=True)
    for old in qdir.glob("*.rq"):
        old.unlink()
    for name, text in texts.items():
        (qdir / f"{name}.rq").write_text(text, encoding="utf-8")
    return {"load_memory_s": load, "rss_after_load_mb": rss_load, "queries": out,
            "memory": memory, "rss_mb": rss_mb()}


def task_rdflib(args: dict[str, Any]) -> dict[str, Any]:
    """rdflib's in-memory store: parse the N-Triples, then every canned query.

    The query text is the one Oxigraph runs (parameters as a VALUES block), not
    ``initBindings``: rdflib does not match an ``xsd:string`` binding against a
    plain literal in the data, so bound code parameters would find nothing.
    """
    import rdflib

    from nhsgraph import engine

    t0 = time.perf_counter()
    graph = rdflib.Graph()
    graph.parse(args["nt"], format="nt")
    load = time.perf_counter() - t0
    rss_load = rss_mb()
    out: dict[str, Any] = {}
    for path in sorted(Path(args["qdir"]).glob("*.rq")):
        text = path.read_text(encoding="utf-8")

        def run(text: str = text) -> int:
            return len(engine.run_rdflib(graph, text, {}).rows)

        out[path.stem] = measure(run, args["repeats"], args["slow"], args["timeout"])
    return {"load_memory_s": load, "rss_after_load_mb": rss_load, "triples": len(graph),
            "queries": out, "rss_mb": rss_mb()}


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
    import rdflib

    from nhsgraph.validate import shapes_graph

    t0 = time.perf_counter()
    graph = rdflib.Graph()
    graph.parse(args["nt"], format="nt")
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
    """Each SPARQL target of the shapes on rdflib (as stock pySHACL runs it) and on Oxigraph."""
    import pyoxigraph as ox
    import rdflib

    from nhsgraph.validate import shapes_graph

    data = rdflib.Graph()
    data.parse(args["nt"], format="nt")
    st = ox.Store()
    st.bulk_load(path=args["nt"], format=ox.RdfFormat.N_TRIPLES)
    shapes = shapes_graph()
    sh = rdflib.Namespace(SH)
    out = {}
    for shape, target in sorted(shapes.subject_objects(sh.target), key=lambda st_: str(st_[0])):
        if shapes.value(target, sh.select) is None:
            continue
        text = _target_query(shapes, target)
        name = str(shape).rsplit("#", 1)[-1]
        t0 = time.perf_counter()
        n_ox = len(list(st.query(text)))
        t_ox = time.perf_counter() - t0
        one = measure(lambda text=text: len(list(data.query(text))), 0, 0.0, args["timeout"])
        out[name] = {"oxigraph_s": t_ox, "oxigraph_rows": n_ox, "rdflib": one}
    return {"targets": out, "rss_mb": rss_mb()}


TASKS = {
    "phases": task_phases,
    "warm": task_warm,
    "build-breakdown": task_build_breakdown,
    "prepare": task_prepare,
    "open": task_open,
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
    sys.stdout.write("\n" + json.dumps(result, default=str) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip teardown of large graphs: it is not what is measured


if __name__ == "__main__":
    main()
