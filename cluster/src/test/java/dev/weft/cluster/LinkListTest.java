package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The clients' failover list: order, identity, snapshots that stay as they were. */
class LinkListTest {
    private static ClientLink link(int interconnect) {
        return new ClientLink(interconnect, 1, null, null, null, null, null);
    }

    @Test
    void theFirstLinkIsUsedUntilItIsRemoved() {
        LinkList list = new LinkList();
        assertTrue(list.isEmpty());
        assertNull(list.first());
        ClientLink zero = link(0);
        ClientLink one = link(1);
        list.add(zero);
        list.add(one);
        assertSame(zero, list.first());
        assertTrue(list.remove(zero));
        assertSame(one, list.first());
        assertFalse(list.remove(zero), "a link is removed once");
        assertTrue(list.remove(one));
        assertTrue(list.isEmpty());
        assertNull(list.first());
    }

    /** Two links with equal components are still two links: a session's link is never mistaken for an older one. */
    @Test
    void removalIsByIdentityNotByRecordEquality() {
        LinkList list = new LinkList();
        ClientLink older = link(0);
        ClientLink newer = link(0);
        assertEquals(older, newer);
        list.add(older);
        list.add(newer);
        assertTrue(list.remove(newer));
        assertArrayEquals(new ClientLink[] {older}, list.snapshot());
        assertFalse(list.remove(link(0)), "an equal link that was never added removes nothing");
        assertSame(older, list.first());
    }

    @Test
    void aSnapshotStaysAsItWasWhileTheListChanges() {
        LinkList list = new LinkList();
        ClientLink zero = link(0);
        ClientLink one = link(1);
        ClientLink two = link(2);
        list.add(zero);
        list.add(one);
        list.add(two);
        ClientLink[] before = list.snapshot();
        list.remove(one);
        list.add(link(3));
        assertArrayEquals(new ClientLink[] {zero, one, two}, before);
        assertEquals(3, list.snapshot().length);
        assertSame(two, list.snapshot()[1]);
        list.clear();
        assertTrue(list.isEmpty());
        assertEquals(3, before.length);
    }

    /**
     * Links are kept in the order of their interconnects, whatever order they arrive in: the first is the most
     * preferred interconnect that is up, and a preferred one that comes back goes to the front again. Before
     * 2026-12-06 links were appended, so a client could start on interconnect 1 and never return to a rejoined 0.
     */
    @Test
    void linksAreKeptInTheNodesOrderOfPreference() {
        LinkList list = new LinkList();
        ClientLink two = link(2);
        ClientLink one = link(1);
        ClientLink zero = link(0);
        list.add(two);
        list.add(zero);
        list.add(one);
        assertArrayEquals(new ClientLink[] {zero, one, two}, list.snapshot());
        assertTrue(list.remove(zero));
        assertSame(one, list.first(), "fails over to the next");
        ClientLink zeroAgain = link(0);
        list.add(zeroAgain);
        assertSame(zeroAgain, list.first(), "a rejoined interconnect 0 is the first choice again");
        ClientLink secondOne = link(1);
        list.add(secondOne);
        assertArrayEquals(new ClientLink[] {zeroAgain, one, secondOne, two}, list.snapshot(), "after the links of its own interconnect");
        assertTrue(list.contains(secondOne));
        assertFalse(list.contains(zero));
    }
}
