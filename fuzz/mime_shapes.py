"""Real-world shapes of the email support receives: the seed corpus of the email fuzzer.

Each is what a mail client or a mail server sends in practice (multipart/alternative from
webmail, base64 and quoted-printable bodies, encoded-word headers in other charsets, replies
and forwards, HTML only, an attachment, bounces), addressed to the jobs ``filing`` seeds, so
mutations start from messages that get filed, not only from ones the parser refuses.
"""

from __future__ import annotations

import base64
import zlib

HOMEOWNER = "ben.reyes@homeowner.example"  # on file for JOB-000002 only
TWO_JOBS = "twin@homeowner.example"  # on file for JOB-000003 and JOB-000004


def _message(headers: list[str], body: str | bytes) -> bytes:
    head = "\r\n".join(headers).encode("utf-8")
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return head + b"\r\n\r\n" + data


def _plain(sender: str, subject: str, body: str, *extra: str) -> bytes:
    tag = zlib.crc32(f"{sender}{subject}{body}".encode())  # a Message-ID of its own, stable
    return _message(
        [
            f"From: {sender}",
            "To: support@solar.example",
            f"Subject: {subject}",
            f"Message-ID: <plain-{tag:08x}@mail.example>",
            "Date: Mon, 23 Nov 2026 10:00:00 -0500",
            *extra,
            "Content-Type: text/plain; charset=utf-8",
        ],
        body,
    )


_ALTERNATIVE = _message(
    [
        # On top, as the receiving server (trusted by the fuzz target) writes it.
        "Authentication-Results: mx.solar.example; spf=pass smtp.mailfrom=homeowner.example;"
        " dkim=pass header.d=homeowner.example; dmarc=pass",
        "Received: from mail.gmail.example by mx.solar.example; Tue, 24 Nov 2026 08:15:01 +0000",
        f"From: Ben Reyes <{HOMEOWNER}>",
        "To: support@solar.example",
        "Subject: Re: Your solar installation (JOB-000002)",
        "Message-ID: <CAF=alt-2@mail.gmail.example>",
        "In-Reply-To: <notice-1@solar.example>",
        "Date: Tue, 24 Nov 2026 08:15:00 +0000",
        "MIME-Version: 1.0",
        'Content-Type: multipart/alternative; boundary="000000000000b1"',
    ],
    "--000000000000b1\r\n"
    'Content-Type: text/plain; charset="UTF-8"\r\n\r\n'
    "Please cancel. I changed my mind.\r\n\r\n> On Mon, support wrote:\r\n> Your job...\r\n"
    "--000000000000b1\r\n"
    'Content-Type: text/html; charset="UTF-8"\r\n\r\n'
    '<div dir=3D"ltr">Please cancel. I changed my mind.</div>\r\n'
    "--000000000000b1--\r\n",
)

_BASE64 = _message(
    [
        f"From: =?UTF-8?B?{base64.b64encode('Benjamín Reyes'.encode()).decode()}?= <{HOMEOWNER}>",
        "Subject: =?ISO-8859-1?Q?Annulation_du_contrat_=E9nergie?=",
        "Message-ID: <b64-3@outlook.example>",
        "Date: Wed, 25 Nov 2026 19:45:10 -0800 (PST)",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
    ],
    base64.encodebytes("Je veux annuler le job 2, s'il vous plaît.".encode()),
)

_QUOTED_PRINTABLE = _message(
    [
        f"From: {HOMEOWNER}",
        "Subject: cancel",
        "Message-ID: <qp-4@mail.example>",
        "Content-Type: text/plain; charset=windows-1252",
        "Content-Transfer-Encoding: quoted-printable",
    ],
    "I don=92t want the panels any more =96 please cancel job #000002.=\r\nThanks",
)

_HTML_ONLY = _message(
    [
        f"From: {TWO_JOBS}",
        "Subject: stop",
        "Message-ID: <html-5@mail.example>",
        "Content-Type: text/html; charset=us-ascii",
    ],
    "<html><body><p>Please <b>stop</b> everything.</p><script>x()</script></body></html>",
)

_ATTACHMENT = _message(
    [
        f"From: Ben <{HOMEOWNER}>",
        "Subject: Signed cancellation form",
        "Message-ID: <att-6@mail.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="mix"',
    ],
    "--mix\r\nContent-Type: text/plain\r\n\r\nThe signed form is attached.\r\n"
    '--mix\r\nContent-Type: application/pdf; name="form.pdf"\r\n'
    'Content-Disposition: attachment; filename="form.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKNSAwIG9iago=\r\n--mix--\r\n",
)

_FORWARD = _message(
    [
        "From: Helper <helper@family.example>",
        "Subject: Fwd: cancel JOB-000007",
        "Message-ID: <fwd-7@mail.example>",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="fw"',
    ],
    "--fw\r\nContent-Type: text/plain\r\n\r\nForwarding my dad's request.\r\n"
    "--fw\r\nContent-Type: message/rfc822\r\n\r\n"
    f"From: {HOMEOWNER}\r\nSubject: cancel\r\n\r\nCancel it please.\r\n--fw--\r\n",
)

_BOUNCE = _message(
    [
        "From: Mail Delivery Subsystem <mailer-daemon@mx.example>",
        "Subject: Undelivered Mail Returned to Sender",
        "Message-ID: <bounce-8@mx.example>",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"',
    ],
    "--rep\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
    "--rep\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--rep--\r\n",
)

SHAPES: dict[str, bytes] = {
    "plain, reference in the subject": _plain(
        f"Ben Reyes <{HOMEOWNER}>", "Cancel job JOB-000002 please", "I want to cancel."
    ),
    "plain, no reference, address on file": _plain(HOMEOWNER, "cancel", "Cancel my contract."),
    "plain, SPF failed": _plain(
        HOMEOWNER,
        "cancel job 2",
        "Cancel.",
        "Authentication-Results: mx.solar.example; spf=fail smtp.mailfrom=x; dmarc=fail",
    ),
    "plain, sender with two open jobs": _plain(TWO_JOBS, "cancel", "Cancel my solar."),
    "plain, stranger naming a job": _plain("someone@else.example", "JOB-000005", "cancel"),
    "plain, unknown job": _plain(HOMEOWNER, "JOB-999999", "cancel"),
    "no From": b"Subject: hi\r\n\r\nbody\r\n",
    "bare LF line ends": _plain(HOMEOWNER, "job 2", "cancel").replace(b"\r\n", b"\n"),
    "multipart/alternative from webmail": _ALTERNATIVE,
    "base64 body, encoded-word headers": _BASE64,
    "quoted-printable windows-1252": _QUOTED_PRINTABLE,
    "HTML only": _HTML_ONLY,
    "text and a PDF attachment": _ATTACHMENT,
    "forwarded message/rfc822": _FORWARD,
    "delivery-status bounce": _BOUNCE,
}
