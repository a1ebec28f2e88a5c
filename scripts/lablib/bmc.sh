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
          power) if bmc_vm_alive "$name"; then echo power:1; else echo power:0; fi ;;
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

bmc_vm_alive() { kill -0 "$(cat "$DIR/pids/vm-$1.pid" 2>/dev/null)" 2>/dev/null; }

bmc_power_on() {
  local name=$1 fw=$2 d boot vmport mac serial n
  bmc_vm_alive "$name" && return 0
  d=$(bmc_dir "$name")
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
  bmc_vm_alive "$1" || return 0
  echo "$(date -u +%T) off" >>"$d/power.log"
  # kill_ours waits for QEMU to go; ipmi_sim is blocked meanwhile, so do not make it wait.
  kill_ours "$DIR/pids/vm-$1.pid" </dev/null >/dev/null 2>&1 &
}

# scripts/lab bmc-story NAME [--firmware F]: on a lab that is up, NAME's VM installed and
# re-installed with nobody pressing its power button: its BMC (bmc-up), a registration,
# Landscaper's power driver (src/power, run from Landscaper's namespace) arms it (PXE once,
# power on), the installer reboots (QEMU's -no-reboot: power off), power on boots the
# disk, a rearm and a second arm install generation 2. Until phase 2 puts this in the
# registry, the driver is run by dist/scripts/lablib/power.js.
lab_bmc_story() {
  local name=${1:-} fw=uefi
  [ -n "$name" ] || die "usage: scripts/lab bmc-story NAME [--firmware uefi|bios|http]"
  shift
  [ "${1:-}" = --firmware ] && fw=$2
  lab_is_up || die "lab $LAB is not up (scripts/lab up)"
  local mac d round t0 i serial
  mac=$(mac_for "$name")
  d=$(bmc_dir "$name")
  lab_bmc_up "$name" --firmware "$fw" >/dev/null
  lab_register "$name" >/dev/null
  for round in 1 2; do
    [ "$round" = 2 ] && ctl POST "/v1/machines/$mac/rearm" >/dev/null
    t0=$SECONDS
    bmc_power "$name" arm || return 1
    for i in $(seq 1 300); do
      [ "$(machine_state "$mac")" = installed ] && ! bmc_vm_alive "$name" && break
      sleep 1
    done
    [ "$(machine_state "$mac")" = installed ] || die "generation $round: state '$(machine_state "$mac")' after ${i}s"
    log "generation $round: installed and powered off by its reboot after $((SECONDS - t0))s"
    bmc_power "$name" status | grep -q '"power":"off"' || die "the BMC does not report power off"
    t0=$SECONDS
    bmc_power "$name" on || return 1
    serial=$DIR/vms/$name/serial-$(cat "$DIR/vms/$name/boots").log
    for i in $(seq 1 120); do
      grep -qa LANDSCAPER-LOCAL-BOOT "$serial" 2>/dev/null && break
      sleep 1
    done
    grep -qa LANDSCAPER-LOCAL-BOOT "$serial" || die "power on did not boot the disk ($serial)"
    log "generation $round: power on (no override) booted the disk after $((SECONDS - t0))s"
    bmc_power "$name" off || return 1
    for i in $(seq 1 30); do bmc_vm_alive "$name" || break; sleep 0.2; done
    bmc_vm_alive "$name" && die "QEMU still runs after power off"
  done
  sed 's/^/    power | /' "$d/power.log"
}

# bmc_power NAME ACTION: Landscaper's driver, from Landscaper's namespace, prints its outcome.
bmc_power() {
  ip netns exec "$NS_LS" node "$repo/dist/scripts/lablib/power.js" "$(bmc_dir "$1")/bmc.json" \
    "$1 ($(mac_for "$1"))" "$2"
}
