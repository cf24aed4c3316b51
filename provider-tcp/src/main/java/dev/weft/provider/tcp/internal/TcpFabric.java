package dev.weft.provider.tcp.internal;

import dev.weft.Domain;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.ChildResources;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP fabric: the local address listeners bind to, the remote-key space (64 random-looking
 * bits, never reused while the fabric lives: see {@link #newKey()}), endpoint ids, the
 * connection limit, and one timer thread for keepalives, dead-peer detection and RNR retries.
 * Thread-safe.
 */
public final class TcpFabric implements Fabric {
    private static final AtomicInteger FABRIC_NUMBERS = new AtomicInteger();

    private final FabricUri uri;
    private final TcpConfig config;
    private final ProviderInfo info;
    private final ChildResources domains = new ChildResources();
    // Remote keys: a counter through a keyed permutation of 64-bit values, so keys never repeat and nothing per key is
    // remembered. Guarded by this.
    private static final int KEY_ROUNDS = 8;
    private final javax.crypto.Cipher keyCipher;
    private final byte[] keyBlock = new byte[16];
    private final byte[] keyOut = new byte[16];
    private long keyCounter;
    private final AtomicLong endpointIds = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final ScheduledExecutorService timer;
    private final ScheduledFuture<?> livenessTask;
    private final String name;
    private volatile TcpEndpoint[] endpoints = new TcpEndpoint[0];
    private volatile boolean open = true;

    /**
     * Opens a fabric.
     *
     * @param uri the fabric's local URI ({@code tcp://HOST:PORT})
     * @param config parsed parameters
     * @param info the provider description for this configuration
     */
    public TcpFabric(FabricUri uri, TcpConfig config, ProviderInfo info) {
        this.uri = uri;
        this.config = config;
        this.info = info;
        this.name = "weft-tcp-" + FABRIC_NUMBERS.incrementAndGet();
        try {
            byte[] secret = new byte[16];
            new SecureRandom().nextBytes(secret);
            keyCipher = javax.crypto.Cipher.getInstance("AES/ECB/NoPadding");
            keyCipher.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(secret, "AES"));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available in this JDK", e);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name(name + "-timer").unstarted(r));
        long period = Math.max(10, config.peerTimeout().toMillis() / 4);
        this.livenessTask = timer.scheduleWithFixedDelay(this::checkLiveness, period, period, TimeUnit.MILLISECONDS);
    }

    TcpConfig config() {
        return config;
    }

    String name() {
        return name;
    }

    boolean manualProgress() {
        return config.manualProgress();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    long nextEndpointId() {
        return endpointIds.incrementAndGet();
    }

    /**
     * A fresh non-zero 64-bit remote key, never issued before by this fabric: the next value of a counter through a
     * keyed permutation of 64-bit values (an {@value #KEY_ROUNDS}-round Feistel network on 32-bit halves whose round
     * function is AES under a key from {@link SecureRandom} drawn when the fabric opened). Distinct counters give
     * distinct keys, so nothing per key is remembered (a set of issued keys grew with every registration); without the
     * AES key the keys are as unpredictable as random ones.
     *
     * @return the key
     */
    synchronized long newKey() {
        while (true) {
            long key = permute(++keyCounter);
            if (key != 0) {
                return key;
            }
        }
    }

    private long permute(long x) {
        int left = (int) (x >>> 32);
        int right = (int) x;
        for (int round = 0; round < KEY_ROUNDS; round++) {
            int next = left ^ roundFunction(round, right);
            left = right;
            right = next;
        }
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    private int roundFunction(int round, int half) {
        java.util.Arrays.fill(keyBlock, (byte) 0);
        keyBlock[0] = (byte) round;
        keyBlock[1] = (byte) (half >>> 24);
        keyBlock[2] = (byte) (half >>> 16);
        keyBlock[3] = (byte) (half >>> 8);
        keyBlock[4] = (byte) half;
        try {
            keyCipher.doFinal(keyBlock, 0, 16, keyOut, 0);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("AES failed", e);
        }
        return (keyOut[0] & 0xff) << 24 | (keyOut[1] & 0xff) << 16 | (keyOut[2] & 0xff) << 8 | (keyOut[3] & 0xff);
    }

    /** Reserves a connection slot, or fails with RESOURCE_EXHAUSTED. */
    void reserveConnection() {
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "fabric " + uri.withoutParameters() + " already has "
                    + config.maxConnections() + " connections, its max_connections; close some or raise max_connections");
        }
    }

    void releaseConnection() {
        connections.decrementAndGet();
    }

    int connectionCount() {
        return connections.get();
    }

    synchronized void addEndpoint(TcpEndpoint endpoint) {
        TcpEndpoint[] now = endpoints;
        TcpEndpoint[] next = Arrays.copyOf(now, now.length + 1);
        next[now.length] = endpoint;
        endpoints = next;
    }

    synchronized void removeEndpoint(TcpEndpoint endpoint) {
        TcpEndpoint[] now = endpoints;
        for (int i = 0; i < now.length; i++) {
            if (now[i] == endpoint) {
                TcpEndpoint[] next = new TcpEndpoint[now.length - 1];
                System.arraycopy(now, 0, next, 0, i);
                System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                endpoints = next;
                return;
            }
        }
    }

    /**
     * Manual progress: reads and serves whatever has arrived on every connection of this
     * fabric. Waits up to {@code timeoutNanos} for something to arrive. Never allocates.
     */
    void progress(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            boolean any = false;
            for (TcpEndpoint e : endpoints) {
                any |= e.progressOnce();
            }
            if (any || System.nanoTime() - deadline >= 0) {
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    private void checkLiveness() {
        for (TcpEndpoint e : endpoints) {
            try {
                e.checkLiveness();
            } catch (RuntimeException ignored) {
                // one endpoint's failure must not stop the others' checks
            }
        }
    }

    @Override
    public FabricUri uri() {
        return uri;
    }

    @Override
    public ProviderInfo info() {
        return info;
    }

    @Override
    public Domain openDomain() {
        if (!open) {
            throw FabricException.closed("tcp fabric " + uri.withoutParameters());
        }
        TcpDomain domain = new TcpDomain(this);
        domains.add(domain, "tcp fabric " + uri.withoutParameters());
        return domain;
    }

    void removeDomain(TcpDomain domain) {
        domains.remove(domain);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            domains.closeAll("tcp fabric " + uri.withoutParameters());
        } finally {
            livenessTask.cancel(false);
            timer.shutdownNow();
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "tcp fabric " + uri.withoutParameters();
    }
}
