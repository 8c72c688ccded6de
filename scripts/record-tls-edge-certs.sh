#!/usr/bin/env bash
# Records real TLS 1.2 handshakes (openssl s_server / s_client) whose certificates are X.509 edge
# cases: empty subject and/or issuer DNs (what ended `netwarden analyze` with exit 70, issue 13),
# a v1 certificate without extensions, 1000 SANs, Ed25519 / Ed448 / RSA-PSS / brainpool / DSA keys,
# markup and non-ASCII in names, a validity ending in year 99xx (GeneralizedTime).
# TLS 1.2 because 1.3 encrypts the Certificate message.
#
# usage: sudo scripts/record-tls-edge-certs.sh [OUT.pcap]   (default fixtures/tls-edge-certs/input.pcap; ~20 s)
# needs: iproute2, tcpdump, openssl
#
# Every packet stays inside two network namespaces this script creates (unique names, removed on
# exit) joined by one veth pair: client 10.233.0.10, server 10.233.0.20 (ports 44301…).
set -euo pipefail
OUT=${1:-$(cd "$(dirname "$0")/.." && pwd)/fixtures/tls-edge-certs/input.pcap}
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 2; }
for t in ip tcpdump openssl; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 2; }; done

P="nwtls$$"
CLIENT=10.233.0.10 SERVER=10.233.0.20
TMP=$(mktemp -d)
PIDS=()
ns() { ip netns exec "$P-$1" "${@:2}"; }
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  ip netns del "$P-c" 2>/dev/null || true
  ip netns del "$P-s" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$P-c"
ip netns add "$P-s"
ip link add "${P}c" netns "$P-c" type veth peer name "${P}s" netns "$P-s"
ns c ip link set "${P}c" address 02:00:0a:e9:00:0a
ns s ip link set "${P}s" address 02:00:0a:e9:00:14
ns c ip addr add $CLIENT/24 dev "${P}c"
ns s ip addr add $SERVER/24 dev "${P}s"
for h in c s; do ns $h ip link set lo up; ns $h ip link set "${P}$h" up; done
ns c sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ns s sysctl -qw net.ipv6.conf.all.disable_ipv6=1

cd "$TMP"
ossl() { openssl "$@" 2>/dev/null; }
# A CA with a name, and one whose subject is empty (to issue a certificate with an empty issuer).
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Edge Test CA"
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca0.key -out ca0.pem -days 3650 -subj "/"
issue() { # name keyfile subject ca(ca|ca0) [extfile]
  ossl req -new -key "$2" -out "$1.csr" -subj "$3"
  local ext=(); [ -n "${5:-}" ] && ext=(-extfile "$5")
  ossl x509 -req -in "$1.csr" -CA "$4.pem" -CAkey "$4.key" -set_serial "0x$(openssl rand -hex 8)" -days 365 \
    "${ext[@]}" -out "$1.pem"
}
rsa() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# 1 empty subject and issuer, self-signed (the crash)
ossl req -x509 -newkey rsa:2048 -nodes -keyout e1.key -out e1.pem -days 365 -subj "/"
# 2 empty subject, names only in a critical SAN (RFC 5280 §4.1.2.6), named issuer
rsa e2.key; printf 'subjectAltName=critical,DNS:san-only.test\n' >e2.ext; issue e2 e2.key "/" ca e2.ext
# 3 named subject, empty issuer DN
rsa e3.key; printf 'subjectAltName=DNS:empty-issuer.test\n' >e3.ext; issue e3 e3.key "/CN=empty-issuer.test" ca0 e3.ext
# 4 X.509 v1: no extensions at all
rsa e4.key; issue e4 e4.key "/CN=v1.test" ca
# 5 1000 SANs (~25 KB: the Certificate message spans several records)
rsa e5.key
{ printf 'subjectAltName='; for i in $(seq 1 999); do printf 'DNS:h%04d.many.test,' "$i"; done; printf 'DNS:many.test\n'; } >e5.ext
issue e5 e5.key "/CN=many.test" ca e5.ext
# 6 Ed25519, 7 Ed448 (self-signed)
ossl req -x509 -newkey ed25519 -nodes -keyout e6.key -out e6.pem -days 365 -subj "/CN=ed25519.test"
ossl req -x509 -newkey ed448 -nodes -keyout e7.key -out e7.pem -days 365 -subj "/CN=ed448.test"
# 8 RSA-PSS key
ossl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out e8.key
ossl req -x509 -key e8.key -out e8.pem -days 365 -subj "/CN=rsa-pss.test"
# 9 brainpoolP384r1 (a curve node names but our key-size table does not list)
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP384r1 -out e9.key
ossl req -x509 -key e9.key -out e9.pem -days 365 -subj "/CN=brainpool.test"
# 10 markup, quotes and non-ASCII in every name; validity to year 99xx (GeneralizedTime)
rsa e10.key
ossl req -x509 -key e10.key -out e10.pem -days 2900000 -utf8 \
  -subj "/CN=<img src=x onerror=alert(1)>.test/O=Ünïcødé \"q\" 'x' & co/OU=\\/etc\\/passwd"
# 11 DSA 2048 (TLS 1.2 with a DHE-DSS suite at security level 0)
ossl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param
ossl genpkey -paramfile dsa.param -out e11.key
ossl req -x509 -key e11.key -out e11.pem -days 365 -subj "/CN=dsa.test"

ns s tcpdump -i "${P}s" -w "$TMP/out.pcap" -U -s 0 "tcp and host $CLIENT and host $SERVER" 2>/dev/null &
PIDS+=($!)
sleep 1

handshake() { # n sni [extra s_server args…]
  local n=$1 sni=$2 port=$((44300 + $1)); shift 2
  local chain=(); [ -f "chain$n.pem" ] && chain=(-cert_chain "chain$n.pem")
  ns s openssl s_server -accept "$SERVER:$port" -cert "e$n.pem" -key "e$n.key" "${chain[@]}" -naccept 1 -quiet "$@" \
    </dev/null >/dev/null 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  sleep 0.5
  echo | ns c timeout 10 openssl s_client -connect "$SERVER:$port" -servername "$sni" -tls1_2 "$@" >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
}
cp ca.pem chain2.pem; cp ca0.pem chain3.pem; cp ca.pem chain4.pem; cp ca.pem chain5.pem
handshake 1 empty-dn.test
handshake 2 san-only.test
handshake 3 empty-issuer.test
handshake 4 v1.test
handshake 5 many.test
handshake 6 ed25519.test
handshake 7 ed448.test
handshake 8 rsa-pss.test
handshake 9 brainpool.test -curves brainpoolP384r1:prime256v1
handshake 10 markup.test
handshake 11 dsa.test -cipher 'DHE-DSS-AES128-GCM-SHA256:@SECLEVEL=0'
sleep 1
kill "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true
mkdir -p "$(dirname "$OUT")"
cp "$TMP/out.pcap" "$OUT"
echo "wrote $OUT ($(tcpdump -r "$OUT" 2>/dev/null | wc -l) packets)" >&2
