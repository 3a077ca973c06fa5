package io.lora4j.trainer.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A rank's listening socket, bound before the ranks exchange addresses. The gang binds an ephemeral port, publishes
 * {@link #addressString()} (e.g. through {@code BarrierTaskContext.allGather}), parses everyone's strings back into
 * the peer list and then calls {@link #connect}: each rank accepts its left neighbour and connects to its right one.
 */
public final class Rendezvous implements AutoCloseable {
    /** How long an accepted connection may take to send its handshake before it is dropped as a stray. */
    private static final long HELLO_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private final ServerSocketChannel server;
    private final InetSocketAddress address;

    private Rendezvous(ServerSocketChannel server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Binds {@code host} on a free port; {@code host} is also the address the other ranks will connect to. */
    public static Rendezvous bindEphemeral(String host) {
        return bind(new InetSocketAddress(host, 0));
    }

    /**
     * Binds {@code bindHost} (e.g. {@code 0.0.0.0}, all interfaces) on a free port and advertises that port under
     * {@code advertisedHost}, the name or address the other ranks can reach.
     */
    public static Rendezvous bindEphemeral(String bindHost, String advertisedHost) {
        Rendezvous bound = bind(new InetSocketAddress(bindHost, 0));
        InetSocketAddress advertised = new InetSocketAddress(advertisedHost, bound.address.getPort());
        if (advertised.isUnresolved()) {
            bound.close();
            throw new IllegalArgumentException("cannot resolve the advertised ring host " + advertisedHost);
        }
        return new Rendezvous(bound.server, advertised);
    }

    public static Rendezvous bind(InetSocketAddress at) {
        Objects.requireNonNull(at, "at");
        if (at.isUnresolved()) throw new IllegalArgumentException("cannot resolve ring address " + format(at));
        try {
            ServerSocketChannel server = ServerSocketChannel.open();
            try {
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(at, 16);
                int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
                return new Rendezvous(server, new InetSocketAddress(at.getAddress(), port));
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for ring peers on " + format(at) + ": " + e.getMessage(), e);
        }
    }

    /** Where the other ranks reach this one. */
    public InetSocketAddress address() {
        return address;
    }

    /** {@link #address()} as {@code host:port} ({@code [v6]:port}), the form {@link #parse} reads. */
    public String addressString() {
        return format(address);
    }

    public static String format(InetSocketAddress a) {
        String host = a.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Parses {@code host:port} or {@code [v6]:port}; the host is resolved now. */
    public static InetSocketAddress parse(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) throw new IllegalArgumentException("ring address '" + s + "' is not host:port");
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ring address '" + s + "' has a port that is not a number", e);
        }
        if (port < 1 || port > 65535) throw new IllegalArgumentException("ring address '" + s + "' has port " + port + " outside 1..65535");
        return new InetSocketAddress(host, port);
    }

    /**
     * Joins the ring as {@code rank} of {@code peers.size()}: accepts the left neighbour (rank−1) and connects to the
     * right one (rank+1), both within {@link RingOptions#connectTimeout()}. Closes this rendezvous in every case.
     */
    public TcpRingCommunicator connect(int rank, List<InetSocketAddress> peers, RingOptions opts) {
        if (!server.isOpen()) throw new IllegalStateException("this rendezvous (" + addressString() + ") was already used or closed");
        try {
            List<InetSocketAddress> list = List.copyOf(peers);
            int world = list.size();
            if (world < 1 || world > 32768) throw new IllegalArgumentException("ring of " + world + " ranks (supported: 1..32768)");
            Objects.checkIndex(rank, world);
            if (list.get(rank).getPort() != address.getPort()) {
                throw new IllegalArgumentException("the peer list gives rank " + rank + " the address " + format(list.get(rank))
                        + " but this rank listens on " + addressString());
            }
            if (world == 1) return new TcpRingCommunicator(rank, 1, opts, null, null);
            long deadline = System.nanoTime() + opts.connectTimeout().toNanos();
            int left = Math.floorMod(rank - 1, world), right = (rank + 1) % world;
            CompletableFuture<Link> accepted = new CompletableFuture<>();
            Thread acceptor = new Thread(() -> {
                try {
                    accepted.complete(acceptLeft(rank, world, left, list.get(left), opts, deadline));
                } catch (Throwable t) {
                    accepted.completeExceptionally(t);
                }
            }, "lora4j-ring-accept-r" + rank);
            acceptor.setDaemon(true);
            acceptor.start();
            Link rightLink = null;
            try {
                rightLink = connectRight(rank, world, right, list.get(right), opts, deadline);
                Link leftLink = accepted.get(); // the acceptor's own deadline bounds this wait
                return new TcpRingCommunicator(rank, world, opts, leftLink, rightLink);
            } catch (InterruptedException | ExecutionException | IOException | RuntimeException e) {
                closeQuietly(server); // stops the acceptor if it is still waiting
                accepted.thenAccept(Link::close);
                if (rightLink != null) rightLink.close();
                if (e instanceof InterruptedException) Thread.currentThread().interrupt();
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                if (cause instanceof RuntimeException re) throw re;
                throw new CommunicatorException("rank " + rank + " could not join the ring: " + cause, cause);
            }
        } finally {
            close();
        }
    }

    private Link acceptLeft(int rank, int world, int left, InetSocketAddress leftAddress, RingOptions opts, long deadline)
            throws IOException {
        List<String> refused = new ArrayList<>();
        server.configureBlocking(false);
        try (Selector selector = Selector.open()) {
            server.register(selector, SelectionKey.OP_ACCEPT);
            while (true) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new CommunicatorTimeoutException("rank " + rank + ": its left neighbour rank " + left + " ("
                            + format(leftAddress) + ") did not connect within " + opts.connectTimeout().toMillis() + " ms"
                            + (refused.isEmpty() ? "" : "; refused: " + refused), left, leftAddress);
                }
                // short slices so that closing the server (connect failed on the other side) ends this loop
                selector.select(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(remaining))));
                selector.selectedKeys().clear();
                if (!server.isOpen()) throw new CommunicatorException("rank " + rank + " stopped waiting for rank " + left + ": joining the ring failed", null);
                SocketChannel channel = server.accept();
                if (channel == null) continue;
                configure(channel, opts);
                Link link = new Link(channel, rank, left, leftAddress, opts.ioTimeout().toNanos());
                try {
                    Handshake.Hello hello;
                    try {
                        hello = Handshake.readHello(link, Math.max(1, Math.min(HELLO_WAIT_NANOS, deadline - System.nanoTime())));
                    } catch (CommunicatorException notARingPeer) {
                        // a stray connection (port scan, health check, dead client): drop it and keep waiting
                        refused.add(channelName(channel) + ": " + notARingPeer.getClass().getSimpleName());
                        link.close();
                        continue;
                    }
                    if (hello.version() != Handshake.VERSION || hello.sessionId() != opts.sessionId()) {
                        Handshake.sendStatus(link, Handshake.WRONG_SESSION);
                        refused.add("rank " + hello.rank() + " of session " + hello.sessionId() + " (version " + hello.version() + ")");
                        link.close();
                        continue;
                    }
                    if (hello.rank() != left || hello.worldSize() != world) {
                        Handshake.sendStatus(link, Handshake.WRONG_TOPOLOGY);
                        throw new CommunicatorException("rank " + rank + " of " + world + " was connected to by rank "
                                + hello.rank() + " of " + hello.worldSize() + ", expected its left neighbour rank " + left
                                + " (" + format(leftAddress) + "): the ranks were given different peer lists", left, leftAddress, null);
                    }
                    Handshake.sendStatus(link, Handshake.OK);
                    return link;
                } catch (RuntimeException e) {
                    link.close();
                    throw e;
                }
            }
        }
    }

    private static Link connectRight(int rank, int world, int right, InetSocketAddress rightAddress, RingOptions opts, long deadline)
            throws IOException {
        IOException last = null;
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new CommunicatorTimeoutException("rank " + rank + " could not connect to its right neighbour rank " + right
                        + " (" + format(rightAddress) + ") within " + opts.connectTimeout().toMillis() + " ms"
                        + (last == null ? "" : ": " + last.getMessage()), right, rightAddress);
            }
            SocketChannel channel = SocketChannel.open();
            try {
                configure(channel, opts);
                channel.socket().connect(rightAddress, (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(remaining))));
            } catch (ConnectException | SocketTimeoutException e) {
                channel.close();
                last = e;
                sleepBeforeRetry();
                continue;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
            Link link = new Link(channel, rank, right, rightAddress, opts.ioTimeout().toNanos());
            try {
                Handshake.sendHello(link, opts.sessionId(), rank, world);
                int status = Handshake.readStatus(link, Math.max(1, deadline - System.nanoTime()));
                if (status != Handshake.OK) {
                    String why = status == Handshake.WRONG_SESSION ? "it belongs to another session or version (ours: session "
                            + opts.sessionId() + ", version " + Handshake.VERSION + ")" : "it expected another rank or world size";
                    throw new CommunicatorException("rank " + rank + " was refused by its right neighbour rank " + right + " ("
                            + format(rightAddress) + "): " + why, right, rightAddress, null);
                }
                return link;
            } catch (RuntimeException e) {
                link.close();
                throw e;
            }
        }
    }

    private static void configure(SocketChannel channel, RingOptions opts) throws IOException {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (opts.socketBufferBytes() > 0) {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, opts.socketBufferBytes());
            channel.setOption(StandardSocketOptions.SO_RCVBUF, opts.socketBufferBytes());
        }
    }

    private static String channelName(SocketChannel channel) {
        try {
            return String.valueOf(channel.getRemoteAddress());
        } catch (IOException e) {
            return "a closed connection";
        }
    }

    private static void sleepBeforeRetry() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommunicatorException("interrupted while connecting to the ring", e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing; the original error is what matters
        }
    }

    @Override
    public void close() {
        closeQuietly(server);
    }
}
