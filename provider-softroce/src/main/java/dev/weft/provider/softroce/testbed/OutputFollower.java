package dev.weft.provider.softroce.testbed;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Follows a file another process appends to (the guest command's {@code output.log}) and passes each complete line
 * on as UTF-8 text. Bytes of a character split between two reads are kept until the rest arrives; malformed input
 * becomes U+FFFD. {@link #finish} reads to the end of the file and passes on a last line without a newline.
 *
 * <p>Confined to one thread (the one that runs the VM); the sink is called on it.
 */
final class OutputFollower {
    /** The most {@link #poll} reads in one call, so that a command that writes fast cannot hold off the run's deadline. */
    static final int POLL_LIMIT = 16 << 20;

    private final Path file;
    private final Consumer<String> sink;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer bytes = ByteBuffer.allocate(64 << 10); // in write mode between calls; undecoded bytes at its start
    private final CharBuffer chars = CharBuffer.allocate(64 << 10);
    private final StringBuilder line = new StringBuilder();
    private long position;
    private boolean finished;

    /**
     * @param file the file to follow; it may not exist yet
     * @param sink receives each line, without its newline
     */
    OutputFollower(Path file, Consumer<String> sink) {
        this.file = file;
        this.sink = sink;
    }

    /**
     * Passes on the complete lines written since the last call, reading at most {@link #POLL_LIMIT} bytes.
     *
     * @return whether the limit stopped it before the end of the file
     * @throws IOException if the file cannot be read
     */
    boolean poll() throws IOException {
        return read(POLL_LIMIT);
    }

    /**
     * Reads the rest of the file, however long, and passes on every line, the last one also without a newline. Call
     * it once the writer has ended; later calls do nothing.
     *
     * @throws IOException if the file cannot be read
     */
    void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        read(Long.MAX_VALUE);
        bytes.flip();
        decode(true);
        while (decoder.flush(chars).isOverflow()) {
            drainChars();
        }
        drainChars();
        bytes.clear();
        if (!line.isEmpty()) {
            sink.accept(line.toString());
            line.setLength(0);
        }
    }

    /** @return how many bytes of the file have been read */
    long position() {
        return position;
    }

    private boolean read(long limit) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        long read = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            channel.position(position);
            while (read < limit) {
                int n = channel.read(bytes);
                if (n <= 0) {
                    return false;
                }
                position += n;
                read += n;
                bytes.flip();
                decode(false);
                bytes.compact(); // keeps the first bytes of a character the next read completes
            }
            return channel.size() > position;
        }
    }

    private void decode(boolean endOfInput) {
        while (true) {
            CoderResult r = decoder.decode(bytes, chars, endOfInput);
            drainChars();
            if (!r.isOverflow()) {
                return;
            }
        }
    }

    private void drainChars() {
        chars.flip();
        while (chars.hasRemaining()) {
            char c = chars.get();
            if (c == '\n') {
                sink.accept(line.toString());
                line.setLength(0);
            } else {
                line.append(c);
            }
        }
        chars.clear();
    }
}
