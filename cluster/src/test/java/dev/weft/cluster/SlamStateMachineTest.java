package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every transition of DESIGN.md §6's table, and that no other transition exists. */
class SlamStateMachineTest {
    /** The figure, written out independently of the implementation's table. */
    private static final Object[][] FIGURE = {
            {SlamState.INITIAL, SlamEvent.START, SlamState.ATTEMPTING_READ},
            {SlamState.ATTEMPTING_READ, SlamEvent.READ_OK, SlamState.ATTEMPTING_WRITE},
            {SlamState.ATTEMPTING_READ, SlamEvent.READ_FAILED, SlamState.WAITING_ON_PARTNER},
            {SlamState.ATTEMPTING_WRITE, SlamEvent.WRITE_OK, SlamState.ATTEMPTING_READ_AGAIN},
            {SlamState.ATTEMPTING_WRITE, SlamEvent.WRITE_FAILED, SlamState.ERROR},
            {SlamState.WAITING_ON_PARTNER, SlamEvent.PARTNER_AT_5, SlamState.ATTEMPTING_WRITE_AGAIN},
            {SlamState.WAITING_ON_PARTNER, SlamEvent.PARTNER_CONNECTED, SlamState.CONNECTED},
            {SlamState.WAITING_ON_PARTNER, SlamEvent.TIMEOUT, SlamState.ERROR},
            {SlamState.ATTEMPTING_READ_AGAIN, SlamEvent.READ_OK, SlamState.ATTEMPTING_WRITE_AGAIN},
            {SlamState.ATTEMPTING_READ_AGAIN, SlamEvent.READ_FAILED, SlamState.ERROR},
            {SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.PARTNER_AT_5, SlamState.CONNECTED},
            {SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.PARTNER_CONNECTED, SlamState.CONNECTED},
            {SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.WRITE_FAILED, SlamState.ERROR},
            {SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.TIMEOUT, SlamState.ERROR},
            {SlamState.CONNECTED, SlamEvent.READ_FAILED, SlamState.ERROR},
            {SlamState.CONNECTED, SlamEvent.WRITE_FAILED, SlamState.ERROR},
            {SlamState.ERROR, SlamEvent.RETRY, SlamState.INITIAL},
    };

    private static SlamState expected(SlamState from, SlamEvent event) {
        for (Object[] row : FIGURE) {
            if (row[0] == from && row[1] == event) {
                return (SlamState) row[2];
            }
        }
        return null;
    }

    @Test
    void tableIsExactlyTheFigure() {
        assertEquals(FIGURE.length, SlamStateMachine.transitionCount());
        for (SlamState from : SlamState.values()) {
            for (SlamEvent event : SlamEvent.values()) {
                assertEquals(expected(from, event), SlamStateMachine.next(from, event), from + " + " + event);
            }
        }
    }

    @Test
    void everyTransitionFiresAndIsObserved() {
        for (Object[] row : FIGURE) {
            SlamStateMachine m = new SlamStateMachine("test");
            List<String> seen = new ArrayList<>();
            drive(m, (SlamState) row[0]);
            m.addListener((from, event, to, detail) -> seen.add(from + "/" + event + "/" + to + "/" + detail));
            assertEquals(row[2], m.fire((SlamEvent) row[1], "why"));
            assertEquals(List.of(row[0] + "/" + row[1] + "/" + row[2] + "/why"), seen);
        }
    }

    @Test
    void anythingElseIsRefused() {
        for (SlamState from : SlamState.values()) {
            for (SlamEvent event : SlamEvent.values()) {
                if (expected(from, event) == null) {
                    SlamStateMachine m = new SlamStateMachine("test");
                    drive(m, from);
                    assertThrows(IllegalStateException.class, () -> m.fire(event, "not in the figure"), from + " + " + event);
                    assertEquals(from, m.state(), "a refused event changes nothing");
                }
            }
        }
    }

    @Test
    void codesMatchTheFigure() {
        assertEquals(0, SlamState.INITIAL.code());
        assertEquals(3, SlamState.WAITING_ON_PARTNER.code());
        assertEquals(5, SlamState.ATTEMPTING_WRITE_AGAIN.code());
        for (SlamState s : SlamState.values()) {
            assertEquals(s, SlamState.ofCode(s.code()));
        }
        assertNull(SlamState.ofCode(42));
    }

    /** Brings a fresh machine to {@code target} along the figure's own paths. */
    private static void drive(SlamStateMachine m, SlamState target) {
        Map<SlamState, List<SlamEvent>> paths = Map.of(
                SlamState.INITIAL, List.of(),
                SlamState.ATTEMPTING_READ, List.of(SlamEvent.START),
                SlamState.ATTEMPTING_WRITE, List.of(SlamEvent.START, SlamEvent.READ_OK),
                SlamState.WAITING_ON_PARTNER, List.of(SlamEvent.START, SlamEvent.READ_FAILED),
                SlamState.ATTEMPTING_READ_AGAIN, List.of(SlamEvent.START, SlamEvent.READ_OK, SlamEvent.WRITE_OK),
                SlamState.ATTEMPTING_WRITE_AGAIN, List.of(SlamEvent.START, SlamEvent.READ_FAILED, SlamEvent.PARTNER_AT_5),
                SlamState.CONNECTED, List.of(SlamEvent.START, SlamEvent.READ_FAILED, SlamEvent.PARTNER_CONNECTED),
                SlamState.ERROR, List.of(SlamEvent.START, SlamEvent.READ_FAILED, SlamEvent.TIMEOUT));
        for (SlamEvent e : paths.get(target)) {
            m.fire(e, "setup");
        }
        assertEquals(target, m.state());
    }
}
