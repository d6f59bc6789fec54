"""How passwords are stored: Argon2id, at OWASP's parameters."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (Argon2id), at the OWASP Password Storage Cheat Sheet's first
    recommendation: 19 MiB of memory, 2 passes, 1 lane.

    OWASP lists Argon2id first and PBKDF2 last ("if FIPS-140 compliance is required"). Argon2id is
    memory-hard: each guess costs an attacker 19 MiB as well as time, which is what makes GPUs
    and ASICs expensive to crack it with. Django's own Argon2 parameters (100 MiB, 8 lanes) would
    need 100 MiB for each of a worker's threads hashing at once. A login took ~190 ms of CPU with
    Django's PBKDF2 (1,000,000 iterations) and ~25 ms with this (`bash bench/profile.sh`): on a
    0.25 vCPU task, ~0.75 s of the task's CPU per login, while other requests wait, became ~0.1 s
    (BENCHMARKS.md, "Login").

    Django re-hashes a stored password whose parameters differ from these at the next successful
    login, so changing them upgrades every account that logs in.

    Memory: glibc keeps a freed 19 MiB block for the next hash of the same thread, so a worker stays
    up to 19 MiB × SERVER_THREADS larger after concurrent logins. Returning the blocks to the system
    (a fixed mmap threshold) made a login ~40 % more CPU, all page faults, so it is not done
    (BENCHMARKS.md, "Login").
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
