# shellcheck shell=bash disable=SC2154 # repo, DIR, NS_* ... come from scripts/lab
# `scripts/lab boot`: power a VM on with real firmware and wait for the outcome.

# qemu_args NAME FIRMWARE MAC TAP SERIAL: the VM's command line in the array QEMU.
qemu_args() {
  local name=$1 fw=$2 mac=$3 tap=$4 serial=$5 vm=$DIR/vms/$1
  QEMU=(qemu-system-x86_64 -name "$name" -machine "pc,graphics=off" -m 512 -smp 1 -nodefaults -no-reboot
    -display none -vga none -monitor none -serial "file:$serial"
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no"
    -drive "file=$vm/disk.img,format=raw,if=none,id=d0"
    -device "virtio-blk-pci,drive=d0,bootindex=2")
  case $fw in
    bios)
      # SeaBIOS; QEMU's default virtio-net option ROM is iPXE (ipxe-qemu).
      QEMU+=(-device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=1")
      ;;
    uefi | http)
      # OVMF; an empty romfile keeps iPXE's option ROM out so EDK2's own network stack runs.
      [ -f "$vm/OVMF_VARS.fd" ] || cp "$OVMF_VARS" "$vm/OVMF_VARS.fd"
      QEMU+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE"
        -drive "if=pflash,format=raw,unit=1,file=$vm/OVMF_VARS.fd"
        -device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=1,romfile="
        -fw_cfg "name=opt/org.tianocore/IPv6Support,string=no")
      if [ "$fw" = http ]; then
        # With PXE off, EDK2's first network boot option is UEFI HTTP boot.
        QEMU+=(-fw_cfg "name=opt/org.tianocore/IPv4PXESupport,string=no")
      fi
      ;;
    *) die "firmware must be uefi, bios or http, not '$fw'" ;;
  esac
}

# vm_prepare NAME FIRMWARE: the VM's disk, its tap on the bridge, the next serial log, and
# its command line in QEMU; sets mac, n (this boot's number) and serial for the caller.
vm_prepare() {
  local name=$1 fw=$2 vm=$DIR/vms/$1 tap
  mkdir -p "$vm"
  mac=$(mac_for "$name")
  tap=t$(echo "$mac" | tr -d : | cut -c7-12)
  [ -f "$vm/disk.img" ] || truncate -s 128M "$vm/disk.img"
  n=$(($(cat "$vm/boots" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$vm/boots"
  serial=$vm/serial-$n.log
  ip -n "$NS_LAN" link show "$tap" >/dev/null 2>&1 || ip -n "$NS_LAN" tuntap add dev "$tap" mode tap
  ip -n "$NS_LAN" link set "$tap" master br0 up
  qemu_args "$name" "$fw" "$mac" "$tap" "$serial"
}

# Did the VM reach what the caller expects? Prints ok / fail:REASON / nothing (not yet).
judge() {
  local expect=$1 state=$2 alive=$3 serial=$4
  case $expect in
    installed)
      [ "$state" = failed ] && { echo "fail:the install failed"; return; }
      [ "$state" = installed ] && [ "$alive" = 0 ] && { echo ok; return; }
      [ "$alive" = 0 ] && echo "fail:the VM stopped in state '$state'"
      ;;
    failed)
      [ "$state" = installed ] && { echo "fail:installed instead of failing"; return; }
      [ "$state" = failed ] && [ "$alive" = 0 ] && { echo ok; return; }
      [ "$alive" = 0 ] && echo "fail:the VM stopped in state '$state'"
      ;;
    local)
      # The installed disk announces itself: the demo's MBR boot code (BIOS) or its
      # \EFI\BOOT\BOOTX64.EFI (UEFI) prints the marker on the serial console.
      grep -q 'LANDSCAPER-LOCAL-BOOT' "$serial" 2>/dev/null && { echo ok; return; }
      [ -n "$state" ] && [ "$state" != installed ] && { echo "fail:state '$state' on a local boot"; return; }
      grep -q 'Linux version' "$serial" 2>/dev/null && { echo "fail:the installer booted again"; return; }
      [ "$alive" = 0 ] && echo "fail:the VM stopped without booting its disk"
      ;;
    none)
      # Not answered: iPXE never learns a boot file name, let alone a Landscaper script.
      grep -q 'Linux version' "$serial" 2>/dev/null && { echo "fail:a kernel booted"; return; }
      grep -qE 'Filename:|NBP filename|Landscaper' "$serial" 2>/dev/null &&
        { echo "fail:the VM was offered a boot file"; return; }
      grep -qE 'No bootable device|Nothing to boot' "$serial" 2>/dev/null && { echo ok; return; }
      [ "$alive" = 0 ] && echo "fail:the VM stopped"
      ;;
    *) die "--expect must be installed, failed, local or none" ;;
  esac
  return 0
}

lab_boot() {
  local name=${1:-} fw=uefi expect=installed timeout=180
  [ -n "$name" ] || die "usage: scripts/lab boot NAME --firmware uefi|bios|http [--expect ...] [--timeout S]"
  shift
  while [ $# -gt 0 ]; do
    case $1 in
      --firmware) fw=$2; shift 2 ;;
      --expect) expect=$2; shift 2 ;;
      --timeout) timeout=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  lab_is_up || die "lab $LAB is not up (scripts/lab up)"
  local mac serial n
  vm_prepare "$name" "$fw"

  # Ctrl-C stops this VM; the caller's own traps (demo, e2e) come back afterwards.
  local saved_traps
  saved_traps=$(trap -p INT TERM)
  trap 'kill_ours "$DIR/pids/vm-$name.pid"; kill_ours "$DIR/pids/watch-$name.pid"; exit 130' INT TERM
  log "boot $name ($mac, $fw firmware, boot $n): serial console $serial"
  local t0 start_ms
  t0=$(date +%s.%N)
  start_ms=$(date +%s%3N)
  start_bg "vm-$name" "$NS_LAN" "${QEMU[@]}"
  watch_start "$name" "$start_ms"
  local verdict
  verdict=$(await_outcome "$name" "$expect" "$timeout")
  sleep 0.3 # the last events
  kill_ours "$DIR/pids/vm-$name.pid"
  watch_stop "$name"
  trap - INT TERM
  eval "$saved_traps"
  boot_verdict "$name" "$fw" "$expect" "$verdict" "$t0"
}

vm_alive() { kill -0 "$(cat "$DIR/pids/vm-$1.pid" 2>/dev/null)" 2>/dev/null; }

# The serial console of NAME's newest boot.
vm_serial() { echo "$DIR/vms/$1/serial-$(cat "$DIR/vms/$1/boots" 2>/dev/null || echo 0).log"; }

# await_outcome NAME EXPECT TIMEOUT: judges NAME's VM (its QEMU by pid file, its newest
# serial console, Landscaper's state) every 0.5 s until a verdict; prints ok or fail:REASON.
await_outcome() {
  local name=$1 expect=$2 timeout=$3 mac verdict="" state="" alive end
  mac=$(mac_for "$name")
  end=$((SECONDS + timeout))
  while [ $SECONDS -lt $end ]; do
    state=$(machine_state "$mac")
    alive=1
    vm_alive "$name" || alive=0
    verdict=$(judge "$expect" "$state" "$alive" "$(vm_serial "$name")")
    [ -n "$verdict" ] && break
    sleep 0.5
  done
  [ -n "$verdict" ] || verdict="fail:no outcome within ${timeout}s (state '$state')"
  echo "$verdict"
}

# boot_verdict NAME LABEL EXPECT VERDICT T0: logs the outcome and its time since T0
# (date +%s.%N) and appends it to $DIR/times; on failure the serial console's tail, and 1.
boot_verdict() {
  local name=$1 label=$2 expect=$3 verdict=$4 t0=$5 secs serial
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$verdict" = ok ]; then
    log "boot $name ($label): $expect after ${secs}s"
    echo "$name $label $expect ${secs}s" >>"$DIR/times"
  else
    serial=$(vm_serial "$name")
    log "boot $name ($label): FAILED (${verdict#fail:}) after ${secs}s; serial console $serial:"
    tail -n 15 "$serial" | sed 's/^/    | /' >&2
    return 1
  fi
}

# watch_start NAME SINCE_MS: Landscaper's live view of NAME (scripts/lablib/watch.ts) on
# our stdout, every event since SINCE_MS (epoch ms); watch_stop NAME ends it.
watch_start() {
  [ -S "$SOCK" ] || return 0
  start_bg "watch-$1" "$NS_LAN" node "$repo/dist/scripts/lablib/watch.js" \
    --socket "$SOCK" --mac "$(mac_for "$1")" --since "$2"
  tail -n +1 -F --pid="$(cat "$DIR/pids/watch-$1.pid")" "$DIR/watch-$1.log" 2>/dev/null &
  WATCH_TAIL=$!
}

watch_stop() {
  kill_ours "$DIR/pids/watch-$1.pid"
  [ -z "${WATCH_TAIL:-}" ] || kill "$WATCH_TAIL" 2>/dev/null || true
  WATCH_TAIL=
}
