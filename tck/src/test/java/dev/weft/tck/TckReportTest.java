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
}
