#!/usr/bin/env bash
# Debian packages chibo needs: fonts and Pango for documents (WeasyPrint), espeak-ng, sox and lame
# for the newsreader, Chromium for end-to-end tests.
# Installs only what is missing; needs root (or sudo) only when something is missing.
set -euo pipefail
PACKAGES=(chromium fonts-liberation fonts-liberation2 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 espeak-ng sox libsox-fmt-mp3 lame)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Thiếu gói hệ thống: ${missing[*]} (không có apt-get; hãy cài bằng tay)." >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "Thiếu gói hệ thống: ${missing[*]}; cần quyền root để cài." >&2; exit 0; fi
fi
echo "Cài gói hệ thống: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
