#!/bin/bash
# Debian packages needed to build vmtriage (run as root, or it uses sudo).
set -euo pipefail
PKGS=(build-essential autoconf automake pkg-config
      libkdumpfile-dev libdw-dev libelf-dev libbpf-dev libdeflate-dev
      liblzo2-dev libzstd-dev zlib1g-dev libdebuginfod-dev
      libmicrohttpd-dev libsqlite3-dev)
missing=()
for p in "${PKGS[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
