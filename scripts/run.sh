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
cat <<MSG

课后服务平台已就绪： http://$ADDR/
（API 文档：http://$ADDR/api/v1/docs ，系统管理后台：http://$ADDR/admin/ ，按 Ctrl+C 停止）

MSG
exec "$VENV/bin/python" manage.py runserver "$ADDR"
