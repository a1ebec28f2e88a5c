#!/bin/sh
# Landscaper installer agent.
#
# Runs inside the network boot program: under busybox (wget) in the demo initrd and under
# a full NixOS installer (curl). It learns where Landscaper is from the kernel command line
# (landscaper.url, landscaper.token, landscaper.mac), fetches its job as POSIX sh
# assignments, installs the installation SSH host key, runs the job's steps in order while
# reporting each phase, and calls back `complete` (or `failed` with the tail of its log).
#
# Environment overrides (for tests and odd installers):
#   LANDSCAPER_CMDLINE_FILE  where to read the command line (default /proc/cmdline)
#   LANDSCAPER_LOG           the agent's log (default /tmp/landscaper-agent.log)
#   LANDSCAPER_SSH_DIR       where the host key goes (default /etc/ssh)
#   LANDSCAPER_POWER_CMD     run as `$LANDSCAPER_POWER_CMD reboot|poweroff` instead of
#                            really rebooting
#   LANDSCAPER_TAIL_LINES    how many log lines a failure report carries (default 40)
#   LANDSCAPER_SKIP_NETWORK  1: never try to bring up the network
#   LANDSCAPER_AGENT_LIB     1: define the functions only (tests source the file)

set -u

cmdline_file=${LANDSCAPER_CMDLINE_FILE:-/proc/cmdline}
log=${LANDSCAPER_LOG:-/tmp/landscaper-agent.log}
ssh_dir=${LANDSCAPER_SSH_DIR:-/etc/ssh}
tail_lines=${LANDSCAPER_TAIL_LINES:-40}
work=${TMPDIR:-/tmp}/landscaper-agent.$$

say() {
  # The console shows what the agent does; the log keeps it for the failure report.
  printf 'landscaper-agent: %s\n' "$*" >&2
  printf '%s\n' "$*" >>"$log"
}

die_early() {
  # Nothing to report to: we do not know where Landscaper is.
  say "error: $*"
  exit 2
}

# JSON string from stdin: control characters other than tab and newline are dropped
# (they carry nothing a human needs in a failure log), tabs become spaces, backslash and
# double quote are escaped, lines are joined with \n.
json_escape() {
  tr '\t' ' ' | tr -d '\000-\010\013-\037' |
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' |
    awk 'BEGIN { printf "\"" } { printf "%s%s", sep, $0; sep = "\\n" } END { printf "\"" }'
}

json_str() {
  printf '%s' "$1" | json_escape
}

# --- the kernel command line ---------------------------------------------------------

url=""
token=""
mac=""
read_cmdline() {
  [ -r "$cmdline_file" ] || die_early "cannot read $cmdline_file"
  set -f
  # shellcheck disable=SC2013 # words, not lines, are what the kernel command line holds
  for word in $(cat "$cmdline_file"); do
    case $word in
      landscaper.url=*) url=${word#landscaper.url=} ;;
      landscaper.token=*) token=${word#landscaper.token=} ;;
      landscaper.mac=*) mac=${word#landscaper.mac=} ;;
    esac
  done
  set +f
  [ -n "$url" ] || die_early "landscaper.url missing from $cmdline_file"
  [ -n "$token" ] || die_early "landscaper.token missing from $cmdline_file"
  [ -n "$mac" ] || die_early "landscaper.mac missing from $cmdline_file"
  url=${url%/}
}

# --- the network ---------------------------------------------------------------------

has_address() {
  ip -4 addr show scope global 2>/dev/null | grep -q 'inet '
}

# Debian's cloud kernel has virtio as modules; without modules.dep they must be loaded in
# dependency order. Missing ones are built in or not needed.
load_net_modules() {
  kdir=/lib/modules/$(uname -r)
  [ -d "$kdir" ] || return 0
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
    failover net_failover virtio_net virtio_blk; do
    ko=$(find "$kdir" -name "$m.ko" 2>/dev/null | head -n 1)
    [ -n "$ko" ] && insmod "$ko" 2>/dev/null
  done
  return 0
}

udhcpc_script() {
  # busybox udhcpc does nothing by itself: this script applies the lease.
  cat >"$work/udhcpc.script" <<'SCRIPT'
#!/bin/sh
case $1 in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip -4 addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip -4 route add default via "$r" dev "$interface"; break; done
    : >/etc/resolv.conf 2>/dev/null
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    ;;
esac
exit 0
SCRIPT
  chmod 755 "$work/udhcpc.script"
}

bring_up_network() {
  [ "${LANDSCAPER_SKIP_NETWORK:-}" = 1 ] && return 0
  has_address && return 0
  say "no IPv4 address yet: bringing up the network"
  load_net_modules
  command -v udhcpc >/dev/null 2>&1 || { say "no udhcpc to get an address with"; return 1; }
  udhcpc_script
  tries=0
  while [ "$tries" -lt 5 ]; do
    tries=$((tries + 1))
    for dev in /sys/class/net/*; do
      ifname=${dev##*/}
      [ "$ifname" = lo ] && continue
      ip link set "$ifname" up 2>/dev/null
      udhcpc -i "$ifname" -s "$work/udhcpc.script" -n -q -t 4 -T 2 >>"$log" 2>&1 && return 0
    done
    sleep 1
  done
  say "no DHCP lease on any interface"
  return 1
}

# --- HTTP with whatever client this system has ---------------------------------------

if command -v curl >/dev/null 2>&1; then client=curl; else client=wget; fi

# http_get URL FILE
http_get() {
  if [ "$client" = curl ]; then
    curl -fsS --retry 5 --retry-delay 1 --connect-timeout 10 \
      -H "Authorization: Bearer $token" -o "$2" "$1"
  else
    # Debian's busybox 1.35 wget crashes with -T: bound it with timeout instead.
    timeout 60 wget -q --header "Authorization: Bearer $token" -O "$2" "$1"
  fi
}

# http_post URL JSON
http_post() {
  if [ "$client" = curl ]; then
    curl -fsS --retry 3 --retry-delay 1 --connect-timeout 10 -o /dev/null \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary "$2" "$1"
  else
    timeout 30 wget -q -O /dev/null --header "Authorization: Bearer $token" \
      --header 'Content-Type: application/json' --post-data "$2" "$1"
  fi
}

# post PATH JSON: best effort, a few times; the install goes on when an event is lost.
post() {
  n=0
  while [ "$n" -lt 3 ]; do
    n=$((n + 1))
    http_post "$url/v1/installs/$mac/$1" "$2" && return 0
    sleep 1
  done
  say "could not POST $1 to $url"
  return 1
}

report_failed() {
  message=$1
  say "failed: $message"
  # At most 16 KiB (what Landscaper keeps): one huge line must not push the report past
  # the server's body limit and lose the failure.
  tail_json=$(tail -n "$tail_lines" "$log" | tail -c 16384 | json_escape)
  post failed "{\"message\":$(json_str "$message"),\"log\":$tail_json}"
  exit 1
}

# --- the job -------------------------------------------------------------------------

fetch_job() {
  n=0
  while :; do
    n=$((n + 1))
    http_get "$url/v1/installs/$mac/job.sh" "$work/job.sh" >>"$log" 2>&1 && break
    [ "$n" -ge 5 ] && die_early "cannot fetch $url/v1/installs/$mac/job.sh"
    sleep 2
  done
  # The job is Landscaper's own rendering: POSIX sh assignments, single-quoted.
  # shellcheck disable=SC1091
  . "$work/job.sh" || report_failed "the job script does not parse"
  case ${LANDSCAPER_STEPS:-} in
    '' | *[!0-9]*) report_failed "the job has no valid LANDSCAPER_STEPS" ;;
  esac
}

install_host_key() {
  [ -n "${LANDSCAPER_HOST_KEY_PRIVATE:-}" ] || return 0
  mkdir -p "$ssh_dir" || report_failed "cannot create $ssh_dir"
  old_umask=$(umask)
  umask 077
  printf '%s\n' "$LANDSCAPER_HOST_KEY_PRIVATE" >"$ssh_dir/ssh_host_ed25519_key" ||
    report_failed "cannot write $ssh_dir/ssh_host_ed25519_key"
  chmod 600 "$ssh_dir/ssh_host_ed25519_key"
  printf '%s\n' "${LANDSCAPER_HOST_KEY_PUBLIC:-}" >"$ssh_dir/ssh_host_ed25519_key.pub"
  chmod 644 "$ssh_dir/ssh_host_ed25519_key.pub"
  umask "$old_umask"
  say "installed the installation host key in $ssh_dir"
  # A running sshd (the NixOS installer) must present the new key.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl try-restart sshd.service >>"$log" 2>&1 || true
  fi
}

run_steps() {
  i=0
  phase=""
  run=""
  progress=""
  while [ "$i" -lt "$LANDSCAPER_STEPS" ]; do
    i=$((i + 1))
    eval "phase=\${LANDSCAPER_STEP_${i}_PHASE:-step$i}"
    eval "run=\${LANDSCAPER_STEP_${i}_RUN:-}"
    eval "progress=\${LANDSCAPER_STEP_${i}_PROGRESS:-}"
    case $progress in
      '' | *[!0-9]*) progress_json="" ;;
      *) progress_json=",\"progress\":$progress" ;;
    esac
    say "phase $i/$LANDSCAPER_STEPS: $phase"
    post events "{\"phase\":$(json_str "$phase"),\"message\":$(json_str "step $i of $LANDSCAPER_STEPS")$progress_json}"
    # Each step runs in its own shell that stops at its first failing command; its output
    # goes to the console and to the log.
    { sh -ec "$run" </dev/null 2>&1; echo $? >"$work/rc"; } | tee -a "$log" >&2
    rc=$(cat "$work/rc")
    [ "$rc" = 0 ] || report_failed "phase $phase failed (exit $rc)"
  done
}

after() {
  what=${LANDSCAPER_AFTER:-reboot}
  case $what in
    none) say "done; staying up (after: none)"; return 0 ;;
    reboot | poweroff) ;;
    *) say "unknown after '$what': rebooting"; what=reboot ;;
  esac
  say "done; $what"
  sync
  if [ -n "${LANDSCAPER_POWER_CMD:-}" ]; then
    $LANDSCAPER_POWER_CMD "$what"
  elif [ -d /run/systemd/system ]; then
    systemctl "$what"
  else
    # PID 1 of a busybox initrd is a shell that would ignore the signal: force it.
    "$what" -f
  fi
}

main() {
  mkdir -p "$work" || exit 2
  : >>"$log"
  read_cmdline
  say "Landscaper at $url, machine $mac, HTTP client $client"
  bring_up_network || die_early "no network"
  fetch_job
  export LANDSCAPER_MAC LANDSCAPER_HOSTNAME LANDSCAPER_AFTER LANDSCAPER_GENERATION 2>/dev/null
  install_host_key
  run_steps
  pub=""
  [ -r "$ssh_dir/ssh_host_ed25519_key.pub" ] && pub=$(cat "$ssh_dir/ssh_host_ed25519_key.pub")
  if [ -n "$pub" ]; then body="{\"hostPublicKey\":$(json_str "$pub")}"; else body="{}"; fi
  post complete "$body" || die_early "could not report completion"
  say "installed"
  rm -rf "$work"
  after
}

[ "${LANDSCAPER_AGENT_LIB:-}" = 1 ] || main "$@"
