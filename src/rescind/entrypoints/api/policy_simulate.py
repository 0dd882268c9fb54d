"""POST /policies/simulate: what a draft eligibility policy would change, before publishing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AliasPath, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from rescind.adapters.policy_file import parse_policy_text
from rescind.entrypoints.api.body_limit import DEFAULT_MAX_BODY_BYTES
from rescind.entrypoints.api.deps import NO_NUL, CurrentActor, State
from rescind.entrypoints.api.models import Out
from rescind.entrypoints.api.policy_schema import has_nul, policy_document_schema
from rescind.services.policy_simulation import simulate_policy

router = APIRouter()

# The longest YAML the schema allows still fits the default body limit however a client
# escapes it as JSON (at most 12 bytes a character: a surrogate pair as two \uXXXX), so a
# schema-valid draft is read and answered, never refused as 413; the policy file is ~3 KB.
MAX_YAML_CHARS = (DEFAULT_MAX_BODY_BYTES - 1024) // 12


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")
    against_version: Annotated[
        int | None,
        Field(ge=1, le=1_000_000, description="Compare with this version; null: the one in force."),
    ] = None


class DocumentDraft(_Draft):
    document: Annotated[
        dict[str, Any],
        WithJsonSchema(
            policy_document_schema(
                "The draft as JSON (as GET /policies shows a document); its rules as "
                "POST /policies says."
            )
        ),
    ]

    @field_validator("document")
    @classmethod
    def _no_nul(cls, document: dict[str, Any]) -> dict[str, Any]:
        if has_nul(document):
            raise ValueError("text in the document cannot contain NUL characters")
        return document


class YamlDraft(_Draft):
    yaml: Annotated[
        str,
        Field(
            description="The draft as YAML text, as the policy file.",
            max_length=MAX_YAML_CHARS,
            pattern=NO_NUL,
        ),
    ]


# The draft is given once, as JSON or as YAML: two shapes (each refusing the other's field),
# so the schema says it too (anyOf), not only a validator behind it.
SimulationIn = DocumentDraft | YamlDraft


class FlipOut(Out):
    from_rule: int
    to_rule: int
    from_eligible: bool
    to_eligible: bool
    jobs: int
    open_requests: int
    sample_job_ids: list[str]


class SimulationOut(Out):
    current_version: int = Field(validation_alias=AliasPath("current", "version"))
    draft_version: int = Field(
        validation_alias=AliasPath("draft", "version"),
        description="The number the draft would get if published now.",
    )
    live_jobs: int = Field(description="Jobs active or cancel pending.")
    jobs_flipped: int
    open_requests_affected: int
    flips: list[FlipOut]


@router.post(
    "/policies/simulate",
    tags=["policies"],
    summary="What a draft policy would change over the live jobs; nothing is written (admins)",
    description="The draft is validated as publishing would (`/problems/policy_invalid`).",
)
def simulate(body: SimulationIn, state: State, actor: CurrentActor) -> SimulationOut:
    document = body.document if isinstance(body, DocumentDraft) else parse_policy_text(body.yaml)
    result = simulate_policy(state.ctx, document, actor=actor, against_version=body.against_version)
    return SimulationOut.model_validate(result)
