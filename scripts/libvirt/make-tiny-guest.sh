#!/usr/bin/env bash
# Build a tiny bootable guest disk for the libvirt driver's tests, from Debian packages only:
# Debian's cloud kernel + a busybox initramfs on a FAT partition booted by SYSLINUX (BIOS/MBR),
# as one qcow2 image — a real disk image, so it can be a libvirt driver *image* (instances are
# copy-on-write overlays of it; images made from instances are copies of their disks).
#
# The guest, on its serial console (ttyS0):
#   TINYVM BOOTED uptime=<s>                  once per boot (the boot marker)
#   TINYVM SEED instance-id=<id> keys=<n>     when a cloud-init NoCloud seed (label cidata) is on a CD-ROM
#   TINYVM USERDATA: <line>                   the first lines of the seed's user-data
#   TINYVM DISKS vda vdb ...                  its virtio disks, again whenever they change (hot plug)
#   TINYVM poweroff                           then powers off, on an ACPI power-button press
#
# Usage: make-tiny-guest.sh OUTDIR  -> OUTDIR/tiny.qcow2 (also OUTDIR/vmlinuz, OUTDIR/initrd.gz)
# Needs: apt (to download linux-image-cloud-amd64's kernel and busybox-static), syslinux,
# syslinux-common, mtools, dosfstools, qemu-utils, cpio, gzip. Installs the missing ones when root.
set -euo pipefail
OUT=$(realpath -m "${1:?usage: $0 OUTDIR}")
mkdir -p "$OUT"
need=()
for p in syslinux syslinux-common mtools dosfstools qemu-utils cpio fdisk; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] || need+=("$p")
done
if ((${#need[@]})); then
  [[ $(id -u) -eq 0 ]] || { echo "missing packages: ${need[*]} (run as root to install them)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
chmod 755 "$W"   # apt-get download runs as _apt where it can

kernel_package() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
KPKG=$(kernel_package)
if [[ -z $KPKG ]] || ! apt-get download "$KPKG" busybox-static >/dev/null 2>&1; then
  # Package lists missing or stale (a fresh machine): refresh them once and retry.
  [[ $(id -u) -eq 0 ]] && apt-get update -qq >/dev/null 2>&1
  KPKG=$(kernel_package)
  [[ -n $KPKG ]] || { echo "cannot resolve linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
  apt-get download "$KPKG" busybox-static >/dev/null 2>&1 || { echo "apt-get download $KPKG busybox-static failed" >&2; exit 1; }
fi
for f in *.deb; do dpkg-deb -x "$f" root; done
BB=$W/root/bin/busybox
KDIR=$(ls -d root/lib/modules/*)
KVER=$(basename "$KDIR")
"$BB" depmod -b root "$KVER"

# --- initramfs ---
I=$W/initramfs
mkdir -p "$I"/{bin,proc,sys,dev,tmp,mnt/seed,etc/acpi/PWRF,lib/modules/"$KVER"}
cp "$BB" "$I/bin/busybox"
MODS="evdev button virtio_pci virtio_blk virtio_balloon virtio_net ata_piix sr_mod isofs"
# Copy the modules and everything they depend on (from modules.dep), keeping the tree layout.
declare -A want=()
for m in $MODS; do
  line=$(grep -E "(^|/)$m\.ko:" "$KDIR/modules.dep") || { echo "module $m not found in $KPKG" >&2; exit 1; }
  for f in ${line/:/}; do want[$f]=1; done
done
for f in "${!want[@]}"; do mkdir -p "$I/lib/modules/$KVER/$(dirname "$f")"; cp "$KDIR/$f" "$I/lib/modules/$KVER/$f"; done
cp "$KDIR"/modules.dep "$KDIR"/modules.alias "$KDIR"/modules.symbols "$KDIR"/modules.builtin "$KDIR"/modules.order "$I/lib/modules/$KVER/"
cat > "$I/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $MODS; do modprobe \$m 2>/dev/null; done
acpid -c /etc/acpi -l /tmp/acpid.log
echo "TINYVM BOOTED uptime=\$(cut -d' ' -f1 /proc/uptime)"
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sr0 ] && break; sleep 0.3; done
if [ -b /dev/sr0 ] && mount -t iso9660 -o ro /dev/sr0 /mnt/seed 2>/dev/null && [ -f /mnt/seed/meta-data ]; then
  # meta-data is YAML or JSON: read instance-id from either.
  echo "TINYVM SEED instance-id=\$(grep -o 'instance-id[^,]*' /mnt/seed/meta-data | head -n 1 | tr -d '\" ' | cut -d: -f2) keys=\$(grep -c 'ssh-' /mnt/seed/meta-data)"
  [ -f /mnt/seed/user-data ] && head -n 5 /mnt/seed/user-data | sed 's/^/TINYVM USERDATA: /'
  umount /mnt/seed
fi
last=""
while true; do
  disks=\$(ls /sys/block | grep '^vd' | tr '\n' ' ')
  [ "\$disks" != "\$last" ] && echo "TINYVM DISKS \$disks" && last="\$disks"
  sleep 1
done
INIT
printf '#!/bin/sh\necho "TINYVM poweroff" > /dev/console\nsync\npoweroff -f\n' > "$I/etc/acpi/PWRF/00000080"
chmod +x "$I/init" "$I/etc/acpi/PWRF/00000080"
(cd "$I" && find . | "$BB" cpio -o -H newc 2>/dev/null | gzip -9) > "$OUT/initrd.gz"
cp root/boot/vmlinuz-"$KVER" "$OUT/vmlinuz"

# --- bootable disk: MBR + one FAT16 partition (from sector 2048) holding SYSLINUX, kernel, initramfs ---
cat > syslinux.cfg <<'CFG'
DEFAULT tiny
PROMPT 0
TIMEOUT 0
LABEL tiny
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0 quiet panic=-1
CFG
DISK=$W/disk.raw
truncate -s 64M "$DISK"
printf 'label: dos\nstart=2048, type=6, bootable\n' | sfdisk -q "$DISK"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$DISK" bs=440 count=1 conv=notrunc status=none
mkfs.vfat -F 16 -n TINYBOOT --offset 2048 "$DISK" $(( (64 * 1024 - 1024) )) >/dev/null
mcopy -i "$DISK@@1M" "$OUT/vmlinuz" "$OUT/initrd.gz" syslinux.cfg ::/
syslinux --offset $((2048 * 512)) --install "$DISK"
qemu-img convert -q -f raw -O qcow2 "$DISK" "$OUT/tiny.qcow2"
chmod 644 "$OUT/vmlinuz" "$OUT/initrd.gz" "$OUT/tiny.qcow2"
echo "built $OUT/tiny.qcow2 ($(du -k "$OUT/tiny.qcow2" | cut -f1) KiB; kernel $KPKG)"
