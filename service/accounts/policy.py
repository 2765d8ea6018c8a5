"""Account security settings in one value, with the defaults production uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from argon2 import Parameters
from argon2.low_level import ARGON2_VERSION, Type


@dataclass(frozen=True)
class Argon2idParameters:
    """Defaults: RFC 9106's second recommended option (t=3, m=64 MiB, p=4), about 0.1 s per hash
    on a small server and within the memory of a school's shared host. Each hash records the
    parameters it was made with; hashes with others are upgraded at the next sign-in."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4
    salt_len: int = 16
    hash_len: int = 32

    def to_argon2(self) -> Parameters:
        return Parameters(
            type=Type.ID,
            version=ARGON2_VERSION,
            salt_len=self.salt_len,
            hash_len=self.hash_len,
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
        )


@dataclass(frozen=True)
class AccountPolicy:
    hashing: Argon2idParameters = field(default_factory=Argon2idParameters)
    max_failures: int = 5  # consecutive wrong passwords or TOTP codes before the lock
    lockout: timedelta = timedelta(minutes=15)
    token_lifetime: timedelta = timedelta(minutes=15)
    # TOTP codes one 30-second step early or late are accepted (phone clocks drift)
    totp_drift_steps: int = 1
    min_password_length: int = 10
    max_password_length: int = 256  # argon2 copes, but an unbounded input is an easy DoS


DEFAULT_POLICY = AccountPolicy()
