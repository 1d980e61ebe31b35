"""The fingerprint covers everything that changes keys: equal fingerprints, equal keys."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flujo_tuning import apply
from flujo_tuning.cache_keys import register_encoder, unregister_encoder


class Money:
    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency


def as_list(money: Money) -> list[object]:
    return [money.cents, money.currency]


def as_cents(money: Money) -> object:
    return money.cents


def test_registering_an_encoder_changes_the_fingerprint_and_unregistering_restores_it() -> None:
    tuning = apply()
    before = tuning.fingerprint
    register_encoder(Money, as_list)  # after apply(): the same Tuning's fingerprint follows
    try:
        registered = tuning.fingerprint
    finally:
        unregister_encoder(Money)
    assert registered != before
    assert tuning.fingerprint == before


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ((as_list, None), (as_cents, None)),  # another encoder: other bytes
        ((as_list, None), (as_list, "billing.Money")),  # another name in the key
    ],
    ids=["encoder", "name"],
)
def test_what_a_registration_puts_in_keys_is_in_the_fingerprint(
    first: tuple[object, str | None], second: tuple[object, str | None]
) -> None:
    tuning = apply()
    seen = []
    for encoder, name in (first, second):
        register_encoder(Money, encoder, name=name)  # type: ignore[arg-type]
        try:
            seen.append((tuning.fingerprint, tuning.cache_key(Money(1, "EUR"))))
        finally:
            unregister_encoder(Money)
    (fingerprint_a, key_a), (fingerprint_b, key_b) = seen
    assert key_a != key_b
    assert fingerprint_a != fingerprint_b


def test_the_hasher_and_the_scheme_are_in_the_fingerprint() -> None:
    default = apply()
    assert default.fingerprint != apply(hasher="sha256").fingerprint
    assert default.facts["keys"] == "fk1"


PROGRAM = textwrap.dedent(
    """
    import sys
    import flujo_tuning
    from flujo_tuning.cache_keys import register_encoder

    class Money:
        def __init__(self, cents, currency):
            self.cents, self.currency = cents, currency

    def encode(money):
        # a frozenset constant: its repr follows string hashing, which differs per process
        return [money.cents, money.currency in {"EUR", "USD", "GBP"}]

    tuning = flujo_tuning.apply()
    if sys.argv[1] == "register":
        register_encoder(Money, encode)
    print(tuning.fingerprint, tuning.cache_key(Money(5, "EUR")) if sys.argv[1] == "register" else "-")
    """
)


def _run(tmp_path: Path, mode: str, seed: str) -> tuple[str, str]:
    script = tmp_path / "program.py"
    script.write_text(PROGRAM, encoding="utf-8")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, str(script), mode], capture_output=True, text=True, check=True, env=env, cwd=tmp_path
    )
    fingerprint, key = done.stdout.split()
    return fingerprint, key


def test_processes_agree_exactly_when_their_registrations_agree(tmp_path: Path) -> None:
    registered_a = _run(tmp_path, "register", "1")
    registered_b = _run(tmp_path, "register", "2")
    plain = _run(tmp_path, "plain", "1")
    assert registered_a == registered_b  # same encoder, other hash seed: same fingerprint and key
    assert plain[0] != registered_a[0]  # one process registers, the other does not
