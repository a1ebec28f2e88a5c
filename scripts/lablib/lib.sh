# shellcheck shell=bash disable=SC2154 # repo, DIR, NS_* ... come from scripts/lab
# The lab's functions; sourced by scripts/lab, which sets LAB, DIR, NS_*, addresses and repo.

log() { printf '%s lab: %s\n' "$(date -u +%T)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# A stable, locally administered MAC per VM name (QEMU's 52:54:00 prefix).
mac_for() {
  local h
  h=$(printf '%s' "$1" | sha256sum | cut -c1-6)
  echo "52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
}

# start_bg NAME NS CMD...: a process inside namespace NS; `ip netns exec` execs CMD, so $!
# is CMD's own pid. Output goes to $DIR/NAME.log.
start_bg() {
  local name=$1 ns=$2
  shift 2
  ip netns exec "$ns" "$@" >"$DIR/$name.log" 2>&1 &
  echo "$!" >"$DIR/pids/$name.pid"
}

# Kill a process we started, by pid, but only if it still lives in one of this lab's
# namespaces (a stale pid file must never hit somebody else's process).
kill_ours() {
  local pidfile=$1 pid ns i
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  rm -f "$pidfile"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  ns=$(ip netns identify "$pid" 2>/dev/null || true)
  case $ns in
    "$NS_LAN" | "$NS_SITE" | "$NS_LS") ;;
    *) return 0 ;;
  esac
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid ($pidfile) ignored SIGTERM: SIGKILL (after ${i} tries)"
  kill -KILL "$pid" 2>/dev/null || true
}

lab_is_up() { ip netns list 2>/dev/null | grep -q "^$NS_LAN\b"; }

ctl() {
  # ctl METHOD PATH [BODY]: the control socket, JSON out.
  local method=$1 path=$2
  shift 2
  curl -sS --max-time 30 --unix-socket "$SOCK" -X "$method" -H 'content-type: application/json' \
    ${1:+--data-binary "$1"} "http://landscaper$path"
}

# The machine's state, or nothing when Landscaper does not know it; a failed query (a busy
# host) is retried, so that a judge never mistakes "no answer" for a state.
machine_state() {
  local i out
  for i in 1 2 3; do
    if out=$(ctl GET "/v1/machines/$1" 2>/dev/null); then
      printf '%s' "$out" | jq -r '(.state // .machine.state // empty)' 2>/dev/null || true
      return 0
    fi
    sleep 0.$i
  done
}

nbp_dir() { "$repo/scripts/nbp/build"; }

lab_up() {
  lab_is_up && die "lab $LAB is already up (scripts/lab down)"
  # A fresh lab: no machines from an earlier run in Landscaper's state, no old disks or logs.
  rm -rf "${DIR:?}/state" "$DIR/vms" "$DIR/pids" "$DIR/times" "$DIR/site.leases" "$DIR/lan.pcap"
  rm -f "$DIR"/*.log
  mkdir -p "$DIR/pids" "$DIR/vms" "$DIR/state"
  trap 'log "up failed: cleaning up"; lab_down' EXIT
  trap 'exit 130' INT TERM
  [ -f "$repo/dist/src/cli/main.js" ] || (cd "$repo" && npm run -s build)
  local nbp
  nbp=$(nbp_dir)
  echo "$nbp" >"$DIR/nbp"

  log "namespaces $NS_LAN (bridge), $NS_SITE (site DHCP), $NS_LS (Landscaper $LS_ADDR)"
  local ns
  for ns in "$NS_LAN" "$NS_SITE" "$NS_LS"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_LAN" link add br0 type bridge forward_delay 0 stp_state 0
  ip netns exec "$NS_LAN" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1
  ip -n "$NS_LAN" link set br0 up
  attach "$NS_SITE" site "$SITE_ADDR"
  ip -n "$NS_SITE" addr add fd99::1/64 dev lan0 nodad
  attach "$NS_LS" ls "$LS_ADDR"

  start_bg pcap "$NS_LAN" tcpdump -i br0 -U -n -Z root -w "$DIR/lan.pcap"

  # The site's own DHCP server: addresses only, and an IPv6 RA with router lifetime 0 so
  # iPXE does not wait 16 s for IPv6 autoconfiguration; no-ping saves 3 s per offer. With
  # LAB_DHCP=landscaper the site has no DHCPv4 server at all (a new cluster's empty switch):
  # only the RA is left, and Landscaper leases the addresses.
  local site_v4=(--dhcp-range="$NET.100,$NET.199,255.255.255.0,1h")
  lab_dhcp_server && site_v4=()
  start_bg site-dhcp "$NS_SITE" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --port=0 --user=root --group=root --pid-file= \
    --interface=lan0 --bind-interfaces --dhcp-authoritative --no-ping \
    "${site_v4[@]}" \
    --enable-ra --dhcp-range=fd99::,ra-only,64 --ra-param=lan0,60,0 \
    --dhcp-leasefile="$DIR/site.leases" --log-dhcp --log-facility=-

  local extra=()
  if [ -z "${LAB_PROXY:-}" ] && ! grep -q startDhcpServer "$repo/dist/src/serve.js" 2>/dev/null; then
    log "this build's serve does not start the proxyDHCP: dnsmasq stands in for DHCP and TFTP"
    LAB_PROXY=dnsmasq
  fi
  if [ "${LAB_PROXY:-}" = dnsmasq ]; then
    dnsmasq_proxy_up
    extra=(--no-dhcp --no-tftp)
  fi
  # Registered kernels and initrds must lie under an allowed root: the lab's come from nbp.
  jq -n --arg nbp "$(cat "$DIR/nbp")" --arg ipmitool "$(lab_ipmitool)" \
    --argjson dhcp "$(lab_dhcp_config)" \
    '{files: {allowedRoots: [$nbp]}, power: {ipmitool: $ipmitool}} + $dhcp' >"$DIR/landscaper.json"
  start_bg landscaper "$NS_LS" node "$repo/dist/src/cli/main.js" serve \
    --config "$DIR/landscaper.json" \
    --address "$LS_ADDR" --state-dir "$DIR/state" --socket "$SOCK" \
    --http-port "$HTTP_PORT" --ipxe-dir /usr/lib/ipxe --no-mdns "${extra[@]}"
  local i
  for i in $(seq 1 100); do
    ctl GET /v1/health >/dev/null 2>&1 && break
    kill -0 "$(cat "$DIR/pids/landscaper.pid")" 2>/dev/null || {
      tail -n 20 "$DIR/landscaper.log" >&2
      die "landscaper serve exited"
    }
    sleep 0.2
  done
  ctl GET /v1/health >/dev/null || die "landscaper did not answer on $SOCK (try $i)"
  trap - EXIT INT TERM
  log "up: Landscaper http://$LS_ADDR:$HTTP_PORT, control socket $SOCK, logs in $DIR"
}

# attach NS NAME ADDR: a veth from the bridge into NS, as lan0 with ADDR.
attach() {
  ip -n "$NS_LAN" link add "p-$2" type veth peer name lan0 netns "$1"
  ip -n "$NS_LAN" link set "p-$2" master br0 up
  ip -n "$1" addr add "$3/24" dev lan0
  ip -n "$1" link set lan0 up
}

lab_down() {
  local f ns
  for f in "$DIR"/pids/vm-*.pid "$DIR"/pids/watch-*.pid "$DIR"/pids/*.pid; do
    [ -e "$f" ] && kill_ours "$f"
  done
  for ns in "$NS_LAN" "$NS_SITE" "$NS_LS"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -f "$SOCK"
  log "down: $LAB removed (logs kept in $DIR)"
}

# LAB_DHCP=landscaper: the lab's second network situation, no site DHCP server; Landscaper
# is the DHCP server (dhcp.mode "server") with reservations only, no dynamic pool, so a
# machine gets an address only once registered, and always the one it was registered with.
lab_dhcp_server() { [ "${LAB_DHCP:-site}" = landscaper ]; }

lab_dhcp_config() {
  if lab_dhcp_server; then
    jq -n --arg net "$NET" --arg gw "$SITE_ADDR" \
      '{dhcp: {mode: "server", server: {subnet: "\($net).0/24", router: $gw, dns: [$gw],
        domain: "lab", leaseSeconds: 600}}}'
  else
    echo '{}'
  fi
}

# The address reserved for a VM in LAB_DHCP=landscaper mode: NET.10-99, stable per name,
# below the site pool (NET.100-199) so both modes can share one lab directory.
ipv4_for() {
  local h
  h=$(printf '%s' "$1" | sha256sum | cut -c1-4)
  echo "$NET.$((10 + 0x$h % 90))"
}

# The demo job: scripts/lablib/jobs/*.sh as steps; --fail swaps the install step for one
# that fails like a full disk would.
job_json() {
  local jobs=$repo/scripts/lablib/jobs install=install.sh
  [ "${1:-}" = fail ] && install=fail.sh
  jq -n --rawfile disko "$jobs/disko.sh" --rawfile install "$jobs/$install" \
    '{steps: [{phase: "disko", run: $disko, progress: 10}, {phase: "install", run: $install, progress: 40}],
      after: "reboot"}'
}

# scripts/lab register NAME [--fail] [--bmc]: --bmc adds the BMC `bmc-up NAME` made, so
# that Landscaper arms the machine through it (PXE once, power on).
lab_register() {
  local name=${1:-} mode="" bmc=null
  [ -n "$name" ] || die "usage: scripts/lab register NAME [--fail] [--bmc]"
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --fail) mode=fail ;;
      --bmc) bmc=$(cat "$DIR/bmc/$name/bmc.json") || die "$name has no BMC (scripts/lab bmc-up $name)" ;;
      *) die "unknown option $1" ;;
    esac
    shift
  done
  local mac nbp body
  mac=$(mac_for "$name")
  nbp=$(cat "$DIR/nbp")
  # no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer check can see too
  # few ticks and panic ("IO-APIC + timer doesn't work!"), as it did once in the e2e run.
  body=$(jq -n --arg k "$nbp/vmlinuz" --arg i "$nbp/initrd.gz" --arg h "$name" \
    --argjson job "$(job_json "$mode")" --argjson bmc "$bmc" \
    '{kernel: $k, initrd: $i, cmdline: "console=ttyS0 panic=-1 loglevel=4 no_timer_check", hostname: $h, job: $job}
     + (if $bmc then {bmc: $bmc} else {} end)')
  lab_dhcp_server && body=$(jq --arg ip "$(ipv4_for "$name")" '. + {ipv4: $ip}' <<<"$body")
  ctl PUT "/v1/machines/$mac" "$body" | jq -c '{mac, state, generation, ipv4, bootUrl}'
}

# LAB_PROXY=dnsmasq (development, before Landscaper had its own proxyDHCP and TFTP): dnsmasq
# answers PXE and serves TFTP; iPXE expands ${mac:hexhyp} in the boot file name, so the
# per-MAC script still comes from `landscaper serve`.
dnsmasq_proxy_up() {
  start_bg proxy-dhcp "$NS_LS" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --port=0 --user=root --group=root --pid-file= \
    --interface=lan0 --bind-interfaces --dhcp-range="$NET.0,proxy" \
    --enable-tftp --tftp-root=/usr/lib/ipxe \
    --dhcp-userclass=set:ipxe,iPXE \
    --dhcp-boot="tag:ipxe,http://$LS_ADDR:$HTTP_PORT/boot/\${mac:hexhyp}.ipxe,,$LS_ADDR" \
    --pxe-service="tag:!ipxe,X86-64_EFI,Landscaper,snponly.efi" \
    --log-dhcp --log-facility=-
}
