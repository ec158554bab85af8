#!/usr/bin/env bash
# Lays out the root file system of keyrot's image in DIR/rootfs, for the Dockerfile (FROM
# scratch, so nothing is pulled): the keyrot binary, the C libraries it loads (from `ldd`), the
# CA certificates the TLS clients trust, a name service switch that resolves hosts from
# /etc/hosts and DNS, and a non-root user (65532). No shell and no other program.
#
#   image/rootfs.sh target/release/keyrot target/image
#   buildah bud --isolation chroot -t keyrot:0.2.0 -f Dockerfile target/image
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 KEYROT_BINARY DIR" >&2
  exit 1
fi
binary=$1
rootfs=$2/rootfs
if [ ! -x "$binary" ]; then
  echo "error: $binary is not an executable (cargo build --release --locked makes target/release/keyrot)" >&2
  exit 1
fi
certificates=/etc/ssl/certs/ca-certificates.crt
if [ ! -f "$certificates" ]; then
  echo "error: $certificates is missing (Debian's ca-certificates package)" >&2
  exit 1
fi

rm -rf "$rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$binary" "$rootfs/usr/local/bin/keyrot"

# Every library the binary loads, at the path the dynamic loader looks for it (without any
# library preloaded into this script, such as libfaketime's).
env -u LD_PRELOAD ldd "$binary" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r library; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done

cp -L "$certificates" "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf 'root:x:0:0:root:/:/nonexistent\nkeyrot:x:65532:65532:keyrot:/tmp:/nonexistent\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nkeyrot:x:65532:\n' > "$rootfs/etc/group"
echo "$rootfs: $(find "$rootfs" -type f | wc -l) files, $(du -sh "$rootfs" | cut -f1)"
