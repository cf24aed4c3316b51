package dev.weft.provider.verbs.internal.nat;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * C types of x86-64/aarch64 Linux (LP64) and helpers that lay out structs and unions the way a C
 * compiler does: each member at its natural alignment, explicit padding between members and at the
 * end. The result has the same shape as jextract's output (named members, explicit padding);
 * {@code LayoutProbeTest} checks every offset against the installed headers.
 */
public final class C {
    private C() {
    }

    /** {@code char}, {@code uint8_t}. */
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    /** {@code uint16_t}. */
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    /** {@code int}, {@code uint32_t}, enums. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    /** {@code uint64_t}, {@code size_t}. */
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;
    /** Any pointer. */
    public static final AddressLayout PTR = ValueLayout.ADDRESS;
    /**
     * The smallest page size of the platforms Weft runs on (x86-64 and aarch64 Linux), in bytes. Native
     * blocks that every post or poll touches are aligned to it, so they span as few pages as they fit in.
     */
    public static final long PAGE = 4096;

    /**
     * @param name member name
     * @param layout member layout
     * @return the layout, named
     */
    public static MemoryLayout m(String name, MemoryLayout layout) {
        return layout.withName(name);
    }

    /**
     * @param name member name
     * @param element element type
     * @param count elements
     * @return a named array member
     */
    public static MemoryLayout array(String name, MemoryLayout element, long count) {
        return MemoryLayout.sequenceLayout(count, element).withName(name);
    }

    /**
     * Lays out a C struct: pads each member to its alignment and the whole to the largest.
     *
     * @param name the struct tag
     * @param members named members in declaration order
     * @return the struct layout
     */
    public static StructLayout struct(String name, MemoryLayout... members) {
        List<MemoryLayout> out = new ArrayList<>();
        long offset = 0;
        long align = 1;
        int pad = 0;
        for (MemoryLayout member : members) {
            long a = member.byteAlignment();
            align = Math.max(align, a);
            long gap = (a - offset % a) % a;
            if (gap > 0) {
                out.add(MemoryLayout.paddingLayout(gap).withName("$pad" + pad++));
                offset += gap;
            }
            out.add(member);
            offset += member.byteSize();
        }
        long tail = (align - offset % align) % align;
        if (tail > 0) {
            out.add(MemoryLayout.paddingLayout(tail).withName("$pad" + pad));
        }
        return MemoryLayout.structLayout(out.toArray(MemoryLayout[]::new)).withName(name);
    }

    /**
     * Lays out a C union, padded to its alignment.
     *
     * @param name the member name of the union
     * @param members the alternatives
     * @return the union layout
     */
    public static UnionLayout union(String name, MemoryLayout... members) {
        long size = 0;
        long align = 1;
        for (MemoryLayout member : members) {
            size = Math.max(size, member.byteSize());
            align = Math.max(align, member.byteAlignment());
        }
        long tail = (align - size % align) % align;
        MemoryLayout[] all = members;
        if (tail > 0) {
            all = java.util.Arrays.copyOf(members, members.length + 1);
            all[members.length] = MemoryLayout.paddingLayout(size + tail).withName("$size");
        }
        return MemoryLayout.unionLayout(all).withName(name);
    }
}
