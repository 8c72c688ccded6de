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

# shellcheck source=lib/hub-lab.sh
. "$(dirname "$0")/lib/hub-lab.sh"
trap hub_lab_cleanup EXIT
hub_lab_up
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
