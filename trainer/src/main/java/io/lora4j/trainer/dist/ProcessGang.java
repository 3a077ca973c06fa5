package io.lora4j.trainer.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ranks as separate JVM processes on this machine, wired the way the Spark gang does it: every child binds an
 * ephemeral port and prints {@code LISTEN host:port}; the parent gathers the addresses and sends the full list back on
 * each child's stdin; the children then join the ring. Used by the multi-process test and the benchmark.
 */
final class ProcessGang implements AutoCloseable {
    static final String LISTEN = "LISTEN ";
    private final List<Process> processes;
    private final List<List<String>> output = new ArrayList<>();
    private final List<Thread> pumps = new ArrayList<>();

    private ProcessGang(List<Process> processes) {
        this.processes = processes;
    }

    /**
     * Starts {@code world} JVMs running {@code mainClass} with args {@code rank, world, extraArgs…}, then exchanges
     * their addresses. Their stderr goes to ours.
     */
    static ProcessGang start(int world, String classpath, List<String> jvmArgs, String mainClass, List<String> extraArgs) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> started = new ArrayList<>();
        ProcessGang gang = new ProcessGang(started);
        try {
            for (int r = 0; r < world; r++) {
                List<String> cmd = new ArrayList<>(List.of(java, "-cp", classpath));
                cmd.addAll(jvmArgs);
                cmd.add(mainClass);
                cmd.add(Integer.toString(r));
                cmd.add(Integer.toString(world));
                cmd.addAll(extraArgs);
                started.add(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            }
            List<String> addresses = new ArrayList<>();
            for (int r = 0; r < world; r++) {
                BufferedReader out = new BufferedReader(new InputStreamReader(started.get(r).getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                if (line == null || !line.startsWith(LISTEN)) {
                    throw new IllegalStateException("rank " + r + " process did not announce its address, first line: " + line);
                }
                addresses.add(line.substring(LISTEN.length()).trim());
                gang.pump(r, out);
            }
            String peerLine = String.join(",", addresses) + "\n";
            for (Process p : started) {
                Writer in = new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
                in.write(peerLine);
                in.flush();
            }
            return gang;
        } catch (IOException | RuntimeException e) {
            gang.close();
            throw e instanceof IOException io ? new UncheckedIOException("cannot start the rank processes", io) : (RuntimeException) e;
        }
    }

    private void pump(int rank, BufferedReader out) {
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        output.add(lines);
        Thread t = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process went away; its exit code tells the rest
            }
        }, "rank-" + rank + "-stdout");
        t.setDaemon(true);
        t.start();
        pumps.add(t);
    }

    /** Waits for every process to exit (killing all of them past the timeout) and returns each one's stdout lines. */
    List<List<String>> await(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (int r = 0; r < processes.size(); r++) {
            Process p = processes.get(r);
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                close();
                throw new IllegalStateException("rank " + r + " process did not finish within " + timeout + " " + unit);
            }
        }
        for (Thread t : pumps) t.join(5_000);
        for (int r = 0; r < processes.size(); r++) {
            int code = processes.get(r).exitValue();
            if (code != 0) throw new IllegalStateException("rank " + r + " process exited with " + code + ", stdout: " + output.get(r));
        }
        return output;
    }

    @Override
    public void close() {
        for (Process p : processes) p.destroyForcibly();
    }

    /**
     * The child side: binds an ephemeral loopback port, announces it on {@code out}, reads the peer list from stdin
     * and joins the ring as {@code rank}.
     */
    static TcpRingCommunicator join(int rank, int world, RingOptions opts, PrintStream out) throws IOException {
        Rendezvous rv = Rendezvous.bindEphemeral("127.0.0.1");
        out.println(LISTEN + rv.addressString());
        out.flush();
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null) throw new IOException("rank " + rank + ": stdin closed before the peer list arrived");
        List<InetSocketAddress> peers = new ArrayList<>();
        for (String a : line.trim().split(",")) peers.add(Rendezvous.parse(a));
        if (peers.size() != world) throw new IOException("rank " + rank + ": peer list has " + peers.size() + " entries, expected " + world);
        return rv.connect(rank, peers, opts);
    }
}
