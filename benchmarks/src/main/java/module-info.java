/**
 * JMH benchmarks of Weft's data path. Run from the shaded jar on the class path:
 * {@code java -jar benchmarks/target/weft-benchmarks.jar -prof gc}.
 */
module dev.weft.benchmarks {
    requires dev.weft.api;
    requires jmh.core;

    // Nothing is exported: JMH runs the benchmarks from the shaded jar on the class path.
}
