"""The chain head exists from the start, so the first concurrent appends lock the same row."""

from django.db import migrations


def create_head(apps, schema_editor):
    AuditChainHead = apps.get_model("accounts", "AuditChainHead")
    AuditChainHead.objects.get_or_create(id=1, defaults={"last_seq": 0, "last_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
