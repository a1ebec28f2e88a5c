# shellcheck shell=bash disable=SC2154 # repo, DIR, SOCK ... come from scripts/lab
# `scripts/lab e2e` and `scripts/lab demo`: the whole story, cleaned up on exit or Ctrl-C.

need_root() {
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (network namespaces, taps): run it with sudo"
}

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The end-to-end tests are node:test files (test/e2e/) that drive this script.
lab_e2e() {
  need_root
  cd "$repo" || exit
  npm run -s build
  node --test --test-concurrency=1 dist/test/e2e/
}

lab_demo() {
  need_root
  local fw=${LAB_FIRMWARE:-uefi} name=demo-1 mac
  banner "Installing what the lab needs (scripts/deps/install) and building"
  "$repo/scripts/deps/install"
  (
    cd "$repo" || exit
    [ -d node_modules ] || npm ci --no-audit --no-fund
    npm run -s build
  )
  banner "Bringing the lab up: a bridged LAN, the site's DHCP server, Landscaper"
  lab_is_up && lab_down
  lab_up
  trap 'banner "Cleaning up"; lab_down' EXIT
  trap 'exit 130' INT TERM
  mac=$(mac_for "$name")

  if [ -n "${LAB_BMC:-}" ]; then
    demo_install_bmc "$name" "$fw"
  else
    banner "Registering $name ($mac) with the demo installer (kernel + busybox initrd + job)"
    lab_register "$name"

    banner "Powering $name on ($fw firmware): Landscaper's live view of the install"
    lab_boot "$name" --firmware "$fw" --expect installed
  fi

  banner "Landscaper's record of $name"
  LANDSCAPER_SOCKET=$SOCK node "$repo/dist/src/cli/main.js" machines show "$mac"

  if [ -n "${LAB_BMC:-}" ]; then
    banner "landscaper machines power $name on: no network override, it boots its own disk"
    bmc_disk_boot "$name" "$fw"
    bmc_power "$name" off
  else
    banner "Powering $name on again: installed machines boot their own disk"
    lab_boot "$name" --firmware "$fw" --expect local
  fi
  grep -ahE 'LANDSCAPER-LOCAL-BOOT|Landscaper: installed|BdsDxe: loading Boot[0-9A-F]+ "UEFI Misc' \
    "$DIR/vms/$name/serial-2.log" | tr -d '\r' | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' | sed 's/^/    serial | /' | head -n 5

  banner "Boot times"
  sed 's/^/    /' "$DIR/times"
}

# The demo's install with LAB_BMC=1: nobody powers the VM on but Landscaper, through the
# VM's BMC (ipmi_sim), because the registration carries that BMC.
demo_install_bmc() {
  local name=$1 fw=$2
  banner "A BMC for $name: OpenIPMI's ipmi_sim, the only thing that can switch its VM on"
  lab_bmc_up "$name" --firmware "$fw" | jq -c '{protocol, address, port, username, passwordFile}'

  banner "Registering $name ($(mac_for "$name")) with its BMC: Landscaper sets PXE once, powers it on"
  watch_start "$name" "$(date +%s%3N)"
  bmc_armed "$name" "$fw" lab_register "$name" --bmc || return 1
  sleep 0.3 # the watcher's last lines
  watch_stop "$name"
  sed 's/^/    ipmitool | /' "$DIR/ipmitool-argv.log"
}
