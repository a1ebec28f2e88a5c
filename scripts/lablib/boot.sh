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
  if [ -S "$SOCK" ]; then
    start_bg "watch-$name" "$NS_LAN" node "$repo/dist/scripts/lablib/watch.js" \
      --socket "$SOCK" --mac "$mac" --since "$start_ms"
    # The watcher prints the stages live; tail its log to our stdout while it runs.
    tail -n +1 -F --pid="$(cat "$DIR/pids/watch-$name.pid")" "$DIR/watch-$name.log" 2>/dev/null &
    local tailpid=$!
  fi

  local verdict="" state alive qpid end
  qpid=$(cat "$DIR/pids/vm-$name.pid")
  end=$((SECONDS + timeout))
  while [ $SECONDS -lt $end ]; do
    state=$(machine_state "$mac")
    alive=1
    kill -0 "$qpid" 2>/dev/null || alive=0
    verdict=$(judge "$expect" "$state" "$alive" "$serial")
    [ -n "$verdict" ] && break
    sleep 0.5
  done
  [ -n "$verdict" ] || verdict="fail:no outcome within ${timeout}s (state '$state')"
  sleep 0.3 # the last events
  kill_ours "$DIR/pids/vm-$name.pid"
  kill_ours "$DIR/pids/watch-$name.pid"
  [ -z "${tailpid:-}" ] || kill "$tailpid" 2>/dev/null || true
  trap - INT TERM
  eval "$saved_traps"
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$verdict" = ok ]; then
    log "boot $name ($fw): $expect after ${secs}s"
    echo "$name $fw $expect ${secs}s" >>"$DIR/times"
  else
    log "boot $name ($fw): FAILED (${verdict#fail:}) after ${secs}s; serial console $serial:"
    tail -n 15 "$serial" | sed 's/^/    | /' >&2
    return 1
  fi
}
