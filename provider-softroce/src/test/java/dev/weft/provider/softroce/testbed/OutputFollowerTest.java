package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the guest command's output reaches the caller: on a plain file, no VM. */
class OutputFollowerTest {
    @Test
    void everyLineArrivesHoweverMuchWasWrittenAfterTheLastPoll(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("output.log");
        List<String> lines = new ArrayList<>();
        OutputFollower f = new OutputFollower(log, lines::add);
        f.poll(); // no file yet
        StringBuilder text = new StringBuilder();
        int count = 300_000; // about 5 MiB: more than one read, more than the old 1 MiB per poll
        for (int i = 0; i < count; i++) {
            text.append("line ").append(i).append(" of the command's output\n");
        }
        text.append("last line without a newline");
        Files.writeString(log, text);
        f.finish();
        assertEquals(count + 1, lines.size());
        assertEquals("line 0 of the command's output", lines.get(0));
        assertEquals("line " + (count - 1) + " of the command's output", lines.get(count - 1));
        assertEquals("last line without a newline", lines.get(count));
        assertEquals(Files.size(log), f.position());
    }

    @Test
    void aCharacterSplitBetweenTwoReadsStaysWhole(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("output.log");
        List<String> lines = new ArrayList<>();
        OutputFollower f = new OutputFollower(log, lines::add);
        byte[] word = "grüße €\n".getBytes(StandardCharsets.UTF_8);
        int cut = "gr".length() + 1; // inside the two bytes of ü
        Files.write(log, java.util.Arrays.copyOf(word, cut));
        f.poll();
        Files.write(log, java.util.Arrays.copyOfRange(word, cut, word.length - 2), StandardOpenOption.APPEND); // inside the € too
        f.poll();
        Files.write(log, java.util.Arrays.copyOfRange(word, word.length - 2, word.length), StandardOpenOption.APPEND);
        f.poll();
        assertEquals(List.of("grüße €"), lines);
    }

    @Test
    void malformedBytesBecomeReplacementCharacters(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("output.log");
        List<String> lines = new ArrayList<>();
        Files.write(log, new byte[] {'a', (byte) 0xff, 'b', '\n', 'c', (byte) 0xc3});
        OutputFollower f = new OutputFollower(log, lines::add);
        f.finish();
        assertEquals(List.of("a\uFFFDb", "c\uFFFD"), lines);
        f.finish();
        assertTrue(lines.size() == 2, "finish runs once");
    }
}
