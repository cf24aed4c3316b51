#!/bin/sh
# Reproduces a Soft-RoCE (rdma_rxe) limitation of Debian 12's kernel with rdma-core's own tools,
# no Weft code involved: after the port goes down and up while an RC connection carries traffic,
# rxe0 never answers an rdma_cm connection request again, even between two fresh processes,
# until the device is deleted and added again. Run it in the testbed (a throwaway VM):
#
#   ./weft testbed exec -- sh scripts/rxe-port-flap.sh
#
# Expected output on the affected kernel: "before the flap: rc=0", "after the flap: rc=124",
# "after re-creating rxe0: rc=0". See docs/cluster.md ("On the verbs provider").
set -u
ADDR=${ADDR:-192.0.2.1}
NETDEV=${NETDEV:-dummy0}

pair() { # $1 port: a fresh rping server and client, three pings
  (timeout 20 rping -s -a "$ADDR" -p "$1" -C 3 >/dev/null 2>&1 &)
  sleep 1
  timeout 10 rping -c -a "$ADDR" -p "$1" -C 3 >/dev/null 2>&1
  echo "rc=$?"
}

echo "before the flap: $(pair 7471)"
(timeout 30 rping -s -a "$ADDR" -p 7472 >/dev/null 2>&1 &)
sleep 1
(timeout 25 rping -c -a "$ADDR" -p 7472 -C 1000000 -S 64 >/dev/null 2>&1 &)
sleep 3
ip link set "$NETDEV" down
sleep 2
ip link set "$NETDEV" up
sleep 1
pkill -9 rping
sleep 3
echo "after the flap (traffic was in flight; every process that saw it is gone): $(pair 7473)"
rdma link delete rxe0 && rdma link add rxe0 type rxe netdev "$NETDEV"
echo "after re-creating rxe0: $(pair 7474)"
