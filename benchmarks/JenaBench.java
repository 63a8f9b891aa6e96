// Jena ARQ in-memory timings for the benchmark, JVM start excluded.
//
// Run through the classpath wrapper (Java's source-file mode compiles it on the fly):
//   benchmarks/jena-arq --class benchmarks/JenaBench.java DATA.nt QUERY_DIR REPEATS SLOW_S TIMEOUT_S
//
// Loads DATA.nt once into a general in-memory model (what `arq --data` builds), then
// runs every QUERY_DIR/*.rq by the benchmark's protocol: once (warm-up, row count);
// if that took at least SLOW_S seconds it is the only sample, else REPEATS more runs
// and their median. Each execution parses the query, runs it and reads every value
// of every row; it is cancelled after TIMEOUT_S seconds. Prints one JSON object per
// line: first {"load_s", "triples"}, then one per query.

import java.nio.file.*;
import java.util.*;
import java.util.concurrent.TimeUnit;
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

    public static void main(String[] a) throws Exception {
        String data = a[0];
        Path dir = Paths.get(a[1]);
        int repeats = Integer.parseInt(a[2]);
        double slow = Double.parseDouble(a[3]);
        long timeout = Long.parseLong(a[4]);
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
            String text = Files.readString(f);
            String out;
            try {
                long t = System.nanoTime();
                long rows = run(model, text, timeout);
                double first = (System.nanoTime() - t) / 1e9;
                List<Double> times = new ArrayList<>();
                if (first >= slow) {
                    times.add(first);
                } else {
                    for (int i = 0; i < repeats; i++) {
                        t = System.nanoTime();
                        run(model, text, timeout);
                        times.add((System.nanoTime() - t) / 1e9);
                    }
                }
                Collections.sort(times);
                int k = times.size();
                double median = k % 2 == 1 ? times.get(k / 2) : (times.get(k / 2 - 1) + times.get(k / 2)) / 2;
                out = "{\"name\": \"" + name + "\", \"median\": " + median + ", \"n\": " + k
                        + ", \"first\": " + first + ", \"rows\": " + rows + "}";
            } catch (QueryCancelledException e) {
                out = "{\"name\": \"" + name + "\", \"error\": \"timeout " + timeout + " s\", \"timeout\": " + timeout + "}";
            } catch (Exception e) {
                out = "{\"name\": \"" + name + "\", \"error\": \"" + esc(e.getClass().getSimpleName() + ": " + e.getMessage()) + "\"}";
            }
            System.out.println(out);
            System.out.flush();
        }
    }
}
