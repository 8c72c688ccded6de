#!/usr/bin/env bash
# Records a real FIN scan followed by a NULL scan (nmap -sF, then -sN) of one server, on a hub-mode
# bridge captured from a monitor port: one scanner, two stealth techniques, one port-scan finding.
#
# usage: sudo scripts/record-fin-null-scan.sh [OUT.pcap]   (default fixtures/scan-fin-null/input.pcap; ~8 s)
# needs: iproute2, tcpdump, nmap, python3
#
# Every packet stays inside network namespaces this script creates (unique names, removed on exit)
# and every address is in 10.233.0.0/24: server .20 (HTTP on 80), attacker .66.
set -euo pipefail
OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/fixtures/scan-fin-null/input.pcap}
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
for t in ip tcpdump nmap python3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done

P="nwfn$$"                  # namespace/interface prefix, unique per run
NET=10.233.0
SERVER=$NET.20 ATTACKER=$NET.66
HOSTS="server attacker mon"
PIDS=()

ns() { ip netns exec "$P-$1" "${@:2}"; }
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  for h in $HOSTS sw; do ip netns del "$P-$h" 2>/dev/null || true; done
}
trap cleanup EXIT

# A bridge in hub mode (ageing_time 0: every frame floods to every port, as a SPAN port sees it).
ip netns add "$P-sw"
ns sw ip link add br0 type bridge
ns sw ip link set br0 type bridge ageing_time 0
ns sw ip link set br0 up
i=0
for h in $HOSTS; do
  i=$((i + 1))
  ip netns add "$P-$h"
  ns "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add "${P}p$i" type veth peer name eth0 netns "$P-$h"
  ip link set "${P}p$i" netns "$P-sw"
  ns sw ip link set "${P}p$i" master br0
  ns sw ip link set "${P}p$i" up
  ns "$h" ip link set lo up
  ns "$h" ip link set eth0 up
done
ns server ip addr add $SERVER/24 dev eth0
ns attacker ip addr add $ATTACKER/24 dev eth0
sleep 1

# One open port, so the scan shows the open|filtered case (no answer) beside closed ones (RST-ACK).
ns server /usr/bin/python3 -m http.server 80 --bind $SERVER >/dev/null 2>&1 &
PIDS+=($!)
mkdir -p "$(dirname "$OUT")"
ns mon tcpdump -U -s 0 -i eth0 -w "$OUT" 2>/dev/null &
CAP=$!
PIDS+=($CAP)
sleep 2
ns attacker nmap -n -Pn -sF -p 1-200 -T4 $SERVER >/dev/null
ns attacker nmap -n -Pn -sN -p 1-200 -T4 $SERVER >/dev/null
sleep 1
kill $CAP; wait $CAP 2>/dev/null || true
echo "wrote $OUT"
