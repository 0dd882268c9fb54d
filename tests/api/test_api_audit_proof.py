"""``GET /jobs/{id}/audit/proof`` on both databases: the same bundle as ``rescind audit
prove``, for the roles that may read the trail, of jobs they may see; checked by the
standalone verifier."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rescind.adapters.checkpoint_archive import DirectoryArchive
from rescind.adapters.signing import Ed25519Signer
from rescind.domain.access import Actor, Role
from rescind.domain.request import Channel, RequestDraft, RequesterRole
from rescind.entrypoints.api.deps import ProofSource
from rescind.services.checkpoints import issue_checkpoint
from rescind.services.requests import file_request
from tests.api.conftest import API, Api

VERIFIER = Path(__file__).parents[2] / "scripts" / "verify_audit_proof.py"
JOB = "JOB-001"


@pytest.fixture
def signer() -> Ed25519Signer:
    return Ed25519Signer(Ed25519PrivateKey.generate())


@pytest.fixture
def proving(api: Api, signer: Ed25519Signer, tmp_path: Path) -> DirectoryArchive:
    """The app proving against checkpoints in ``tmp_path``, with a trail for ``JOB``."""
    archive = DirectoryArchive(tmp_path / "checkpoints")
    state = api.app.state.rescind
    api.app.state.rescind = replace(state, proofs=ProofSource(archive, signer.verifier()))
    file_request(
        api.ctx,
        RequestDraft(
            job_id=JOB,
            channel=Channel.PHONE,
            requester_role=RequesterRole.HOMEOWNER,
            requester_name="The Homeowner",
        ),
        actor=Actor.system("tests"),
    )
    return archive


def test_a_proof_before_any_checkpoint_is_a_404_that_says_so(api: Api, proving: object) -> None:
    answer = api.client(Role.AGENT).get(f"{API}/jobs/{JOB}/audit/proof")
    assert answer.status_code == 404
    assert "no audit checkpoint has been issued yet" in answer.json()["detail"]


def test_the_proof_bundle_checks_out_with_the_standalone_verifier(
    api: Api, proving: DirectoryArchive, signer: Ed25519Signer, tmp_path: Path
) -> None:
    issue_checkpoint(api.ctx, signer, proving, actor=Actor.system("tests"))
    answer = api.client(Role.AGENT).get(f"{API}/jobs/{JOB}/audit/proof")
    assert answer.status_code == 200, answer.text
    bundle = answer.json()
    assert bundle["job_id"] == JOB
    assert bundle["leaf"]["seq"] == len(bundle["records"]) >= 1
    assert "leaves" not in bundle["checkpoint"]

    proof, public = tmp_path / "proof.json", tmp_path / "key.pub"
    proof.write_text(json.dumps(bundle))
    public.write_text(signer.verifier().pem())
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(VERIFIER), str(proof), "--public-key", str(public)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("role", [Role.INSTALLER, Role.SALES_REP, Role.HOMEOWNER])
def test_roles_that_may_not_read_the_trail_get_no_proof(
    api: Api, proving: DirectoryArchive, signer: Ed25519Signer, role: Role
) -> None:
    issue_checkpoint(api.ctx, signer, proving, actor=Actor.system("tests"))
    trail = api.client(role).get(f"{API}/jobs/{JOB}/audit")
    answer = api.client(role).get(f"{API}/jobs/{JOB}/audit/proof")
    assert answer.status_code == trail.status_code
    assert answer.status_code in (403, 404)


def test_a_server_without_checkpoints_says_why_there_is_no_proof(api: Api) -> None:
    answer = api.client(Role.AGENT).get(f"{API}/jobs/{JOB}/audit/proof")
    assert answer.status_code == 404
    assert "RESCIND_AUDIT_SIGNING_KEY is not set" in answer.json()["detail"]
