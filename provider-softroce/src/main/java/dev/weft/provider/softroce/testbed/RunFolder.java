package dev.weft.provider.softroce.testbed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A temporary run folder of the testbed ({@code weft-testbed-*} in {@code java.io.tmpdir}) and the proof that its JVM
 * still runs: an exclusive lock on the folder's {@value #OWNER_LOCK} file, held from {@link #create} to {@link #close}.
 * The kernel drops the lock when the JVM dies however it dies (SIGKILL, a crash), which runs no shutdown hook and so
 * leaves the folder behind; {@link #removeOrphans} deletes such folders, and never one whose JVM is alive, whatever the
 * clock or the pid namespace did meanwhile.
 *
 * <p>Locks are POSIX record locks, which a process loses on a file when it closes any descriptor of that file; so the
 * sweep never opens the lock file of a folder this JVM owns ({@link #OWNED}). Thread-safe; {@link #close} once.
 */
final class RunFolder implements AutoCloseable {
    /** Temporary run folders are named {@code weft-testbed-...}. */
    static final String PREFIX = "weft-testbed-";
    /** The file whose lock proves the folder's JVM alive; it holds the JVM's pid, for people. */
    static final String OWNER_LOCK = "owner.lock";
    private static final Set<Path> OWNED = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel channel;

    private RunFolder(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /**
     * Makes a run folder in {@code directory} and locks it for this JVM. The lock file is locked under another name and
     * then moved in (the lock follows the file), so a sweep never finds it unlocked.
     *
     * @param directory where temporary folders are made
     * @return the folder, locked
     * @throws IOException if it cannot be made or locked
     */
    static RunFolder create(Path directory) throws IOException {
        Path path = Files.createTempDirectory(directory, PREFIX);
        Path fresh = path.resolve(OWNER_LOCK + ".new");
        FileChannel channel = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            channel.lock();
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
            OWNED.add(path);
            Files.move(fresh, path.resolve(OWNER_LOCK), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            OWNED.remove(path);
            channel.close();
            KernelImage.deleteTree(path);
            throw e;
        }
        return new RunFolder(path, channel);
    }

    /** @return the folder */
    Path path() {
        return path;
    }

    /** Releases the lock (the folder is the caller's to delete, before or after). */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            OWNED.remove(path);
        }
    }

    /**
     * Deletes the run folders in {@code directory} whose JVM has gone: those whose lock file can be locked. Folders of
     * this JVM, folders without a lock file (older versions) and folders whose lock is held are left alone.
     *
     * @param directory where temporary run folders are made
     * @return how many folders were deleted
     */
    static int removeOrphans(Path directory) {
        int removed = 0;
        try (Stream<Path> folders = Files.list(directory)) {
            for (Path folder : folders.filter(f -> f.getFileName().toString().startsWith(PREFIX)).toList()) {
                if (!OWNED.contains(folder) && ownerGone(folder.resolve(OWNER_LOCK))) {
                    try {
                        KernelImage.deleteTree(folder);
                        removed++;
                    } catch (IOException ignored) {
                        // another user's folder, or one being removed by someone else: not ours to insist on
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // no temporary directory to list (or it failed midway): nothing more to remove now
        }
        return removed;
    }

    /** @return whether {@code lockFile} exists and no process holds its lock */
    private static boolean ownerGone(Path lockFile) {
        if (!Files.isRegularFile(lockFile)) {
            return false;
        }
        try (FileChannel probe = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = probe.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException | IOException e) {
            return false; // held within this JVM, or not ours to open: alive as far as we can tell
        }
    }
}
