"""How search-box text is read: the pure rules behind every store's search."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rescind.domain.search import homeowner_keys, phone_prefixes, read_search

digits = st.text(alphabet="0123456789", min_size=10, max_size=10).filter(lambda d: d[0] in "29")
separators = st.sampled_from(["", " ", "-", ".", ") "])


def spellings(number: str) -> list[str]:
    area, exchange, line = number[:3], number[3:6], number[6:]
    return [
        f"({area}) {exchange}-{line}",
        f"{area} {exchange} {line}",
        f"{area}-{exchange}-{line}",
        f"{area}.{exchange}.{line}",
        f"+1{number}",
        f"+1 {area} {exchange} {line}",
        f"1-{area}-{exchange}-{line}",
        number,
    ]


@given(digits)
def test_every_usual_spelling_of_a_us_number_finds_it_stored_in_e164(number: str) -> None:
    stored = homeowner_keys(name="Ann Lee", email="a@x.test", phone=f"+1{number}")["phone_key"]
    for typed in spellings(number):
        assert any(stored.startswith(p) for p in phone_prefixes(typed)), typed


@given(digits, st.integers(min_value=3, max_value=10))
def test_the_start_of_a_number_finds_it_too(number: str, typed_digits: int) -> None:
    terms = read_search(f"({number[:3]}) {number[3:typed_digits]}".strip())
    assert terms is not None
    assert terms.finds_homeowner(name="x", email="x@x.test", phone=f"+1{number}")


@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["JOB-", "job-", "job ", ""]))
def test_a_job_number_with_or_without_prefix_and_zeros_names_the_padded_id(
    number: int, prefix: str
) -> None:
    terms = read_search(f"{prefix}{number}")
    assert terms is not None
    assert terms.finds_by_id(f"JOB-{number:06d}")


@given(st.text(min_size=1, max_size=30))
def test_any_text_is_read_without_error_and_blank_text_is_no_filter(text: str) -> None:
    terms = read_search(text)
    assert (terms is None) == (not text.strip())


@given(
    st.text(alphabet="abcdéz", min_size=1, max_size=8),
    st.text(alphabet="abcdéz", min_size=1, max_size=8),
    st.integers(min_value=1, max_value=8),
)
def test_a_full_name_or_a_surname_is_found_from_its_start_in_any_case(
    first: str, last: str, cut: int
) -> None:
    name = f"{first.capitalize()}  {last.capitalize()}"
    for typed in (f"{first} {last[:cut]}".upper(), last[:cut], f"{first}   {last}"):
        terms = read_search(typed)
        assert terms is not None
        assert terms.finds_homeowner(name=name, email="x@x.test", phone=""), typed


def test_an_email_is_found_from_its_start_but_never_by_text_with_a_space() -> None:
    email = "Dana.W@Example.com"
    for typed in ("dana.w@example.com", "DANA.W@", "dana.w"):
        terms = read_search(typed)
        assert terms is not None
        assert terms.finds_homeowner(name="Zed", email=email, phone=""), typed
    spaced = read_search("dana w")
    assert spaced is not None
    assert not spaced.finds_homeowner(name="Zed", email=email, phone="")


def test_short_digits_and_a_job_id_are_not_read_as_a_phone() -> None:
    assert phone_prefixes("55") == ()
    assert phone_prefixes("JOB-12") == ()
    assert phone_prefixes("555-01") == ("55501", "155501")
