"""Reads that belong to no domain: the platform's own health, for load balancers and monitoring."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .choices import HealthState


def health_status() -> dict[str, Any]:
    """Database reachable, migrations applied, cache answering. Cheap enough to poll every few seconds."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        checks["database"] = HealthState.OK if not pending else HealthState.FAILING
        checks["migrations"] = "applied" if not pending else f"{len(pending)} pending"
    except Exception:  # noqa: BLE001 - any database failure means "not healthy", never a 500
        checks["database"] = HealthState.FAILING
    try:
        cache.set("core:health", "1", timeout=10)
        checks["cache"] = HealthState.OK if cache.get("core:health") == "1" else HealthState.FAILING
    except Exception:  # noqa: BLE001
        checks["cache"] = HealthState.FAILING
    healthy = checks.get("database") == HealthState.OK and checks.get("cache") == HealthState.OK
    return {"status": HealthState.OK if healthy else HealthState.FAILING, "checks": checks}
