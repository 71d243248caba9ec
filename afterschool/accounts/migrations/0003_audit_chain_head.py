"""The chain heads exist from the start, so the first concurrent appends lock existing rows."""

from django.conf import settings
from django.db import migrations


def create_heads(apps, schema_editor):
    AuditChainHead = apps.get_model("accounts", "AuditChainHead")
    for chain in range(max(1, settings.AFTERSCHOOL_AUDIT_CHAINS)):
        AuditChainHead.objects.get_or_create(id=chain, defaults={"last_seq": 0, "last_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only")]
    operations = [migrations.RunPython(create_heads, migrations.RunPython.noop)]
