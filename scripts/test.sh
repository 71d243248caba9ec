#!/usr/bin/env bash
# The whole test suite: lint, types, migrations in step, then pytest on SQLite and on PostgreSQL.
# Extra arguments go to pytest (e.g. scripts/test.sh -k audit).
source "$(dirname "$0")/_env.sh"
ensure_venv
pip_sync requirements.lock requirements-dev.lock
npm_sync

# Browser tests drive Debian's chromium (a downloaded browser build is not available offline).
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -i "noto sans cjk" >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> 安装 chromium 与中文字体"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "==> 未找到 /usr/bin/chromium：浏览器测试将跳过（sudo apt-get install chromium fonts-noto-cjk）"
  fi
fi

export DJANGO_SETTINGS_MODULE=config.settings.test
mkdir -p var

echo "==> ruff"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
echo "==> mypy"
"$VENV/bin/mypy" config afterschool simbank
echo "==> makemigrations --check"
"$VENV/bin/python" manage.py makemigrations --check --dry-run

# Redis: the live notification push is also tested through Redis pub/sub (127.0.0.1:6379); start it if it is down.
redis_up() { "$VENV/bin/python" -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1', 6379)) != 0)"; }
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "==> 启动 Redis"
    redis-server --daemonize yes --save "" --appendonly no >/dev/null
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  else
    echo "==> 没有 Redis（127.0.0.1:6379）：经 Redis 的实时推送测试将跳过（apt-get install redis-server）"
  fi
fi

echo "==> pytest（SQLite）"
env -u DATABASE_URL "$VENV/bin/pytest" -n 2 "$@"

# PostgreSQL: use PG_TEST_URL, or the local server (started here if it is not running).
PG_URL="${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/afterschool}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "==> 启动 PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  else
    echo "没有可用的 PostgreSQL（设置 PG_TEST_URL 指向一个服务器）" >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
echo "==> pytest（PostgreSQL）"
DATABASE_URL="$PG_URL" "$VENV/bin/pytest" -n 2 -m "not browser" "$@"
