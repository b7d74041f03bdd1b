#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, installing one from Debian if needed.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for v in 3.14 3.13 3.12; do
  command -v "python$v" >/dev/null 2>&1 && candidates+=("$(command -v python$v)")
done
for p in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3 /usr/bin/python3; do
  [ -x "$p" ] && candidates+=("$p")
done
for c in "${candidates[@]}"; do
  if ok "$c"; then echo "$c"; exit 0; fi
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Không thấy Python >= 3.12; cài từ Debian..." >&2
  apt-get update -qq >&2 && apt-get install -y -qq python3 python3-venv >&2
  if ok /usr/bin/python3; then echo /usr/bin/python3; exit 0; fi
fi
echo "Cần Python 3.12 trở lên (Debian 13 / Ubuntu 24.04 có sẵn). Đặt biến PYTHON=/đường/dẫn/python3.12 rồi chạy lại." >&2
exit 1
