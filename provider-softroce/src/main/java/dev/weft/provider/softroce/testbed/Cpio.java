package dev.weft.provider.softroce.testbed;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs: per entry a
 * 110-byte ASCII header, the NUL-terminated name and the data, each padded to four bytes; ends
 * with {@code TRAILER!!!}. Not thread-safe.
 */
final class Cpio implements AutoCloseable {
    private final OutputStream out;
    private long written;
    private int inode = 1;

    Cpio(OutputStream out) {
        this.out = out;
    }

    void directory(String name) throws IOException {
        entry(name, 040755, new byte[0]);
    }

    void file(String name, int mode, byte[] data) throws IOException {
        entry(name, 0100000 | mode, data);
    }

    private void entry(String name, int mode, byte[] data) throws IOException {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        String header = String.format("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", inode++, mode, 0, 0, 1, 0,
                data.length, 0, 0, 0, 0, n.length, 0);
        write(header.getBytes(StandardCharsets.US_ASCII));
        write(n);
        pad();
        write(data);
        pad();
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        written += b.length;
    }

    private void pad() throws IOException {
        while (written % 4 != 0) {
            out.write(0);
            written++;
        }
    }

    @Override
    public void close() throws IOException {
        entry("TRAILER!!!", 0, new byte[0]);
        out.close();
    }
}
