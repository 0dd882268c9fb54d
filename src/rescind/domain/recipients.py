"""Who receives the cancellation notice: To the homeowner, CC only the signers among the others."""

from __future__ import annotations

from dataclasses import dataclass

from rescind.domain.job import Job
from rescind.domain.request import RequesterRole


@dataclass(frozen=True)
class Recipients:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()


def cancellation_notice_recipients(job: Job) -> Recipients:
    """Seeds, step 6: CC the installer only if it signed, the sales rep only if they signed."""
    cc: list[str] = []
    if job.installer_signed:
        cc.append(job.installer.email)
    if job.sales_rep_signed:
        cc.append(job.sales_rep.email)
    return Recipients(to=(job.homeowner.email,), cc=tuple(cc))


def homeowner_only(job: Job) -> Recipients:
    return Recipients(to=(job.homeowner.email,))


def requester_recipients(job: Job, role: RequesterRole) -> Recipients:
    """The party who asked, at the address the job has for them."""
    address = {
        RequesterRole.HOMEOWNER: job.homeowner.email,
        RequesterRole.SALES_REP: job.sales_rep.email,
        RequesterRole.INSTALLER: job.installer.email,
    }[role]
    return Recipients(to=(address,))
