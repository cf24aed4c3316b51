package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TckReportTest {
    @Test
    void eachParameterisedCaseIsARuleOfItsOwn() {
        assertEquals("rma_write_size[65537]", TckReport.ruleId("rma_write_size", "rma_write_size[65537]"), "named by the rule");
        assertEquals("at_bits[8]", TckReport.ruleId("at_bits", "8"), "JUnit's default name shows only the parameter");
        assertEquals("err_useAfterClose", TckReport.ruleId("err_useAfterClose", "err_useAfterClose()"), "a plain rule");
    }

    @Test
    void aKnownDefectIsFoundByRuleIdOrByMethodName() {
        var defects = java.util.Map.of("rma_read_size[8]", "one size", "rma_write_size", "every size", "sec_readWriteOnlyRegion", "plain");
        // the lookup is the same whatever an entry holds (TckProvider.knownDefects holds KnownDefect)
        assertEquals("one size", TckReport.knownDefect(defects, "rma_read_size", "rma_read_size[8]"), "a parameterised case by its rule id");
        assertEquals(null, TckReport.knownDefect(defects, "rma_read_size", "rma_read_size[7]"), "another size of it is not listed");
        assertEquals("every size", TckReport.knownDefect(defects, "rma_write_size", "rma_write_size[1]"), "every case by the method name");
        assertEquals("plain", TckReport.knownDefect(defects, "sec_readWriteOnlyRegion", "sec_readWriteOnlyRegion()"), "a plain rule");
    }

    @Test
    void aKnownDefectExcusesOnlyTheFailureItStates() {
        KnownDefect d = new KnownDefect("a driver", "expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>");
        org.junit.jupiter.api.Assertions.assertTrue(d.matches(new AssertionError("read ==> expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>")));
        org.junit.jupiter.api.Assertions.assertFalse(d.matches(new AssertionError("expected exactly 2 completions, got 1")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new KnownDefect("a driver", " "));
    }
}
