// Jena ARQ in-memory timings for the benchmark, JVM start excluded.
//
// Run through the classpath wrapper (Java's source-file mode compiles it on the fly):
//   benchmarks/jena-arq --class benchmarks/JenaBench.java DATA.nt QUERY_DIR REPEATS SLOW_S TIMEOUT_S [SKIP]
//
// Loads DATA.nt once into a general in-memory model (what `arq --data` builds), then
// runs every QUERY_DIR/*.rq (but those named in SKIP, comma-separated) by the
// benchmark's protocol: once (warm-up, row count); if that took at least SLOW_S
// seconds it is the only sample, else REPEATS more runs and their median. Each
// execution parses the query, runs it and reads every value of every row; Jena
// cancels it after TIMEOUT_S seconds, and if it has not stopped GRACE seconds
// later a watchdog ends the JVM (the runner then starts it again without that
// query). Prints one JSON object per line, as benchmarks/worker.py does:
// {"load_s", "triples"}, then {"running": NAME} and {"result": NAME, ...} for each
// query, then {"done": true}.

import java.nio.file.*;
import java.util.*;
import java.util.concurrent.*;
import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.RDFDataMgr;

public class JenaBench {
    static long run(Model model, String text, long timeoutS) {
        Query query = QueryFactory.create(text);
        try (QueryExecution qe = QueryExecution.create().query(query).model(model)
                .timeout(timeoutS, TimeUnit.SECONDS).build()) {
            ResultSet rs = qe.execSelect();
            List<String> vars = rs.getResultVars();
            long n = 0;
            while (rs.hasNext()) {
                QuerySolution row = rs.next();
                for (String v : vars) {
                    RDFNode x = row.get(v);
                    if (x != null) x.toString();
                }
                n++;
            }
            return n;
        }
    }

    static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }

    static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "watchdog");
        t.setDaemon(true);
        return t;
    });

    /** One execution, within the hard limit: the JVM ends if it is still running then. */
    static long limited(Model model, String text, long timeoutS) {
        double grace = Math.min(5.0, 0.25 * timeoutS);  // as benchmarks/worker.py grace()
        ScheduledFuture<?> halt = WATCHDOG.schedule(() -> {
            System.err.println("Timeout (hard limit " + (timeoutS + grace) + " s)!");
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }, (long) ((timeoutS + grace) * 1000), TimeUnit.MILLISECONDS);
        try {
            return run(model, text, timeoutS);
        } finally {
            halt.cancel(false);
        }
    }

    public static void main(String[] a) throws Exception {
        String data = a[0];
        Path dir = Paths.get(a[1]);
        int repeats = Integer.parseInt(a[2]);
        double slow = Double.parseDouble(a[3]);
        long timeout = Long.parseLong(a[4]);
        Set<String> skip = new HashSet<>(a.length > 5 ? Arrays.asList(a[5].split(",")) : List.of());
        long t0 = System.nanoTime();
        Model model = ModelFactory.createDefaultModel();
        RDFDataMgr.read(model, data);
        double load = (System.nanoTime() - t0) / 1e9;
        System.out.println("{\"load_s\": " + load + ", \"triples\": " + model.size() + "}");
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.rq")) {
            for (Path p : ds) files.add(p);
        }
        Collections.sort(files);
        for (Path f : files) {
            String name = f.getFileName().toString().replaceAll("\\.rq$", "");
            if (skip.contains(name)) continue;
            String text = Files.readString(f);
            System.out.println("{\"running\": \"" + name + "\"}");
            System.out.flush();
            String out;
            try {
                long t = System.nanoTime();
                long rows = limited(model, text, timeout);
                double first = (System.nanoTime() - t) / 1e9;
                List<Double> times = new ArrayList<>();
                if (first >= slow) {
                    times.add(first);
                } else {
                    for (int i = 0; i < repeats; i++) {
                        t = System.nanoTime();
                        limited(model, text, timeout);
                        times.add((System.nanoTime() - t) / 1e9);
                    }
                }
                Collections.sort(times);
                int k = times.size();
                double median = k % 2 == 1 ? times.get(k / 2) : (times.get(k / 2 - 1) + times.get(k / 2)) / 2;
                out = "{\"result\": \"" + name + "\", \"median\": " + median + ", \"n\": " + k
                        + ", \"first\": " + first + ", \"rows\": " + rows + "}";
            } catch (QueryCancelledException e) {
                out = "{\"result\": \"" + name + "\", \"error\": \"timeout " + timeout + " s\", \"timeout\": " + timeout + "}";
            } catch (Exception e) {
                out = "{\"result\": \"" + name + "\", \"error\": \"" + esc(e.getClass().getSimpleName() + ": " + e.getMessage()) + "\"}";
            }
            System.out.println(out);
            System.out.flush();
        }
        System.out.println("{\"done\": true}");
    }
}
