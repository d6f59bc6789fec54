"""How passwords are stored: Argon2id, at OWASP's parameters."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (Argon2id), at the OWASP Password Storage Cheat Sheet's first
    recommendation: 19 MiB of memory, 2 passes, 1 lane.

    OWASP lists Argon2id first and PBKDF2 last ("if FIPS-140 compliance is required"). Argon2id is
    memory-hard: each guess costs an attacker's GPU 19 MiB as well as time. Django's own Argon2
    parameters (100 MiB, 8 lanes) cost as much CPU as its PBKDF2 (~0.19 s a login, measured
    here) and would need 100 MiB for each of a worker's threads hashing at once; these take ~18 ms
    and 19 MiB. On a 0.25 vCPU task a login was ~0.75 s of the task's CPU, during which the other
    requests wait (BENCHMARKS.md, "Login").

    Django re-hashes a stored password whose parameters differ from these at the next successful
    login, so changing them upgrades every account that logs in.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
