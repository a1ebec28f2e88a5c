# A failing stand-in for nixos-install (e2e: a job whose step fails ends `failed`).
echo "copying the system closure to /mnt"
echo "error: writing to /mnt/nix/store: No space left on device" >&2
exit 3
