"""The schema's email pattern is exactly what the API accepts as an address.

Every string the pattern matches passes the real check (email-validator, through
``adapters/contact``), and on generated samples (addresses, near misses, text) the API's field
takes a string exactly when the pattern matches it; the OpenAPI document declares the pattern
on every address field, so a client (or schemathesis) that follows it is never refused.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from rescind.adapters.contact import EMAIL_PATTERN, OPTIONAL_EMAIL_PATTERN, email_address
from rescind.domain.access import Role
from rescind.domain.errors import InvalidInput
from rescind.entrypoints.api.deps import EmailAddress, OptionalEmailAddress
from tests.api.conftest import API, Api, if_match
from tests.api.test_api_procedure import file_phone_request

_EMAIL = re.compile(EMAIL_PATTERN)
_TAKES: TypeAdapter[str] = TypeAdapter(EmailAddress)
_TAKES_OPTIONAL: TypeAdapter[str] = TypeAdapter(OptionalEmailAddress)

# Near misses: the pattern's pieces and the validator's edge cases, put together at random.
_PIECES = st.sampled_from(
    [
        "a", "Z", "0", "-", ".", "..", "@", " ", "+", "xn--", "ab--", "\u00fc", ",", "\"",
        "example", "test", "local", "localhost", "onion", "arpa", "invalid", "com", "co9",
        "1", "[1.2.3.4]", "\t", "\x00",
    ]
)  # fmt: skip
_NEAR_MISSES = st.lists(_PIECES, min_size=1, max_size=12).map("".join)
_SAMPLES = st.one_of(
    st.emails(), _NEAR_MISSES, st.text(max_size=40), st.from_regex(_EMAIL, fullmatch=True)
)


def _taken(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


@given(st.from_regex(_EMAIL, fullmatch=True))
def test_every_address_the_pattern_matches_passes_the_real_check(value: str) -> None:
    normalized = email_address(value, field="the address")

    assert normalized.lower() == value.strip().lower()


@given(_SAMPLES)
def test_the_api_takes_an_address_exactly_when_the_pattern_matches_it(value: str) -> None:
    matches = _EMAIL.fullmatch(value) is not None

    assert _taken(_TAKES, value) == matches
    assert _taken(_TAKES_OPTIONAL, value) == (matches or value == "")
    assert (re.fullmatch(OPTIONAL_EMAIL_PATTERN, value) is not None) == (matches or value == "")


@given(_SAMPLES)
def test_an_address_the_real_check_refuses_never_matches_the_pattern(value: str) -> None:
    try:
        email_address(value, field="the address")
    except InvalidInput:
        assert _EMAIL.fullmatch(value) is None


def test_every_address_field_declares_the_pattern_the_server_enforces(api: Api) -> None:
    schema = api.anonymous().get(f"{API}/openapi.json").json()["components"]["schemas"]

    def field(model: str, name: str) -> dict[str, object]:
        found: dict[str, object] = schema[model]["properties"][name]
        return found

    assert field("AddressOnFileIn", "sender")["pattern"] == EMAIL_PATTERN
    assert field("AddressFixIn", "new")["pattern"] == EMAIL_PATTERN
    statement = next(name for name in schema if name.startswith("StatementIn"))
    assert field(statement, "from_address")["pattern"] == OPTIONAL_EMAIL_PATTERN


def test_a_valid_address_outside_the_pattern_is_a_422_naming_the_field(api: Api) -> None:
    agent = api.client(Role.AGENT)
    request = file_phone_request(agent, "JOB-002", channel="email")
    path = f"{API}/requests/{request['id']}/verification/address-on-file"

    # email-validator takes an internationalized domain; the API's pattern (ASCII) does not.
    sender = agent.post(
        path,
        json={"sender": "ben@b\u00fccher.example", "authenticated": True},
        headers=if_match(agent, path),
    )

    assert sender.status_code == 422, sender.text
    (error,) = sender.json()["errors"]
    assert error["field"] == "body.sender"
    assert "ASCII" in error["message"]
    assert agent.get(f"{API}/requests/{request['id']}").json()["verified"] is False
