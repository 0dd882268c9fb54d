"""Coverage-guided fuzzing (atheris, libFuzzer) of inbound email: bytes → parser → filing → DB.

    python -m fuzz.email_parser [--store sqlite|postgres] [--seconds S] [--runs N]

Defaults come from ``FUZZ_SECONDS`` (60) and ``FUZZ_RUNS`` (0: no limit but time). The stdlib
``email`` package and rescind's inbound path are instrumented, so libFuzzer keeps the inputs
that reach new branches of the MIME parser. The corpus starts from ``mime_shapes`` and is kept
in ``var/fuzz/email-corpus`` between runs; a crashing input is written to ``var/fuzz/``
(``--out`` moves both).

libFuzzer ends the process with a C ``exit`` (no ``finally``, no ``atexit``), so the bound is
checked here, in the target: once reached it prints the executions, drops the database and
leaves with ``os._exit``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["email", "rescind.adapters.mail", "rescind.services"]):
    from fuzz.filing import STORES, open_filing
    from fuzz.mime_shapes import SHAPES

OUT = Path("var/fuzz")
DICTIONARY = Path(__file__).with_name("mime.dict")  # MIME tokens for libFuzzer to splice in
MAX_LEN = 16_384


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fuzz.email_parser", description=__doc__)
    parser.add_argument("--store", choices=STORES, default="sqlite")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 60)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("FUZZ_RUNS", 0)))
    parser.add_argument("--out", type=Path, default=OUT, help="corpus and crashing inputs")
    args = parser.parse_args(argv)

    out: Path = args.out
    corpus = out / "email-corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(SHAPES.values()):
        (corpus / f"seed-{n:02d}.eml").write_bytes(data)

    filing = open_filing(args.store)
    started = time.monotonic()
    deadline = started + args.seconds

    def finish(code: int) -> None:
        took = time.monotonic() - started
        print(
            f"\nemail fuzzer ({args.store}): {filing.executions} executions in {took:.1f} s "
            f"({filing.executions / max(took, 1e-9):.0f}/s), outcomes {dict(filing.outcomes)}",
            flush=True,
        )
        filing.close()
        os._exit(code)

    def one_input(data: bytes) -> None:
        try:
            filing.check(data)
        except BaseException:
            # libFuzzer reports the traceback and saves the input; the database goes first.
            filing.close()
            raise
        if time.monotonic() > deadline or (args.runs and filing.executions >= args.runs):
            finish(0)

    atheris.Setup(
        [
            sys.argv[0],
            f"-max_len={MAX_LEN}",
            f"-dict={DICTIONARY}",
            f"-artifact_prefix={out}/",
            f"-max_total_time={int(args.seconds) + 60}",  # a backstop; the target ends first
            "-print_final_stats=0",
            str(corpus),
        ],
        one_input,
    )
    atheris.Fuzz()
    finish(0)  # only if libFuzzer returns, which it does not when the corpus is given


if __name__ == "__main__":
    main()
