#!/usr/bin/env bash
# Install everything, prepare the embedded default (SQLite + demo data) and serve the platform.
source "$(dirname "$0")/_env.sh"
ensure_venv
pip_sync requirements.lock
npm_sync
export DJANGO_SETTINGS_MODULE=config.settings.local
mkdir -p var
"$VENV/bin/python" manage.py migrate --noinput -v0
"$VENV/bin/python" manage.py loaddemo
ADDR="${ADDR:-127.0.0.1:8000}"
# The simulated bank (its own process): payments are confirmed on its page and it notifies the platform.
SIMBANK_PORT="${SIMBANK_PORT:-8700}"
export SIMBANK_URL="http://127.0.0.1:$SIMBANK_PORT" PAYMENT_NOTIFY_BASE_URL="http://$ADDR"
if ! "$VENV/bin/python" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $SIMBANK_PORT)) != 0)"; then
  "$VENV/bin/python" -m simbank --port "$SIMBANK_PORT" --data var/simbank.json &
  SIMBANK_PID=$!
  trap 'kill "$SIMBANK_PID" 2>/dev/null' EXIT
fi
cat <<MSG

课后服务平台已就绪： http://$ADDR/
（API 文档：http://$ADDR/api/v1/docs ，系统管理后台：http://$ADDR/admin/ ，模拟银行：$SIMBANK_URL ，按 Ctrl+C 停止）

MSG
"$VENV/bin/python" manage.py runserver "$ADDR"
