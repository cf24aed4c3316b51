/**
 * The cluster connection manager of Weft ("slam connect"): two nodes reach a connection using
 * only RDMA read and write against a predetermined (address, port, configuration region)
 * triple, then serve connections to their clients (a heartbeat / failover monitor and a log
 * mirror ship with it), over one or several interconnects. Works on every provider.
 */
module dev.weft.cluster {
    requires transitive dev.weft.api;
    requires jdk.jfr;

    exports dev.weft.cluster;
    exports dev.weft.cluster.demo;
}
