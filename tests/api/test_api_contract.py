"""The OpenAPI document says what the server does: a 405 lists every method of its path, and
each constraint the server checks on a field is declared on that field in the schema."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema_rs
import pytest

from rescind.adapters.csv_jobs import COLUMNS
from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.access import Role
from rescind.domain.user import MIN_PASSWORD_LENGTH
from tests.api.conftest import API, Api

METHODS = {"get", "post", "put", "patch", "delete"}
# No route takes PUT, so it is a method every path refuses.
UNUSED = "PUT"


def document(api: Api) -> dict[str, Any]:
    schema: dict[str, Any] = api.anonymous().get(f"{API}/openapi.json").json()
    return schema


def concrete(path: str, operations: dict[str, Any]) -> str:
    """A URL of the path template: a value of each parameter's type (routing comes first)."""
    integers = {
        p["name"]
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p["schema"].get("type") == "integer"
    }
    return re.sub(r"\{([^}]+)\}", lambda m: "1" if m.group(1) in integers else "X1", path)


def test_a_405_lists_exactly_the_methods_the_document_gives_its_path(api: Api) -> None:
    client = api.anonymous()
    for path, operations in document(api)["paths"].items():
        documented = {m.upper() for m in operations if m in METHODS}
        for method in (UNUSED, "OPTIONS"):
            answer = client.request(method, concrete(path, operations))
            assert answer.status_code == 405, (path, method, answer.text)
            allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
            assert allowed == documented, (path, method, answer.headers["Allow"])
            assert answer.json()["type"] == "/problems/http_error"


def test_a_concrete_path_allows_its_own_methods_not_those_of_a_template_it_also_fits(
    api: Api,
) -> None:
    """``/jobs/import`` fits ``/jobs/{job_id}`` too; its 405 said ``Allow: GET, POST``."""
    client = api.anonymous()
    for path, allow in (("/jobs/import", "POST"), ("/policies/simulate", "POST")):
        answer = client.request("OPTIONS", f"{API}{path}")
        assert answer.status_code == 405
        assert answer.headers["Allow"] == allow, path
    # GET /policies/simulate was read as GET /policies/{version} and refused "simulate": 422.
    answer = api.client(Role.ADMIN).get(f"{API}/policies/simulate")
    assert answer.status_code == 405, answer.text
    assert answer.headers["Allow"] == "POST"


def test_a_draft_is_given_once_as_the_schema_says_and_as_the_server_checks(api: Api) -> None:
    body = document(api)["paths"][f"{API}/policies/simulate"]["post"]["requestBody"]
    shapes = body["content"]["application/json"]["schema"]["anyOf"]
    assert [s["$ref"].rsplit("/", 1)[1] for s in shapes] == ["DocumentDraft", "YamlDraft"]
    admin = api.client(Role.ADMIN)
    for bad in ({}, {"document": {"rules": []}, "yaml": "rules: []"}):
        answer = admin.post(f"{API}/policies/simulate", json=bad)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "invalid_input"
    # Text with a NUL breaks the document's declared patterns, in a draft as in a publication.
    seed: dict[str, Any] = load_policy_document(default_policy_path())
    nul = admin.post(
        f"{API}/policies/simulate", json={"document": {**seed, "description": "a\x00b"}}
    )
    assert nul.status_code == 422, nul.text
    assert nul.json()["code"] == "invalid_input"


@pytest.mark.parametrize("path", ["/holidays", "/jobs/X1/feed", "/policies", "/requests", "/users"])
def test_a_path_with_get_and_post_allows_both(api: Api, path: str) -> None:
    answer = api.anonymous().request(UNUSED, f"{API}{path}")
    assert answer.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["Allow"].split(",")}


def component(api: Api, name: str) -> dict[str, Any]:
    schemas: dict[str, Any] = document(api)["components"]["schemas"]
    return dict(schemas[name]["properties"])


def test_every_new_password_declares_the_minimum_the_server_enforces(api: Api) -> None:
    assert component(api, "UserIn")["password"]["minLength"] == MIN_PASSWORD_LENGTH
    assert component(api, "PasswordIn")["password"]["minLength"] == MIN_PASSWORD_LENGTH
    assert component(api, "PasswordChangeIn")["new_password"]["minLength"] == MIN_PASSWORD_LENGTH


def new_user(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password, "role": "agent", "display_name": "Al"}


def test_a_user_the_schema_accepts_is_created_and_one_it_refuses_is_refused(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    properties = component(api, "UserIn")
    username = re.compile(properties["username"]["pattern"])
    minimum = properties["password"]["minLength"]

    assert username.match("al.bo_2")
    assert not username.match("Al Bo")
    created = admin.post(f"{API}/users", json=new_user("al.bo_2", "x" * minimum))
    assert created.status_code == 201, created.text
    # A trailing newline passed a ``$`` matched with re.match; the schema's pattern refuses it.
    assert not re.fullmatch(properties["username"]["pattern"], "al.bo_4\n")
    for bad in (
        new_user("al.bo_3", "x" * (minimum - 1)),
        new_user("Al Bo", "x" * minimum),
        new_user("al.bo_4\n", "x" * minimum),
    ):
        refused = admin.post(f"{API}/users", json=bad)
        assert refused.status_code == 422, refused.text


def test_a_blank_comment_is_refused_as_the_schema_says(api: Api) -> None:
    pattern = re.compile(component(api, "CommentIn")["body"]["pattern"])
    assert pattern.match("Called the homeowner.")
    assert not pattern.match("  \n ")
    agent = api.client(Role.AGENT)
    blank = agent.post(f"{API}/jobs/JOB-002/feed", json={"body": "  \n "})
    assert blank.status_code == 422
    assert "a comment needs some text" in blank.json()["detail"]


def test_if_match_declares_the_etag_shape_the_server_reads(api: Api) -> None:
    restore = document(api)["paths"][f"{API}/jobs/{{job_id}}/restore"]["post"]
    [header] = [p for p in restore["parameters"] if p["name"] == "If-Match"]
    pattern = re.compile(header["schema"]["pattern"])
    assert all(pattern.match(value) for value in ('"3"', 'W/"3"', "3", "*"))
    assert not pattern.match("three")
    agent = api.client(Role.AGENT)
    refused = agent.post(
        f"{API}/jobs/JOB-002/restore", json={"why": "x"}, headers={"If-Match": "three"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "header.If-Match"


def test_the_longest_draft_the_schema_allows_is_read_however_escaped_never_refused_as_413(
    api: Api,
) -> None:
    """A 200,000-character YAML was schema-valid, but escaped as JSON it is over the 1 MiB
    body limit: the server answered 413 to what the schema promised it reads."""
    longest = component(api, "YamlDraft")["yaml"]["maxLength"]
    admin = api.client(Role.ADMIN)
    for length, code in ((longest, "policy_invalid"), (longest + 1, "invalid_input")):
        # Each character outside the BMP escapes to 12 bytes of JSON: the worst case.
        body = json.dumps({"yaml": "\U0001f600" * length}, ensure_ascii=True)
        answer = admin.post(
            f"{API}/policies/simulate",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (length, answer.text[:200])
        assert answer.json()["code"] == code


def test_no_parameter_is_declared_nullable_since_http_cannot_send_a_null(api: Api) -> None:
    """``If-Match`` was ``anyOf: [string, null]``: a client sent the text ``null``, got 422."""
    for path, operations in document(api)["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                options = [schema, *schema.get("anyOf", [])]
                assert {"type": "null"} not in options, (method, path, parameter["name"])
                assert schema.get("type") != "null", (method, path, parameter["name"])


def test_a_day_is_text_as_the_schema_says_not_a_number_read_as_1970(api: Api) -> None:
    assert component(api, "HolidayIn")["day"] == {
        "type": "string",
        "format": "date",
        "title": "Day",
    }
    admin = api.client(Role.ADMIN)
    answer = admin.post(f"{API}/holidays", json={"day": 0, "name": "Epoch"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body.day"
    # In a query or a path the day is text anyway: `0` is no YYYY-MM-DD either.
    preview = admin.get(f"{API}/holidays/preview", params={"day": "0"})
    assert preview.status_code == 422, preview.text
    assert preview.json()["errors"][0]["field"] == "query.day"
    removed = admin.delete(f"{API}/holidays/20261224")
    assert removed.status_code == 422, removed.text


def test_a_webhook_url_is_refused_exactly_when_the_schema_pattern_refuses_it(api: Api) -> None:
    pattern = re.compile(component(api, "EndpointIn")["url"]["pattern"])
    admin = api.client(Role.ADMIN)
    for url in (
        "https://engine.example.com/hooks/rescind",
        "http://8.8.8.8:8080",  # a public address (an internal one is refused on its own)
        "HTTPS://Example.com?x=1",
        "ftp://example.com/x",
        "https://",
        "https://user@example.com/x",
        "example.com",
    ):
        answer = admin.post(
            f"{API}/webhooks", json={"url": url, "event_types": ["workflow.cancelled"]}
        )
        accepted = answer.status_code == 201
        assert accepted == bool(pattern.search(url)), (url, answer.status_code, answer.text)


def test_whether_a_role_names_a_scope_is_in_the_schema_as_the_server_checks_it(api: Api) -> None:
    """An admin with a scope_id was schema-valid and refused; the rule is declared now."""
    rule = document(api)["components"]["schemas"]["UserIn"]
    scoped = set(rule["if"]["properties"]["role"]["enum"])
    assert scoped == {"installer", "sales_rep", "homeowner"}
    assert rule["then"]["required"] == ["scope_id"]
    admin = api.client(Role.ADMIN)
    for role, scope_id in (("admin", "INST-1"), ("installer", None), ("installer", "")):
        body = {**new_user(f"x-{role}", "a long passphrase"), "role": role, "scope_id": scope_id}
        answer = admin.post(f"{API}/users", json=body)
        assert answer.status_code == 422, (role, scope_id, answer.text)
        assert [e["field"] for e in answer.json()["errors"]] == ["scope_id"]


def test_a_blank_restore_reason_and_other_without_text_are_refused_as_the_schema_says(
    api: Api,
) -> None:
    why = re.compile(component(api, "RestoreIn")["why"]["pattern"])
    assert not why.search("   ")
    cancel = document(api)["components"]["schemas"]["InstallerCancelIn"]
    assert cancel["if"]["properties"]["reason"] == {"const": "other"}
    assert cancel["then"]["required"] == ["reason_text"]
    blank = re.compile(cancel["then"]["properties"]["reason_text"]["pattern"])
    assert not blank.search(" \n")
    agent = api.client(Role.AGENT)
    version = agent.get(f"{API}/jobs/JOB-002").headers["ETag"]
    answer = agent.post(
        f"{API}/jobs/JOB-002/restore", json={"why": "   "}, headers={"If-Match": version}
    )
    assert answer.status_code == 422, answer.text


def test_a_csv_the_body_pattern_allows_is_read_row_by_row_never_refused_whole(api: Api) -> None:
    admin = api.client(Role.ADMIN)
    body = document(api)["paths"][f"{API}/jobs/import"]["post"]["requestBody"]
    pattern = body["content"]["text/csv"]["schema"]["pattern"]
    header = ",".join(COLUMNS)
    # The header, then rows that are no jobs: each is reported, the file is not a 422.
    csv = f"{header}\r\nnot,a,job\n\n,,,\u2028x\n"
    assert re.fullmatch(pattern, csv)

    answer = admin.post(
        f"{API}/jobs/import", content=csv.encode(), headers={"Content-Type": "text/csv"}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["imported"] == 0
    assert answer.json()["errors"]
    # A file without the header breaks the pattern, and the server refuses it whole.
    assert not re.fullmatch(pattern, "")
    empty = admin.post(f"{API}/jobs/import", content=b"", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 422, empty.text


@pytest.mark.parametrize(
    ("sent_date", "status"),
    [
        ("2000-01-01", 201),
        ("2024-02-29", 201),
        ("2026-11-20", 201),
        # In the schema's range, but after the receipt on record: a conflict with it.
        ("2100-12-31", 409),
        ("1999-12-31", 422),
        ("2023-02-29", 422),
        ("2101-01-01", 422),
        ("2100-02-29", 422),
    ],
)
def test_a_postmark_date_is_taken_exactly_when_the_schema_pattern_allows_it(
    api: Api, sent_date: str, status: int
) -> None:
    taken = status != 422
    schemas = document(api)["components"]["schemas"]
    statement = next(v for k, v in schemas.items() if k.startswith("StatementIn"))
    declared = next(s for s in statement["properties"]["sent_date"]["anyOf"] if "pattern" in s)
    assert (re.fullmatch(declared["pattern"], sent_date) is not None) == taken
    agent = api.client(Role.AGENT)
    filed = agent.post(
        f"{API}/requests",
        json={
            "job_id": "JOB-002",
            "channel": "mail",
            "requester_role": "homeowner",
            "requester_name": "Ben Reyes",
            "statement": {"kind": "mail_notice", "content": "Notice", "sent_date": sent_date},
        },
    )

    assert filed.status_code == status, filed.text
    if status == 409:
        assert filed.json()["type"] == "/problems/postmark_after_receipt"
        assert filed.json()["errors"][0]["field"] == "sent_date"


def test_the_policy_document_schema_takes_the_seed_table_and_declares_its_rules(api: Api) -> None:
    schemas = document(api)["components"]["schemas"]
    seed: dict[str, Any] = load_policy_document(default_policy_path())
    for model in ("PolicyIn", "DocumentDraft"):
        declared = schemas[model]["properties"]["document"]
        assert jsonschema_rs.is_valid(declared, seed)
        rule = declared["properties"]["rules"]["items"]["anyOf"][1]
        assert rule["properties"]["action"]["enum"] == ["stop", "escalate_to_deal_processing"]
    admin = api.client(Role.ADMIN)
    # A rule outside the declared shape is refused, as the schema says.
    wrong = {**seed, "rules": [{**seed["rules"][0], "action": "cancel"}]}
    assert not jsonschema_rs.is_valid(schemas["PolicyIn"]["properties"]["document"], wrong)
    refused = admin.post(f"{API}/policies", json={"document": wrong})
    assert refused.status_code == 422, refused.text


def test_an_undeclared_method_on_a_concrete_path_is_a_405_though_a_template_fits(
    api: Api,
) -> None:
    admin = api.client(Role.ADMIN)

    # DELETE /holidays/{day} fits the URL, but /holidays/preview is a path of its own.
    answer = admin.delete(f"{API}/holidays/preview")

    assert answer.status_code == 405, answer.text
    assert answer.headers["Allow"] == "GET"


def test_a_statement_declares_its_text_or_reference_and_a_notices_postmark(api: Api) -> None:
    schemas = document(api)["components"]["schemas"]
    name = next(k for k in schemas if k.startswith("StatementIn"))
    statement = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
    agent = api.client(Role.AGENT)
    filing = {
        "job_id": "JOB-002",
        "channel": "mail",
        "requester_role": "homeowner",
        "requester_name": "Ben Reyes",
    }
    for given, taken in (
        ({"kind": "email"}, False),
        ({"kind": "email", "content": " \n"}, False),
        ({"kind": "mail_notice", "content": "Notice"}, False),
        ({"kind": "email", "source_ref": "msg-1"}, True),
    ):
        assert jsonschema_rs.is_valid(statement, given) == taken, given
        answer = agent.post(f"{API}/requests", json={**filing, "statement": given})
        assert answer.status_code == (201 if taken else 422), (given, answer.text)
