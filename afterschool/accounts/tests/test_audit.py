"""The audit chain: every security event lands in it, and a changed or deleted row is detected."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from afterschool.accounts.audit import audit_record, audit_verify
from afterschool.accounts.models import AuditChainHead, AuditEvent
from afterschool.tenancy.actor import system_actor

pytestmark = pytest.mark.django_db


def _raw(sql: str, params: list[object] | None = None) -> None:
    """Tamper with the table the way an intruder with database access would (bypassing the model)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # switch the append-only trigger off
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def _chain(n: int) -> list[AuditEvent]:
    return [audit_record(actor=system_actor(), event="create", detail={"n": i, "中文": "值"}) for i in range(n)]


def test_intact_chain_verifies(db):  # type: ignore[no-untyped-def]
    rows = _chain(5)
    report = audit_verify()
    assert report.ok and report.checked == 5
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[1].prev_hash == rows[0].row_hash


def test_changed_row_is_detected(db):  # type: ignore[no-untyped-def]
    rows = _chain(5)
    _raw("UPDATE accounts_auditevent SET username = %s WHERE seq = %s", ["someone-else", rows[2].seq])
    report = audit_verify()
    assert not report.ok
    assert any("#3" in p and "修改" in p for p in report.problems)


def test_deleted_middle_row_is_detected(db):  # type: ignore[no-untyped-def]
    _chain(5)
    _raw("DELETE FROM accounts_auditevent WHERE seq = 3")
    report = audit_verify()
    assert not report.ok
    assert any("3" in p and "缺失" in p for p in report.problems)


def test_deleted_last_row_is_detected_through_the_head(db):  # type: ignore[no-untyped-def]
    _chain(5)
    _raw("DELETE FROM accounts_auditevent WHERE seq = 5")
    report = audit_verify()
    assert not report.ok
    assert any("链尾" in p for p in report.problems)


def test_rewritten_row_with_a_recomputed_plain_hash_is_detected(db):  # type: ignore[no-untyped-def]
    """Without the key an intruder cannot forge a row's HMAC: an SM3 of the content is not enough."""
    from afterschool.core.crypto import sm3_hexdigest

    rows = _chain(3)
    _raw(
        "UPDATE accounts_auditevent SET outcome = %s, row_hash = %s WHERE seq = %s",
        ["failure", sm3_hexdigest(b"forged"), rows[1].seq],
    )
    assert not audit_verify().ok


def test_verify_command_exits_non_zero_on_tampering(db, capsys):  # type: ignore[no-untyped-def]
    _chain(3)
    call_command("audit_verify")
    assert "完整" in capsys.readouterr().out
    _raw("UPDATE accounts_auditevent SET client_ip = '1.2.3.4' WHERE seq = 2")
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify")
    assert exc.value.code == 1


def test_model_refuses_update_and_delete(db):  # type: ignore[no-untyped-def]
    row = _chain(1)[0]
    row.username = "x"
    with pytest.raises(RuntimeError):
        row.save()
    with pytest.raises(RuntimeError):
        row.delete()


@pytest.mark.postgres
def test_postgres_table_refuses_update_and_delete(db):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from django.db import DatabaseError, transaction

    _chain(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(username="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_build_one_unbroken_chain():  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                audit_record(actor=system_actor(), event="create", detail={"worker": n, "i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = audit_verify()
    assert report.ok, report.problems
    assert report.checked == 80
    assert sum(h.last_seq for h in AuditChainHead.objects.all()) == 80


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_different_people_write_to_different_chains_without_waiting_on_each_other():  # type: ignore[no-untyped-def]
    """A transaction holding one chain's lock does not block another person's audited write."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    from django.db import transaction

    from afterschool.accounts.audit import chain_for

    a = {"user_id": 1, "username": "a", "client_ip": ""}
    b = next(
        {"user_id": n, "username": "b", "client_ip": ""}
        for n in range(2, 100)
        if chain_for({"user_id": n}) != chain_for(a)
    )
    done = threading.Event()

    def other() -> None:
        audit_record(actor=None, event="create", user_id=b["user_id"], username="b")
        done.set()
        connections.close_all()

    with transaction.atomic():
        audit_record(actor=None, event="create", user_id=a["user_id"], username="a")
        thread = threading.Thread(target=other)
        thread.start()
        assert done.wait(10), "the other person's write waited for this transaction"
    thread.join()
    assert audit_verify().ok


def test_nightly_task_reports_a_broken_chain(db, caplog):  # type: ignore[no-untyped-def]
    from afterschool.accounts.tasks import audit_verify_daily

    _chain(3)
    assert audit_verify_daily.delay().get() == {"checked": 3, "ok": True, "problems": []}
    _raw("UPDATE accounts_auditevent SET event = 'delete' WHERE seq = 2")
    result = audit_verify_daily.delay().get()
    assert result["ok"] is False and result["problems"]
    assert "审计日志校验失败" in caplog.text
