# Shared by run.sh and test.sh: a virtual environment with the pinned dependencies, and the npm assets.
# Each step is skipped when what it would install is already there (a stamp holds the lock file's hash).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> 创建虚拟环境 .venv"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  fi
}

# pip_sync LOCKFILE... : install the pinned set unless this exact set is installed already.
pip_sync() {
  local stamp="$VENV/.installed-$(cat "$@" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "==> 安装 Python 依赖：$*"
    local args=()
    for f in "$@"; do args+=(-r "$f"); done
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    touch "$stamp"
  fi
}

npm_sync() {
  local stamp="$ROOT/node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "==> 需要 Node.js 与 npm 来安装前端依赖（Debian: apt-get install -y nodejs npm）" >&2
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq nodejs npm
      else
        exit 1
      fi
    fi
    echo "==> 安装前端依赖（npm ci）"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$stamp"
  fi
}
