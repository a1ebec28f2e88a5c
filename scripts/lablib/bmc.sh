# shellcheck shell=bash disable=SC2154 # repo, DIR, NS_*, BMC_ADDR ... come from scripts/lab
# The lab's BMCs: a VM whose power is switched only through IPMI over LAN.
#
# One OpenIPMI `ipmi_sim` per VM runs in the LAN namespace and listens on the bridge's own
# address ($BMC_ADDR, the "management network" shares the LAN here) on a UDP port of its own.
# ipmi_sim answers Set/Get System Boot Options only through an external chassis program, and
# that program then also owns power, so the program is `scripts/lab bmc-chassis`: power on
# starts the VM's QEMU (network first when the boot device is PXE, disk first otherwise;
# the override is used up by that power-on, as on a real BMC), power off stops it, and the
# VM gets a KCS interface wired back to ipmi_sim (ipmi-bmc-extern over a socket).

# The BMC's UDP port and the port its VM's KCS chardev connects to, stable per VM name.
bmc_ports() {
  local h
  h=$(printf '%s' "$1" | sha256sum | cut -c1-4)
  h=$((16#$h % 200))
  echo "$((6230 + h)) $((9230 + h))"
}

bmc_dir() { echo "$DIR/bmc/$1"; }

# scripts/lab bmc-up NAME [--firmware uefi|bios|http]: NAME's BMC; prints the `bmc` object
# a registration carries (also in $DIR/bmc/NAME/bmc.json).
lab_bmc_up() {
  local name=${1:-} fw=uefi
  [ -n "$name" ] || die "usage: scripts/lab bmc-up NAME [--firmware uefi|bios|http]"
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --firmware) fw=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  lab_is_up || die "lab $LAB is not up (scripts/lab up)"
  local d port vmport pw
  d=$(bmc_dir "$name")
  read -r port vmport < <(bmc_ports "$name")
  [ -f "$DIR/pids/bmc-$name.pid" ] && kill -0 "$(cat "$DIR/pids/bmc-$name.pid")" 2>/dev/null &&
    die "$name already has a BMC (scripts/lab bmc-down $name)"
  mkdir -p "$d/state"
  rm -f "$d/boot" "$d/power.log" "$d/chassis.log"
  ip -n "$NS_LAN" addr show dev br0 | grep -q " $BMC_ADDR/" ||
    ip -n "$NS_LAN" addr add "$BMC_ADDR/24" dev br0
  if [ ! -s "$d/password" ]; then
    (umask 077 && head -c 12 /dev/urandom | base64 | tr '+/' '-_' >"$d/password")
  fi
  pw=$(cat "$d/password")
  cat >"$d/lan.conf" <<EOF
name "lab-$name"
set_working_mc 0x20
  startlan 1
    addr $BMC_ADDR $port
    priv_limit admin
    allowed_auths_admin md5
    guid a123456789abcdefa123456789abcdef
  endlan
  serial 15 127.0.0.1 $vmport codec VM
  chassis_control "env LAB_NAME=$LAB LAB_DIR=$DIR $repo/scripts/lab bmc-chassis $name $fw"
  user 2 true "admin" "$pw" admin 10 md5
EOF
  chmod 600 "$d/lan.conf"
  printf '%s\n' 'mc_setbmc 0x20' 'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02' \
    'mc_enable 0x20' >"$d/bmc.emu"
  start_bg "bmc-$name" "$NS_LAN" ipmi_sim -c "$d/lan.conf" -f "$d/bmc.emu" -s "$d/state" -n
  local i
  for i in $(seq 1 50); do
    ip netns exec "$NS_LAN" ss -Hlun "sport = :$port" | grep -q . && break
    kill -0 "$(cat "$DIR/pids/bmc-$name.pid")" 2>/dev/null || die "ipmi_sim exited: $(tail -n 5 "$DIR/bmc-$name.log")"
    sleep 0.1
  done
  local firmware=uefi
  [ "$fw" = bios ] && firmware=bios
  jq -n --arg a "$BMC_ADDR" --argjson p "$port" --arg f "$d/password" --arg fw "$firmware" \
    '{protocol: "ipmi", address: $a, port: $p, username: "admin", passwordFile: $f,
      cipherSuite: 3, firmware: $fw}' | tee "$d/bmc.json"
  log "BMC of $name: IPMI over LAN at $BMC_ADDR:$port (ipmi_sim try $i), password in $d/password"
}

lab_bmc_down() {
  [ -n "${1:-}" ] || die "usage: scripts/lab bmc-down NAME"
  kill_ours "$DIR/pids/vm-$1.pid"
  kill_ours "$DIR/pids/bmc-$1.pid"
}

# scripts/lab bmc-chassis NAME FIRMWARE get PARAM... | set PARAM VALUE...: ipmi_sim's
# external chassis program (it runs this through popen in the LAN namespace, and blocks
# while it runs: keep it short; stdout is the answer, so QEMU must not hold it).
lab_bmc_chassis() {
  local name=$1 fw=$2 op=$3 d
  shift 3
  d=$(bmc_dir "$name")
  echo "$(date -u +%T.%N | cut -c1-12) $op $*" >>"$d/chassis.log"
  case $op in
    get)
      local p
      for p in "$@"; do
        case $p in
          power) if vm_alive "$name"; then echo power:1; else echo power:0; fi ;;
          boot) echo "boot:$(cat "$d/boot" 2>/dev/null || echo default)" ;;
          *) echo "Invalid parameter: $p"; return 1 ;;
        esac
      done
      ;;
    set)
      while [ $# -ge 2 ]; do
        case $1 in
          power) if [ "$2" = 1 ]; then bmc_power_on "$name" "$fw"; else bmc_power_off "$name"; fi ;;
          boot) echo "$2" >"$d/boot" ;;
          reset | identify) ;;
          *) echo "Invalid parameter: $1"; return 1 ;;
        esac
        shift 2
      done
      ;;
    *) return 1 ;;
  esac
}

bmc_power_on() {
  local name=$1 fw=$2 d boot vmport mac serial n i
  vm_alive "$name" && return 0
  d=$(bmc_dir "$name")
  # A power cycle is "set power 0", then "set power 1" a second later: the QEMU that power
  # off stopped must be gone (its tap free) before the new one starts.
  if [ -f "$d/stopping" ]; then
    for i in $(seq 1 50); do
      kill -0 "$(cat "$d/stopping")" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "$d/stopping"
  fi
  boot=$(cat "$d/boot" 2>/dev/null || echo default)
  read -r _ vmport < <(bmc_ports "$name")
  vm_prepare "$name" "$fw" >/dev/null
  if [ "$boot" != pxe ]; then
    # No network override: the disk comes first, as after an install on a real server.
    QEMU=("${QEMU[@]/bootindex=1/bootindex=9}")
    QEMU=("${QEMU[@]/bootindex=2/bootindex=1}")
    QEMU=("${QEMU[@]/bootindex=9/bootindex=2}")
  fi
  QEMU+=(-chardev "socket,id=ipmi0,host=127.0.0.1,port=$vmport,reconnect=10"
    -device "ipmi-bmc-extern,id=bmc0,chardev=ipmi0" -device "isa-ipmi-kcs,bmc=bmc0")
  # Already in the LAN namespace (ipmi_sim's); setsid keeps QEMU out of ipmi_sim's signals.
  setsid "${QEMU[@]}" </dev/null >"$DIR/vm-$name.log" 2>&1 &
  echo "$!" >"$DIR/pids/vm-$name.pid"
  echo default >"$d/boot"
  echo "$(date -u +%T) on boot=$boot mac=$mac power-on=$n serial=$serial pid=$!" >>"$d/power.log"
}

bmc_power_off() {
  local d
  d=$(bmc_dir "$1")
  vm_alive "$1" || return 0
  echo "$(date -u +%T) off" >>"$d/power.log"
  # Off at once for `get power`; kill_ours waits for QEMU to go, and ipmi_sim is blocked
  # meanwhile, so it waits in the background (power on waits for it, see bmc_power_on).
  mv "$DIR/pids/vm-$1.pid" "$d/vm.pid"
  cp "$d/vm.pid" "$d/stopping"
  kill_ours "$d/vm.pid" </dev/null >/dev/null 2>&1 &
}

# scripts/lab bmc-story NAME [--firmware F]: on a lab that is up, NAME's VM installed and
# re-installed with nobody at its power button, every power action Landscaper's own
# (`landscaper serve` runs ipmitool from its namespace): bmc-up; a registration with the
# BMC, which arms it (PXE once, power on); the install; the installer's reboot (QEMU's
# -no-reboot: power off); `machines power on` (no override: the disk); a rearm, which arms
# it again (PXE once, and a cycle, as it is on); the second install; on (the disk); off.
# Landscaper's record of NAME after each round: $DIR/bmc/NAME/machine-1.json, -2.json.
lab_bmc_story() {
  local name=${1:-} fw=uefi
  [ -n "$name" ] || die "usage: scripts/lab bmc-story NAME [--firmware uefi|bios|http]"
  shift
  [ "${1:-}" = --firmware ] && fw=$2
  lab_is_up || die "lab $LAB is not up (scripts/lab up)"
  local mac round
  mac=$(mac_for "$name")
  lab_bmc_up "$name" --firmware "$fw" >/dev/null
  # shellcheck disable=SC2064 # NAME now: the trap runs after this function's locals are gone
  trap "watch_stop $(printf %q "$name")" EXIT
  watch_start "$name" "$(date +%s%3N)"
  for round in 1 2; do
    if [ "$round" = 1 ]; then
      bmc_armed "$name" "$fw" lab_register "$name" --bmc || return 1
    else
      bmc_armed "$name" "$fw" ctl POST "/v1/machines/$mac/rearm" || return 1
    fi
    bmc_power "$name" status | grep -q ': power off' || die "the BMC does not report power off"
    bmc_disk_boot "$name" "$fw" || return 1
    # Landscaper's record now: a rearm folds this generation's power events into a count.
    ctl GET "/v1/machines/$mac" >"$(bmc_dir "$name")/machine-$round.json"
  done
  bmc_power "$name" off || return 1
  local i
  for i in $(seq 1 30); do vm_alive "$name" || break; sleep 0.2; done
  vm_alive "$name" && die "QEMU still runs after power off"
  sleep 0.5 # the watcher's last lines
  watch_stop "$name"
  trap - EXIT
  sed 's/^/    BMC | /' "$(bmc_dir "$name")/power.log"
}

# bmc_armed NAME FW CMD...: CMD (a registration, a rearm) must make Landscaper arm NAME
# through its BMC; waits for that power-on, then for the install and the reboot (power off).
bmc_armed() {
  local name=$1 fw=$2 ons t0
  shift 2
  ons=$(bmc_power_ons "$name")
  t0=$(date +%s.%N)
  "$@" >/dev/null || die "$*: failed"
  bmc_await "$name" "$ons" installed 240 "$fw, armed by Landscaper" "$t0"
}

# bmc_disk_boot NAME FW: `landscaper machines power NAME on`; no override, so the disk.
bmc_disk_boot() {
  local name=$1 fw=$2 ons t0
  ons=$(bmc_power_ons "$name")
  t0=$(date +%s.%N)
  bmc_power "$name" on || return 1
  bmc_await "$name" "$ons" local 120 "$fw, powered on by the operator" "$t0"
}

# bmc_await NAME ONS EXPECT TIMEOUT LABEL T0: waits (60 s at most) for the BMC's power-on
# after the ONS it had, then for EXPECT as `scripts/lab boot` judges it.
bmc_await() {
  local name=$1 ons=$2 expect=$3 timeout=$4 label=$5 t0=$6 end verdict
  end=$((SECONDS + 60))
  while [ "$(bmc_power_ons "$name")" -le "$ons" ]; do
    if [ $SECONDS -ge $end ]; then
      boot_verdict "$name" "$label" "$expect" "fail:no power-on through the BMC within 60 s" "$t0"
      return 1
    fi
    sleep 0.2
  done
  verdict=$(await_outcome "$name" "$expect" "$timeout")
  boot_verdict "$name" "$label" "$expect" "$verdict" "$t0"
}

# How many times NAME's BMC has powered its VM on (power.log, written by the chassis).
bmc_power_ons() { awk '$2 == "on"' "$(bmc_dir "$1")/power.log" 2>/dev/null | wc -l; }

# bmc_power NAME ACTION: `landscaper machines power` (the control socket; Landscaper runs
# ipmitool from its namespace); prints its outcome.
bmc_power() {
  LANDSCAPER_SOCKET=$SOCK node "$repo/dist/src/cli/main.js" machines power "$(mac_for "$1")" "$2"
}

# The ipmitool Landscaper runs in the lab (config power.ipmitool): the real one, after it
# appended its argument list to $DIR/ipmitool-argv.log, so that the e2e test can check that
# the password never was on a command line. Prints its path.
lab_ipmitool() {
  printf '%s\n' '#!/bin/sh' "printf '%s\\n' \"\$*\" >>'$DIR/ipmitool-argv.log'" \
    'exec ipmitool "$@"' >"$DIR/ipmitool"
  chmod 755 "$DIR/ipmitool"
  echo "$DIR/ipmitool"
}
