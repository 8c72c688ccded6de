# Sourced by the scripts/record-*.sh recorders: hosts on a bridge in hub mode, each in a network
# namespace of the script's own, so every packet stays between them. The caller sets P (a prefix
# unique per run), HOSTS (host names; "mon" is the monitor port) and PIDS=() (background tools,
# ended on exit), then calls hub_lab_up; `ns HOST CMD…` runs a command on a host.

ns() { ip netns exec "$P-$1" "${@:2}"; }

hub_lab_cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  for h in $HOSTS sw; do ip netns del "$P-$h" 2>/dev/null || true; done
}

hub_lab_up() {
  # ageing_time 0: every frame floods to every port, as a SPAN port sees it.
  ip netns add "$P-sw"
  ns sw ip link add br0 type bridge
  ns sw ip link set br0 type bridge ageing_time 0
  ns sw ip link set br0 up
  local i=0 h
  for h in $HOSTS; do
    i=$((i + 1))
    ip netns add "$P-$h"
    # IPv4 only: no router solicitations or multicast listener reports in the recording.
    ns "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add "${P}p$i" type veth peer name eth0 netns "$P-$h"
    ip link set "${P}p$i" netns "$P-sw"
    ns sw ip link set "${P}p$i" master br0
    ns sw ip link set "${P}p$i" up
    ns "$h" ip link set lo up
    ns "$h" ip link set eth0 up
  done
}
