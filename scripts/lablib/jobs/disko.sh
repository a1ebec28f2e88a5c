# Demo stand-in for disko: one primary Linux partition over the whole virtual disk, ext2.
# Runs under `sh -e` in the busybox installer; the agent reports the phase.
disk=/dev/vda
[ -b "$disk" ] || { echo "no disk at $disk"; exit 1; }
echo "partitioning $disk"
# busybox fdisk reads its answers from stdin: new DOS label, one primary partition, write.
printf 'o\nn\np\n1\n\n\nw\n' | fdisk "$disk" >/dev/null
n=0
while [ ! -b "${disk}1" ] && [ "$n" -lt 20 ]; do n=$((n + 1)); partprobe "$disk" 2>/dev/null; sleep 0.2; done
[ -b "${disk}1" ] || { echo "${disk}1 did not appear"; exit 1; }
echo "formatting ${disk}1 (ext2)"
mke2fs -q -L nixos "${disk}1" >/dev/null
