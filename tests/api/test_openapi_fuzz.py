"""Drive the whole /api/v1/ OpenAPI with generated good and bad input (schemathesis 4 + Hypothesis).

Acceptance: no request, however malformed, gets a 5xx; every error response is JSON {"code", "message", "detail"}.

How it works
- The schema is read in-process from /api/v1/openapi.json through the WSGI app (no server). `parametrize()`
  makes one pytest test per operation and identity; each generated case is sent through the WSGI app in the
  test's own thread, so it runs inside the test's transaction, against the `world` fixture.
- Phases: `examples`, `coverage` (deterministic boundary values, wrong types, missing required parts,
  unexpected methods) and `fuzzing` (Hypothesis). Modes: positive (schema-valid) and negative (schema-invalid).
- Identities: the system admin gets everything (both modes, coverage + fuzzing): it reaches every service path.
  The scoped roles (bureau, school and organization admins) get schema-valid input only: bad input is refused by
  the same schema validation before any scope is looked at, while valid input reaches the scoped selectors,
  the scoped writes and the permission refusals. Without credentials (none, garbage, revoked, expired) every
  operation must answer 401.
- Input: besides what schemathesis derives from the schema, every free-text query parameter and body property
  sometimes gets a hostile string (NUL, LIKE wildcards, quotes, wide characters), and two positive ids in three
  are aimed at rows that exist (in and out of the identity's scope) so handlers get past the lookup.
- Checks: no 5xx, documented status codes / content types / response schemas, the error shape, and that a NUL
  in a text input is refused (PostgreSQL cannot store it; on SQLite this check stands in for PostgreSQL).
- Bounded and reproducible: a fixed seed, derandomized Hypothesis, no example database, a fixed number of
  examples per operation. Marked `slow`.

The world is not reset between the examples of one operation: a DELETE may remove a world object and later
examples then get a 404, which is a correct answer. A revoke of the very token in use is undone before each call.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from afterschool.accounts.models import ApiToken
from afterschool.accounts.services import TOKEN_PREFIX, token_issue
from afterschool.tenancy.models import Organization, Region, School

SEED = 20250901
OPENAPI = "/api/v1/openapi.json"
ERROR_KEYS = {"code", "message", "detail"}

# Examples per operation in the fuzzing phase (the coverage phase adds its own deterministic cases). With ~190
# operations the suite runs this twice (SQLite and PostgreSQL); these numbers keep it to a few minutes each.
SYSTEM_EXAMPLES = 20
SCOPED_EXAMPLES = 6
ANONYMOUS_EXAMPLES = 3

# Mixed into the generated text inputs: what text columns, LIKE filters and JSON details must survive. A NUL is
# valid JSON and a valid Python str, but PostgreSQL refuses it in text and jsonb. Each entry is used in the
# positive mode where it fits the field's schema and in the negative mode where it does not.
HOSTILE_STRINGS = [
    "\x00",
    "a\x00b",
    "%\x00",
    "\x00" * 3,
    "%",
    "_",
    "\\",
    "' OR '1'='1",
    "\u3000\u202e\U00020000",
]
HOSTILE_PROBABILITY = 0.3


def _app() -> Any:
    # pytest-django configured the settings before collection, so the app comes from them (config.wsgi would
    # default DJANGO_SETTINGS_MODULE to the local settings).
    return get_wsgi_application()


RAW_SCHEMA = schemathesis.openapi.from_wsgi(OPENAPI, _app()).raw_schema


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = RAW_SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_text(schema: dict[str, Any]) -> bool:
    """A free-text string (not an enum, not a date), possibly optional."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return any(_is_text(member) for member in schema["anyOf"])
    return schema.get("type") == "string" and "enum" not in schema and "format" not in schema


def _inputs() -> tuple[dict[str, set[str]], set[str]]:
    """(operation label -> its query parameter and top-level JSON body property names, the text ones as
    `query.<name>` / `body.<name>` binding keys)."""
    declared: dict[str, set[str]] = {}
    text: set[str] = set()
    for path, methods in RAW_SCHEMA["paths"].items():
        for method, spec in methods.items():
            names: set[str] = set()
            for parameter in spec.get("parameters", []):
                if parameter.get("in") == "query":
                    names.add(parameter["name"])
                    if _is_text(parameter.get("schema", {})):
                        text.add(f"query.{parameter['name']}")
            content = spec.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, prop in _resolve(content.get("schema", {})).get("properties", {}).items():
                names.add(name)
                if _is_text(prop):
                    text.add(f"body.{name}")
            declared[f"{method.upper()} {path}"] = names
    return declared, text


DECLARED_INPUTS, TEXT_INPUTS = _inputs()


def _schema(*, mode: str, coverage: bool, max_examples: int) -> Any:
    """The OpenAPI read in-process through the WSGI app, with its own generation settings."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "dictionaries": {"hostile": {"values": HOSTILE_STRINGS}},
            "parameters": {
                key: {"dictionary": "hostile", "probability": HOSTILE_PROBABILITY} for key in sorted(TEXT_INPUTS)
            },
            "generation": {"mode": mode, "max-examples": max_examples, "deterministic": True},
            "phases": {"examples": {"enabled": True}, "coverage": {"enabled": coverage}, "fuzzing": {"enabled": True}},
        }
    )
    return schemathesis.openapi.from_wsgi(OPENAPI, _app(), config=config)


def _bounded(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


ALL_INPUT = _schema(mode="all", coverage=True, max_examples=SYSTEM_EXAMPLES)
VALID_INPUT = _schema(mode="positive", coverage=False, max_examples=SCOPED_EXAMPLES)
UNAUTHENTICATED = _schema(mode="all", coverage=False, max_examples=ANONYMOUS_EXAMPLES)


@schemathesis.check
def error_has_app_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is JSON {"code": str, "message": str, "detail": any} — nothing else, never HTML."""
    if response.status_code < 400:
        return None
    content_type = ";".join(response.headers.get("content-type", []))
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} error is {content_type or 'untyped'}, not JSON: {response.text[:200]!r}"
        )
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise AssertionError(f"{response.status_code} error body is not JSON: {response.text[:200]!r}") from exc
    if not isinstance(body, dict) or set(body) != ERROR_KEYS:
        raise AssertionError(f"{response.status_code} error is not {{code, message, detail}}: {body!r}")
    if not isinstance(body["code"], str) or not body["code"]:
        raise AssertionError(f"error code is not a non-empty string: {body!r}")
    if not isinstance(body["message"], str) or not body["message"]:
        raise AssertionError(f"error message is not a non-empty string: {body!r}")
    return None


@schemathesis.check
def unauthenticated_is_401(ctx: Any, response: Any, case: Any) -> bool | None:
    """Without valid credentials every operation answers 401, whatever the input."""
    if response.status_code != 401:
        raise AssertionError(f"expected 401 without credentials, got {response.status_code}: {response.text[:200]!r}")
    return None


@schemathesis.check
def nul_is_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """A NUL in a declared text input is refused, not accepted. PostgreSQL cannot store or compare it (a 500
    there); SQLite can, so on SQLite this check stands in for PostgreSQL."""
    if response.status_code >= 400:
        return None
    sent = {**(case.query or {}), **(case.body if isinstance(case.body, dict) else {})}
    names = DECLARED_INPUTS.get(case.operation.label, set())
    accepted = sorted(n for n in names if isinstance(sent.get(n), str) and "\x00" in sent[n])
    if accepted:
        raise AssertionError(f"NUL accepted in {accepted} with {response.status_code}: PostgreSQL would fail")
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_has_app_shape,
    nul_is_refused,
]


def _without_generated_credentials(case: Any) -> None:
    """Generated security parameters (an Authorization header, a session cookie) would replace the identity
    under test; drop them so only the credentials the test chose are sent."""
    for name in list(case.headers or {}):
        if name.lower() == "authorization":
            del case.headers[name]
    if case.cookies:
        case.cookies.pop("sessionid", None)


# Generated ids rarely name a real row, so two positive ids in three are aimed at a real one instead (in or out
# of the identity's scope) and the handlers get past the lookup; 0, negative and the other ids probe the 404.
AIMED = {"school_id": "schools", "organization_id": "organizations", "region_id": "regions", "region": "regions",
         "token_id": "tokens"}  # fmt: skip


def _aim(values: Any, ids: dict[str, list[int]]) -> None:
    if not isinstance(values, dict):
        return
    for name, value in list(values.items()):
        kind = AIMED.get(name)
        if kind and ids[kind] and isinstance(value, int) and not isinstance(value, bool) and value > 0 and value % 3:
            values[name] = ids[kind][(value // 3) % len(ids[kind])]


@pytest.fixture
def real_ids(world: Any) -> Any:
    """real_ids() -> the ids of the rows that exist, by kind (read once, after the identity's token is issued).

    Includes a token of another user, so revoking someone else's token is tried too.
    """
    token_issue(actor=world.actor("org_b"), name="someone else's", days=30)
    cache: dict[str, list[int]] = {}

    def _ids() -> dict[str, list[int]]:
        if not cache:
            cache["schools"] = sorted(School.objects.values_list("pk", flat=True))
            cache["organizations"] = sorted(Organization.objects.values_list("pk", flat=True))
            cache["regions"] = sorted(Region.objects.values_list("pk", flat=True))
            cache["tokens"] = sorted(ApiToken.objects.values_list("pk", flat=True))
        return cache

    return _ids


def _call_as(case: Any, bearer: Any, real_ids: Any, who: str) -> None:
    """Send the case as `who` (a key of the world's users) and run the checks."""
    headers = bearer(who)
    bearer.unrevoke()
    _without_generated_credentials(case)
    ids = real_ids()
    _aim(case.path_parameters, ids)
    _aim(case.query, ids)
    _aim(case.body, ids)
    case.call_and_validate(headers=headers, checks=CHECKS)


@pytest.mark.slow
@ALL_INPUT.parametrize()
@_bounded(SYSTEM_EXAMPLES)
def test_as_system_admin(case: Any, bearer: Any, real_ids: Any) -> None:
    _call_as(case, bearer, real_ids, "system")


@pytest.mark.slow
@VALID_INPUT.parametrize()
@_bounded(SCOPED_EXAMPLES)
def test_as_bureau_admin(case: Any, bearer: Any, real_ids: Any) -> None:
    _call_as(case, bearer, real_ids, "bureau_a")


@pytest.mark.slow
@VALID_INPUT.parametrize()
@_bounded(SCOPED_EXAMPLES)
def test_as_school_admin(case: Any, bearer: Any, real_ids: Any) -> None:
    _call_as(case, bearer, real_ids, "school_a")


@pytest.mark.slow
@VALID_INPUT.parametrize()
@_bounded(SCOPED_EXAMPLES)
def test_as_org_admin(case: Any, bearer: Any, real_ids: Any) -> None:
    _call_as(case, bearer, real_ids, "org_a")


@pytest.fixture
def bad_credentials(world: Any) -> Any:
    """Cycles through credentials that must all be refused: none, garbage, an unknown key, revoked, expired."""
    _, revoked = token_issue(actor=world.actor("school_a"), name="revoked", days=30)
    ApiToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
    _, expired = token_issue(actor=world.actor("bureau_a"), name="expired", days=1)
    ApiToken.objects.filter(name="expired").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    return itertools.cycle(
        [
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": f"Bearer {TOKEN_PREFIX}{'x' * 43}"},
            {"Authorization": f"Bearer {revoked}"},
            {"Authorization": f"Bearer {expired}"},
            {"Authorization": "Basic c3lzOnN5cw=="},
        ]
    )


@pytest.mark.slow
@UNAUTHENTICATED.parametrize()
@_bounded(ANONYMOUS_EXAMPLES)
def test_without_credentials(case: Any, bad_credentials: Any) -> None:
    _without_generated_credentials(case)
    case.call_and_validate(headers=next(bad_credentials), checks=[*CHECKS, unauthenticated_is_401])
