"""Password hashing and password rules.

argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1) by default. PBKDF2 and
Django ``pbkdf2_sha256$`` hashes still verify, so users imported from the
original system can log in; any hash that is not current argon2id at the
configured cost is replaced on the next successful login.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from passlib.context import CryptContext

from synergy.errors import ValidationError

PROFILES = {
    "owasp": {"argon2__memory_cost": 19456, "argon2__time_cost": 2, "argon2__parallelism": 1},
    # Test suites only (refused in production): the same algorithm, a fraction of the cost.
    "fast": {"argon2__memory_cost": 256, "argon2__time_cost": 1, "argon2__parallelism": 1},
}


@lru_cache(maxsize=4)
def password_context(profile: str) -> CryptContext:
    return CryptContext(
        schemes=["argon2", "django_pbkdf2_sha256", "pbkdf2_sha256"],
        default="argon2",
        deprecated=["django_pbkdf2_sha256", "pbkdf2_sha256"],
        argon2__type="ID",
        **PROFILES[profile],
    )


class PasswordHasher:
    def __init__(self, profile: str) -> None:
        self.context = password_context(profile)
        # Verified against when the account does not exist, so timing does not reveal it.
        self._dummy = self.context.hash("not-a-real-password-x7")

    def hash(self, password: str) -> str:
        return self.context.hash(password)

    def verify(self, password: str, stored: str | None) -> tuple[bool, str | None]:
        """Return (matches, replacement hash or None)."""
        if not stored:
            self.context.verify(password, self._dummy)
            return False, None
        try:
            return self.context.verify_and_update(password, stored)
        except (ValueError, TypeError):
            return False, None

    def burn(self, password: str) -> None:
        self.context.verify(password, self._dummy)


# The most used passwords of public breach corpora (all at least 8 characters,
# since shorter ones are refused anyway), lower-cased.
COMMON_PASSWORDS = frozenset("""
12345678 123456789 1234567890 password password1 password12 password123 passw0rd
p@ssw0rd p@ssword qwertyuiop qwerty123 qwerty12 qwerty1234 1q2w3e4r 1q2w3e4r5t
1qaz2wsx 1qaz2wsx3edc zaq12wsx zaq1zaq1 iloveyou iloveyou1 11111111 111111111
00000000 12341234 88888888 87654321 11223344 12121212 123123123 987654321 abcd1234
abc12345 abcdefgh sunshine princess football football1 baseball welcome1 welcome123
admin123 administrator letmein1 trustno1 superman batman123 starwars whatever
dragon123 monkey123 shadow123 master123 michael1 jennifer jordan23 hunter22
computer internet corvette mercedes maverick charlie1 freedom1 changeme changeme123
secret123 qazwsxedc asdfghjkl asdfasdf zxcvbnm1 zxcvbnmm 1234qwer qwer1234 q1w2e3r4
q1w2e3r4t5 aa123456 a1234567 a12345678 123qweasd 123qwe123 1234abcd google123
linkedin facebook youtube1 samsung1 liverpool chelsea1 arsenal1 pokemon1 minecraft
default1 testtest test1234 test12345 guest123 user1234 login123 access14 summer2024
summer2025 winter2024 spring2025 autumn2024 password2024 password2025 password2026
synergyos synergy123 projectmanager 1234567a 12345qwert 123456aa 55555555 99999999
66666666 77777777 22222222 33333333 44444444 13131313 147258369 159753456 741852963
qwertyui asdfghjk zxcvbnma iloveu123 loveyou1 babygirl1 lovelove 1password
""".split())

_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm", "01234567890")


def _is_trivial(lowered: str) -> bool:
    if lowered in COMMON_PASSWORDS:
        return True
    if len(set(lowered)) <= 2:
        return True
    stripped = re.sub(r"[\d!@#$%^&*._-]+$", "", lowered)
    if stripped in COMMON_PASSWORDS or stripped in {"password", "qwerty", "letmein", "welcome",
                                                    "admin", "iloveyou", "monkey", "dragon"}:
        return True
    return any(lowered in seq or lowered in seq[::-1] for seq in _SEQUENCES)


def password_problems(password: str, *, username: str = "", email: str = "",
                      first_name: str = "", last_name: str = "") -> list[str]:
    """Every reason the password is refused (empty when acceptable)."""
    problems = []
    if len(password) < 8:
        problems.append("Use at least 8 characters.")
    if len(password) > 128:
        problems.append("Use at most 128 characters.")
    if password.isdigit():
        problems.append("The password cannot be entirely numeric.")
    lowered = password.lower()
    if 8 <= len(password) <= 128 and _is_trivial(lowered):
        problems.append("This password is too common.")
    for label, value in (("username", username), ("e-mail", email.split("@")[0]),
                         ("e-mail", email), ("first name", first_name),
                         ("last name", last_name)):
        value = (value or "").lower()
        if len(value) >= 3 and _too_similar(lowered, value):
            problems.append(f"The password is too similar to the {label}.")
            break
    return problems


def _too_similar(password: str, value: str) -> bool:
    """Close to the value or one of its parts, or little more than its parts reshuffled.

    Both arguments are lower-cased. "Hamilton-Margaret1" is refused for the
    user "margaret_hamilton": remove the name's parts and almost nothing is left.
    """
    if value in password:
        return True
    parts = [part for part in re.split(r"[\W_]+", value) if len(part) >= 3]
    for candidate in (value, *parts):
        matcher = difflib.SequenceMatcher(a=password, b=candidate)
        if matcher.quick_ratio() >= 0.7 and matcher.ratio() >= 0.7:
            return True
    rest = password
    for part in parts:
        rest = rest.replace(part, "")
    return rest != password and len(re.sub(r"[\W_\d]+", "", rest)) < 4


def check_password(password: str, *, field: str = "password", **identity: str) -> None:
    problems = password_problems(password, **identity)
    if problems:
        raise ValidationError(f"{field}: {' '.join(problems)}", fields={field: problems})
