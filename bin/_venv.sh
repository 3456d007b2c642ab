# Sourced by bin/dev and bin/test: make .venv exist and match the requirements files.
# Re-installs only when a requirements file changed, so repeated runs start at once.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

ensure_venv() {  # $1: requirements file to install
  local req="$ROOT/$1"
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: TATS needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
    exit 1
  fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  local stamp="$VENV/.installed-$(basename "$req")"
  local want
  want="$(cat "$ROOT/requirements.txt" "$req" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing $(basename "$req") into .venv ..." >&2
    # uv (pinned in requirements.txt, where the sandbox needs it too) installs the pinned
    # requirements in seconds where pip takes most of a minute; pip remains the fallback.
    local uv_pin
    uv_pin="$(grep -E '^uv==' "$ROOT/requirements.txt" || true)"
    if [ -n "$uv_pin" ] && "$VENV/bin/python" -m pip install --quiet "$uv_pin" \
        && "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -r "$req" -e "$ROOT"; then
      :
    else
      "$VENV/bin/python" -m pip install --quiet -r "$req" -e "$ROOT"
    fi
    echo "$want" > "$stamp"
  fi
}
