package dev.weft.cluster;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A JFR event for every slam-connect transition (record with {@code -XX:StartFlightRecording}). */
@Name("dev.weft.cluster.SlamTransition")
@Label("Slam-connect transition")
@Category({"Weft", "Cluster"})
@Description("A transition of the cluster connection manager's state machine")
final class SlamTransitionEvent extends jdk.jfr.Event {
    @Label("Node")
    String node;
    @Label("From")
    String from;
    @Label("Event")
    String event;
    @Label("To")
    String to;
    @Label("Detail")
    String detail;
}
