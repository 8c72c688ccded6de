#!/usr/bin/env bash
# Records a real DNS-spoofing race: dsniff's dnsspoof against a real resolver (dnsmasq), both
# answering a victim's lookups of bank.test, on a hub-mode bridge captured from a monitor port.
#
# usage: sudo scripts/record-dns-spoof.sh [OUT.pcap]   (default fixtures/dns-spoof/input.pcap; ~12 s)
# needs: iproute2, tcpdump, dnsmasq, dsniff (dnsspoof), python3 — apt-get install -y dnsmasq dsniff
#
# Every packet stays inside network namespaces this script creates (unique names, removed on exit)
# and every address is in 10.232.0.0/24: resolver .1, victim .10, server .20, attacker .66.
set -euo pipefail
OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/fixtures/dns-spoof/input.pcap}
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
for t in ip tcpdump dnsmasq dnsspoof python3; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done

P="nwdns$$"                 # namespace/interface prefix, unique per run
NET=10.232.0
RESOLVER=$NET.1 VICTIM=$NET.10 SERVER=$NET.20 ATTACKER=$NET.66
HOSTS="resolver victim attacker mon"
TMP=$(mktemp -d)
PIDS=()

# shellcheck source=lib/hub-lab.sh
. "$(dirname "$0")/lib/hub-lab.sh"
cleanup() {
  hub_lab_cleanup
  rm -rf "$TMP"
}
trap cleanup EXIT
hub_lab_up
ns resolver ip addr add $RESOLVER/24 dev eth0
ns victim ip addr add $VICTIM/24 dev eth0
ns attacker ip addr add $ATTACKER/24 dev eth0
sleep 1

# The real resolver: bank.test is the server at .20.
ns resolver dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --pid-file="$TMP/dnsmasq.pid" \
  --listen-address=$RESOLVER --bind-interfaces --address=/bank.test/$SERVER >/dev/null 2>&1 &
PIDS+=($!)
# The attacker: dnsspoof answers bank.test with its own address (it sees the queries: hub).
echo "$ATTACKER bank.test" >"$TMP/spoof.hosts"
ns attacker dnsspoof -i eth0 -f "$TMP/spoof.hosts" "udp dst port 53" >/dev/null 2>&1 &
PIDS+=($!)
mkdir -p "$(dirname "$OUT")"
ns mon tcpdump -U -s 0 -i eth0 -w "$OUT" "arp or udp port 53" 2>/dev/null &
CAP=$!
PIDS+=($CAP)
sleep 2

# The victim: five lookups of bank.test, one second apart, each on a fresh socket (new port, new id),
# keeping the first answer as a stub resolver would.
ns victim /usr/bin/python3 - "$RESOLVER" <<'PY'
import random, socket, struct, sys, time
server = sys.argv[1]
for i in range(5):
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + b'\x04bank\x04test\x00' + struct.pack('>HH', 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(q, (server, 53))
    try:
        data, _ = s.recvfrom(512)
        print('answer', i, '.'.join(str(b) for b in data[-4:]))
    except socket.timeout:
        print('no answer', i)
    time.sleep(1)  # the socket stays open: the later (losing) answer is still received, no ICMP
    s.close()
PY
sleep 1
kill $CAP; wait $CAP 2>/dev/null || true
echo "wrote $OUT"
