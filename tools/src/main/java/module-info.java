/**
 * The {@code weft} command: {@code info}, {@code perf}, {@code demo}, {@code testbed}.
 * Runs on the class path with every provider jar beside it (see the {@code ./weft} launcher).
 */
module dev.weft.tools {
    requires dev.weft.api;
    requires java.management;
    requires jdk.management; // the machine's memory, for perf scale's check of its buffers
    requires dev.weft.cluster;
    requires dev.weft.provider.softroce;

    uses dev.weft.spi.FabricProvider;
}
