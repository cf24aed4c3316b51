package dev.weft.provider.tcp.internal;

import java.util.Arrays;

/**
 * Remote key to region, for one domain. Lookups (the data path) read an immutable sorted
 * snapshot without locking or allocating; registration and deregistration (set-up paths) copy
 * it. Thread-safe.
 */
final class RegionTable {
    private record Snapshot(long[] keys, TcpMemoryRegion[] regions) {
    }

    private volatile Snapshot snapshot = new Snapshot(new long[0], new TcpMemoryRegion[0]);

    /** @return the region with that remote key, or {@code null} */
    TcpMemoryRegion find(long key) {
        Snapshot s = snapshot;
        int i = Arrays.binarySearch(s.keys, key);
        return i >= 0 ? s.regions[i] : null;
    }

    synchronized void add(TcpMemoryRegion region) {
        Snapshot s = snapshot;
        int i = Arrays.binarySearch(s.keys, region.remoteKey());
        if (i >= 0) {
            throw new IllegalStateException("duplicate remote key");
        }
        int at = -i - 1;
        long[] keys = new long[s.keys.length + 1];
        TcpMemoryRegion[] regions = new TcpMemoryRegion[keys.length];
        System.arraycopy(s.keys, 0, keys, 0, at);
        System.arraycopy(s.regions, 0, regions, 0, at);
        keys[at] = region.remoteKey();
        regions[at] = region;
        System.arraycopy(s.keys, at, keys, at + 1, s.keys.length - at);
        System.arraycopy(s.regions, at, regions, at + 1, s.keys.length - at);
        snapshot = new Snapshot(keys, regions);
    }

    synchronized void remove(TcpMemoryRegion region) {
        Snapshot s = snapshot;
        int i = Arrays.binarySearch(s.keys, region.remoteKey());
        if (i < 0 || s.regions[i] != region) {
            return;
        }
        long[] keys = new long[s.keys.length - 1];
        TcpMemoryRegion[] regions = new TcpMemoryRegion[keys.length];
        System.arraycopy(s.keys, 0, keys, 0, i);
        System.arraycopy(s.regions, 0, regions, 0, i);
        System.arraycopy(s.keys, i + 1, keys, i, keys.length - i);
        System.arraycopy(s.regions, i + 1, regions, i, keys.length - i);
        snapshot = new Snapshot(keys, regions);
    }

    int size() {
        return snapshot.keys.length;
    }
}
