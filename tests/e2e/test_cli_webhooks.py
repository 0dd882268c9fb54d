"""``rescind webhooks add|list|rotate|remove``: the same services as the API, at the machine."""

from __future__ import annotations

import re

from tests.e2e.conftest import Rescind


def test_webhooks_add_list_rotate_and_remove_an_endpoint_showing_each_secret_once(
    rescind: Rescind,
) -> None:
    added = rescind(
        "webhooks", "add", "https://engine.example/hooks",
        "--event", "workflow.cancel_pending", "--event", "workflow.cancelled",
        "--description", "Engine",
    )  # fmt: skip
    found = re.search(r"^added (whe_\w+) -> https://engine\.example/hooks", added.out, re.M)
    first = re.search(r"^secret: (whsec_\S+)$", added.out, re.M)
    assert found, added.out
    assert first, added.out
    endpoint_id = found.group(1)

    listed = rescind("webhooks", "list")
    assert f"{endpoint_id}  https://engine.example/hooks  workflow.cancel_pending, " in listed.out
    assert "whsec_" not in listed.out

    rotated = rescind("webhooks", "rotate", endpoint_id)
    second = re.search(r"^secret: (whsec_\S+)$", rotated.out, re.M)
    assert second, rotated.out
    assert second.group(1) != first.group(1)
    assert "previous secret also signs until" in rotated.out
    assert "previous secret signs until" in rescind("webhooks", "list").out

    assert f"removed {endpoint_id}" in rescind("webhooks", "remove", endpoint_id).out
    assert rescind("webhooks", "list").out == ""


def test_webhooks_refuses_a_bad_url_an_unknown_type_and_an_unknown_id_in_one_line(
    rescind: Rescind,
) -> None:
    bad_url = rescind("webhooks", "add", "ftp://x.example", "--event", "case.opened", code=2)
    assert "http:// or https://" in bad_url.error_line
    bad_type = rescind("webhooks", "add", "https://x.example", "--event", "case.boom", code=2)
    assert "unknown event type case.boom" in bad_type.error_line
    missing = rescind("webhooks", "rotate", "whe_nope", code=3)
    assert "no webhook endpoint" in missing.error_line


def test_webhooks_refuses_a_url_reaching_an_internal_address_in_one_line(
    rescind: Rescind,
) -> None:
    refused = rescind(
        "webhooks", "add", "http://127.0.0.1:9/hooks", "--event", "case.opened", code=2
    )
    assert "127.0.0.1, an internal address" in refused.error_line
    assert rescind("webhooks", "list").out == ""
