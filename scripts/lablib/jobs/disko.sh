# Demo stand-in for disko: an MBR with a 40 MiB EFI system partition (FAT) and an ext2 root
# over the rest of the virtual disk. Runs under `sh -e` in the busybox installer.
disk=/dev/vda
[ -b "$disk" ] || { echo "no disk at $disk"; exit 1; }
echo "partitioning $disk"
# busybox fdisk reads its answers from stdin: new DOS label; partition 1 of 40 MiB, type
# EFI (ef); partition 2 over the rest; write.
printf 'o\nn\np\n1\n\n+40M\nt\nef\nn\np\n2\n\n\nw\n' | fdisk "$disk" >/dev/null
n=0
while [ ! -b "${disk}2" ] && [ "$n" -lt 20 ]; do
  n=$((n + 1))
  partprobe "$disk" 2>/dev/null || true
  sleep 0.2
done
[ -b "${disk}2" ] || { echo "${disk}2 did not appear"; exit 1; }
# busybox makes FAT32 only, and EDK2 reads FAT32 only with >= 65525 clusters: 40 MiB of
# 512-byte clusters is enough, 16 MiB is not.
echo "formatting ${disk}1 (FAT, EFI system partition) and ${disk}2 (ext2)"
mkdosfs -n ESP "${disk}1" >/dev/null
mke2fs -q -L nixos "${disk}2" >/dev/null
