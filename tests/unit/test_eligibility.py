"""The eligibility decision table (SPEC "Eligibility"), rule by rule, plus its validation."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rescind.adapters.policy_file import default_policy_path, load_policy_document
from rescind.domain.eligibility import (
    FACT_VALUES,
    Action,
    DecisionTable,
    PolicyHistory,
)
from rescind.domain.errors import NotFound, PolicyError
from rescind.domain.job import (
    MILESTONES,
    Homeowner,
    InstallerCompany,
    Job,
    Milestone,
    MilestoneReview,
    PartnerProgram,
    Phase,
    ProductModel,
    ReviewStatus,
    SalesRep,
)

V1_AT = datetime(2026, 1, 1, tzinfo=UTC)
V2_AT = datetime(2026, 12, 1, tzinfo=UTC)


def make_job(
    milestone: Milestone = Milestone.M1,
    *,
    product_model: ProductModel | None = None,
    review_status: ReviewStatus = ReviewStatus.NOT_SUBMITTED,
    invoice_uploaded: bool = False,
    system_photos_uploaded: bool = False,
    partner_program: PartnerProgram = PartnerProgram.NONE,
    phase: Phase = Phase.OPERATIONS,
) -> Job:
    if product_model is None:
        in_regular = milestone in MILESTONES[ProductModel.REGULAR]
        product_model = ProductModel.REGULAR if in_regular else ProductModel.DIRECT_PAY
    return Job(
        id="job-1",
        homeowner=Homeowner(id="ho-1", name="Pat Homeowner", email="pat@example.com"),
        installer=InstallerCompany(id="inst-1", name="Sunny Roofs", email="ops@sunny.example"),
        sales_rep=SalesRep(id="rep-1", name="Sam Rep", email="sam@example.com"),
        product_model=product_model,
        milestone=milestone,
        contract_signed_date=date(2026, 11, 2),
        review=MilestoneReview(status=review_status),
        invoice_uploaded=invoice_uploaded,
        system_photos_uploaded=system_photos_uploaded,
        partner_program=partner_program,
        phase=phase,
    )


def v1_document() -> dict[str, object]:
    return load_policy_document(default_policy_path())


def v1() -> DecisionTable:
    return DecisionTable.from_document(v1_document(), version=1, effective_at=V1_AT)


def rules_of(doc: dict[str, object]) -> list[dict[str, object]]:
    rules = doc["rules"]
    assert isinstance(rules, list)
    return rules


ALL_MODEL_MILESTONES = [(model, m) for model, ms in MILESTONES.items() for m in ms]


# --- the v1 table, rule by rule ---------------------------------------------------------


@pytest.mark.parametrize("partner", [PartnerProgram.BEAM, PartnerProgram.CONCERT])
@pytest.mark.parametrize(("model", "milestone"), ALL_MODEL_MILESTONES)
def test_beam_and_concert_jobs_are_never_eligible_at_any_milestone(
    partner: PartnerProgram, model: ProductModel, milestone: Milestone
) -> None:
    job = make_job(milestone, product_model=model, partner_program=partner)
    decision = v1().decide(job)
    assert (decision.rule_number, decision.eligible, decision.action) == (1, False, Action.STOP)
    assert "unable to cancel" in decision.guidance


def test_regular_m1_is_eligible_by_rule_2_with_no_extra_steps_when_review_not_pending() -> None:
    for status in (ReviewStatus.NOT_SUBMITTED, ReviewStatus.APPROVED, ReviewStatus.REJECTED):
        decision = v1().decide(make_job(Milestone.M1, review_status=status))
        assert (decision.rule_number, decision.eligible, decision.action) == (
            2,
            True,
            Action.CANCEL,
        )
        assert decision.steps_before_cancel == ()


def test_m1_with_pending_review_must_reject_items_and_submit_review_before_cancel() -> None:
    decision = v1().decide(make_job(Milestone.M1, review_status=ReviewStatus.PENDING_REVIEW))
    assert decision.rule_number == 2
    assert decision.eligible
    assert decision.steps_before_cancel == ("reject_all_review_items", "submit_review")


def test_m1a_is_eligible_by_rule_3() -> None:
    decision = v1().decide(make_job(Milestone.M1A))
    assert (decision.rule_number, decision.eligible, decision.action) == (3, True, Action.CANCEL)


def test_m1a_pending_review_needs_no_review_steps_because_only_rule_2_asks_for_them() -> None:
    decision = v1().decide(make_job(Milestone.M1A, review_status=ReviewStatus.PENDING_REVIEW))
    assert decision.steps_before_cancel == ()


def test_m1b_without_invoice_is_eligible_by_rule_4() -> None:
    decision = v1().decide(make_job(Milestone.M1B, invoice_uploaded=False))
    assert (decision.rule_number, decision.eligible, decision.action) == (4, True, Action.CANCEL)


def test_m1b_with_invoice_is_escalated_to_deal_processing_by_rule_5() -> None:
    decision = v1().decide(make_job(Milestone.M1B, invoice_uploaded=True))
    assert decision.rule_number == 5
    assert not decision.eligible
    assert decision.action is Action.ESCALATE_TO_DEAL_PROCESSING
    assert "invoice will need to be paid" in decision.guidance
    assert "Deal Processing" in decision.guidance
    assert "Back Office queue" in decision.guidance


@pytest.mark.parametrize("model", list(ProductModel))
def test_m2_without_system_photos_is_eligible_by_rule_6_in_both_product_models(
    model: ProductModel,
) -> None:
    decision = v1().decide(make_job(Milestone.M2, product_model=model))
    assert (decision.rule_number, decision.eligible, decision.action) == (6, True, Action.CANCEL)


@pytest.mark.parametrize("model", list(ProductModel))
def test_m2_with_system_photos_is_not_eligible_by_rule_7(model: ProductModel) -> None:
    job = make_job(Milestone.M2, product_model=model, system_photos_uploaded=True)
    decision = v1().decide(job)
    assert (decision.rule_number, decision.eligible, decision.action) == (7, False, Action.STOP)
    assert "cannot cancel" in decision.guidance


@pytest.mark.parametrize("model", list(ProductModel))
def test_m3_is_never_eligible_by_rule_8(model: ProductModel) -> None:
    job = make_job(Milestone.M3, product_model=model, system_photos_uploaded=True)
    decision = v1().decide(job)
    assert (decision.rule_number, decision.eligible, decision.action) == (8, False, Action.STOP)
    assert "cannot cancel" in decision.guidance


def test_a_decision_names_its_rule_text_policy_version_guidance_and_facts() -> None:
    job = make_job(Milestone.M1B, invoice_uploaded=True)
    decision = v1().decide(job)
    assert decision.rule_text == "Milestone M1B, invoice uploaded"
    assert decision.policy_version == 1
    assert decision.facts == job.facts()
    assert decision.to_dict() == {
        "eligible": False,
        "rule_number": 5,
        "rule_text": "Milestone M1B, invoice uploaded",
        "policy_version": 1,
        "action": "escalate_to_deal_processing",
        "guidance": decision.guidance,
        "steps_before_cancel": [],
        "facts": job.facts(),
    }


def test_the_table_knows_exactly_the_facts_a_job_offers() -> None:
    assert set(FACT_VALUES) == set(make_job().facts())


# --- the document round trip ------------------------------------------------------------


def test_to_document_round_trips_with_from_document() -> None:
    table = v1()
    assert table.to_document() == v1_document()
    again = DecisionTable.from_document(table.to_document(), version=1, effective_at=V1_AT)
    assert again == table


# --- validation: a table that cannot be published says why ------------------------------


def test_unknown_fact_name_is_refused_naming_the_rule_and_the_known_facts() -> None:
    doc = v1_document()
    rules_of(doc)[2]["when"] = {"milestone_name": "M1A"}
    with pytest.raises(PolicyError, match=r"rule 3: 'when' tests unknown fact 'milestone_name'.*"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_value_not_allowed_for_a_fact_is_refused_listing_the_allowed_values() -> None:
    doc = v1_document()
    rules_of(doc)[7]["when"] = {"milestone": "M4"}
    with pytest.raises(PolicyError, match=r"rule 8: 'when.milestone' value 'M4'.*M1, .*M3"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_a_word_where_a_flag_belongs_is_refused() -> None:
    doc = v1_document()
    rules_of(doc)[3]["when"] = {"milestone": "M1B", "invoice_uploaded": "no"}
    with pytest.raises(PolicyError, match=r"rule 4: 'when.invoice_uploaded'.*false, true"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_v1_without_rule_8_is_incomplete_and_names_an_uncovered_job() -> None:
    doc = v1_document()
    del rules_of(doc)[7]
    with pytest.raises(PolicyError, match=r"incomplete: no rule matches a job with .*milestone=M3"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_eligible_rule_with_a_stop_action_is_refused() -> None:
    doc = v1_document()
    rules_of(doc)[2]["action"] = "stop"
    with pytest.raises(PolicyError, match=r"rule 3: 'eligible' is true but 'action' is 'stop'"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_ineligible_rule_with_a_cancel_action_is_refused() -> None:
    doc = v1_document()
    rules_of(doc)[7]["action"] = "cancel"
    with pytest.raises(PolicyError, match=r"rule 8: 'eligible' is false but 'action' is 'cancel'"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_unknown_action_is_refused_listing_the_actions() -> None:
    doc = v1_document()
    rules_of(doc)[0]["action"] = "refuse"
    with pytest.raises(PolicyError, match=r"rule 1: 'action' 'refuse' is unknown.*cancel, stop"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_duplicate_rule_numbers_are_refused() -> None:
    doc = v1_document()
    rules_of(doc)[3]["number"] = 3
    with pytest.raises(PolicyError, match=r"unique and increasing"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_a_misspelt_rule_field_is_refused() -> None:
    doc = v1_document()
    rules_of(doc)[1]["eligable"] = True
    with pytest.raises(PolicyError, match=r"rule 2: unknown field 'eligable'"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_a_rule_that_earlier_rules_shadow_is_refused() -> None:
    doc = v1_document()
    rules_of(doc).insert(0, copy.deepcopy(rules_of(doc)[7]))
    rules_of(doc)[0]["number"] = 0
    with pytest.raises(PolicyError, match=r"rule 8 can never decide"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_a_naive_effective_at_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"no time zone"):
        DecisionTable.from_document(
            v1_document(),
            version=1,
            effective_at=datetime(2026, 1, 1),  # noqa: DTZ001 - the point of the test
        )


def test_a_table_without_rules_is_refused() -> None:
    doc = v1_document()
    doc["rules"] = []
    with pytest.raises(PolicyError, match=r"non-empty list"):
        DecisionTable.from_document(doc, version=1, effective_at=V1_AT)


def test_an_unreadable_or_malformed_policy_file_gives_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"cannot read policy file"):
        load_policy_document(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n  - number: 1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"not valid YAML at line \d+") as excinfo:
        load_policy_document(broken)
    assert "\n" not in str(excinfo.value)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"must hold a mapping"):
        load_policy_document(listed)


# --- history and replay -----------------------------------------------------------------


def v2() -> DecisionTable:
    doc = v1_document()
    rule_7 = rules_of(doc)[6]
    rule_7.update(eligible=True, action="cancel", guidance="Eligible. Cancel the workflow.")
    return DecisionTable.from_document(doc, version=2, effective_at=V2_AT)


def test_a_past_decision_is_replayed_with_the_policy_in_force_at_that_moment() -> None:
    history = PolicyHistory(tables=(v2(), v1()))
    job = make_job(Milestone.M2, system_photos_uploaded=True)

    before_v2 = history.in_force_at(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)).decide(job)
    assert (before_v2.policy_version, before_v2.eligible) == (1, False)

    from_v2 = history.in_force_at(V2_AT).decide(job)
    assert (from_v2.policy_version, from_v2.eligible, from_v2.rule_number) == (2, True, 7)
    assert history.latest().version == 2


def test_no_policy_is_in_force_before_the_first_effective_date() -> None:
    history = PolicyHistory(tables=(v1(), v2()))
    with pytest.raises(NotFound, match=r"no eligibility policy is in force.*2026-01-01"):
        history.in_force_at(datetime(2025, 12, 31, 23, 59, tzinfo=UTC))


def test_two_versions_effective_at_the_same_moment_resolve_to_the_higher_version() -> None:
    same_day = DecisionTable.from_document(v1_document(), version=3, effective_at=V2_AT)
    history = PolicyHistory(tables=(v1(), same_day, v2()))
    assert history.in_force_at(V2_AT).version == 3


# --- property: first match wins, for every valid job ------------------------------------

V1 = v1()


@st.composite
def valid_jobs(draw: st.DrawFn) -> Job:
    model = draw(st.sampled_from(ProductModel))
    return make_job(
        draw(st.sampled_from(MILESTONES[model])),
        product_model=model,
        review_status=draw(st.sampled_from(ReviewStatus)),
        invoice_uploaded=draw(st.booleans()),
        system_photos_uploaded=draw(st.booleans()),
        partner_program=draw(st.sampled_from(PartnerProgram)),
        phase=draw(st.sampled_from(Phase)),
    )


@given(valid_jobs())
def test_every_valid_job_gets_one_decision_from_the_first_matching_rule(job: Job) -> None:
    decision = V1.decide(job)
    first = next(rule for rule in V1.rules if rule.matches(job.facts()))
    assert decision.rule_number == first.number
    assert decision.eligible == first.eligible
    if job.partner_program is not PartnerProgram.NONE:
        assert not decision.eligible
    if job.milestone is Milestone.M3:
        assert not decision.eligible
