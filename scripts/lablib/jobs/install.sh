# Demo stand-in for nixos-install: write the "installed system" (a marker and the
# installation host key) to the root file system, and make the disk boot: a UEFI loader on
# the EFI system partition and an MBR boot sector for BIOS, both announcing themselves.
disk=/dev/vda
mount -t ext2 "${disk}2" /mnt
mkdir -p /mnt/etc/ssh
{
  echo "hostname=${LANDSCAPER_HOSTNAME:-unnamed}"
  echo "mac=$LANDSCAPER_MAC"
  echo "generation=$LANDSCAPER_GENERATION"
  echo "installed-at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >/mnt/etc/landscaper-installed
cp /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub /mnt/etc/ssh/ 2>/dev/null || true
cat /mnt/etc/landscaper-installed
umount /mnt

mkdir -p /boot
mount -t vfat "${disk}1" /boot
mkdir -p /boot/EFI/BOOT
cp /usr/share/landscaper/demo/BOOTX64.EFI /boot/EFI/BOOT/BOOTX64.EFI
umount /boot

# 16-bit boot code: print the message after it to the serial port, then halt.
#   cli; xor ax,ax; mov ds,ax; mov si,0x7c22
#   l: lodsb; test al,al; jz h; mov ah,al; mov dx,0x3fd
#   w: in al,dx; test al,0x20; jz w; mov al,ah; mov dx,0x3f8; out dx,al; jmp l
#   h: hlt; jmp h
{
  printf '\372\061\300\216\330\276\042\174\254\204\300\164\022\210\304\272\375\003'
  printf '\354\250\040\164\373\210\340\272\370\003\356\353\351\364\353\375'
  printf '\r\nLANDSCAPER-LOCAL-BOOT: %s is installed (generation %s)\r\n\000' \
    "${LANDSCAPER_HOSTNAME:-unnamed}" "$LANDSCAPER_GENERATION"
} >/tmp/bootcode
dd if=/tmp/bootcode of="$disk" bs=1 count="$(wc -c </tmp/bootcode)" conv=notrunc 2>/dev/null
sync
echo "installed"
