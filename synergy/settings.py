"""Typed settings read from the environment and an optional TOML file.

Every setting is declared once (name, type, default, help). The declarations
drive parsing, ``synergy config``, the README table and validation, so the
documentation cannot drift from the code. Plugins declare theirs through the
``synergy_settings`` hook and are named ``SYNERGY_<PLUGIN>_<NAME>``.

Precedence, highest first: explicit overrides (tests, CLI flags), process
environment, the TOML file named by ``SYNERGY_CONFIG_FILE``, the default.

A ``SYNERGY_*`` name that nothing declares is almost always a misspelling that
would otherwise be ignored in silence: once every plugin has declared its
settings, :meth:`Settings.check_names` reports it with the closest known name.
"""

from __future__ import annotations

import difflib
import logging
import os
import secrets
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synergy.errors import ConfigurationError

log = logging.getLogger("synergy.settings")

PREFIX = "SYNERGY_"
# SYNERGY_* names that are not settings, so never reported as unknown: read
# directly by the code that needs them, or (any SYNERGY_TEST_* name) by the
# test harness.
NOT_SETTINGS = frozenset({"SYNERGY_CONFIG_FILE", "SYNERGY_CREATEUSER_PASSWORD"})
HARNESS_PREFIX = "SYNERGY_TEST_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def _parse_list(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple)):
        return [str(item).strip() for item in raw if str(item).strip()]
    return [item.strip() for item in str(raw).split(",") if item.strip()]


def _parse_str(raw: Any) -> str:
    if isinstance(raw, (list, dict, tuple)):
        raise ValueError(f"got {type(raw).__name__} {raw!r}")
    return str(raw)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "str": _parse_str,
    "int": lambda raw: int(str(raw).strip()),
    "float": lambda raw: float(str(raw).strip()),
    "bool": _parse_bool,
    "list": _parse_list,
}
_EXPECTED = {"str": "a string", "int": "an integer", "float": "a number",
             "bool": "true or false", "list": "a comma-separated list"}


@dataclass(frozen=True)
class UnknownName:
    """A ``SYNERGY_*`` name given somewhere that no setting declares."""

    name: str
    source: str
    suggestion: str | None

    def __str__(self) -> str:
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"{self.name} (from {self.source}) is not a setting{hint}"


@dataclass(frozen=True)
class Setting:
    """Declaration of one setting.

    ``type`` is one of ``str``, ``int``, ``float``, ``bool`` or ``list`` (comma
    separated in the environment, an array in TOML). ``secret`` masks the value
    in ``synergy config`` and logs. ``choices`` restricts a ``str`` setting.
    """

    name: str
    type: str = "str"
    default: Any = None
    help: str = ""
    secret: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def __post_init__(self) -> None:
        if not self.name.startswith(PREFIX) or self.name != self.name.upper():
            raise ConfigurationError(
                f"setting {self.name!r} must be upper case and start with {PREFIX!r}"
            )
        if self.type not in _PARSERS:
            raise ConfigurationError(f"setting {self.name}: unknown type {self.type!r}")

    @property
    def attribute(self) -> str:
        return self.name[len(PREFIX):].lower()

    def parse(self, raw: Any) -> Any:
        try:
            value = _PARSERS[self.type](raw)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"{self.name}: {exc}; expected {_EXPECTED[self.type]}") from None
        if self.choices and value not in self.choices:
            raise ConfigurationError(
                f"{self.name}={value!r} is not allowed; choose one of {', '.join(self.choices)}"
            )
        if self.minimum is not None and value < self.minimum:
            raise ConfigurationError(f"{self.name} must be at least {self.minimum}, got {value}")
        return value


KERNEL_SETTINGS: tuple[Setting, ...] = (
    Setting("SYNERGY_ENV", default="development", choices=("development", "production"),
            help="development (generated secret, SQLite allowed) or production (strict checks)."),
    Setting("SYNERGY_DATA_DIR", default="./synergy-data",
            help="Folder for the SQLite database, queue, uploads, mail outbox and dev secret."),
    Setting("SYNERGY_DATABASE_URL", default="",
            help="sqlite:///path.db or postgresql://user:pass@host:5432/db. "
                 "Empty: SQLite file in the data directory."),
    Setting("SYNERGY_DATABASE_POOL_SIZE", type="int", default=10, minimum=1,
            help="Maximum PostgreSQL connections per process."),
    Setting("SYNERGY_DATABASE_SERVER_PREPARE", type="bool", default=True,
            help="Prepare the hot queries on the PostgreSQL server (planned once per "
                 "connection). Turn off behind PgBouncer in transaction mode."),
    Setting("SYNERGY_REDIS_URL", default="",
            help="redis://host:6379/0. When set the job queue runs on Redis instead of SQLite."),
    Setting("SYNERGY_QUEUE_NAME", default="synergy",
            help="Name of the job queue (Redis key prefix); lets installations share a Redis."),
    Setting("SYNERGY_QUEUE_IMMEDIATE", type="bool", default=False,
            help="Run background jobs inline in the calling process (tests and debugging)."),
    Setting("SYNERGY_SECRET_KEY", default="", secret=True,
            help="Signs tokens. Development: generated once into the data directory. "
                 "Production: required, at least 32 characters."),
    Setting("SYNERGY_ACCESS_TOKEN_MINUTES", type="int", default=60, minimum=1,
            help="Lifetime of access tokens."),
    Setting("SYNERGY_REFRESH_TOKEN_MINUTES", type="int", default=1440, minimum=1,
            help="Lifetime of a login session's refresh token (rotated on every use)."),
    Setting("SYNERGY_PASSWORD_RESET_MINUTES", type="int", default=60, minimum=1,
            help="How long a password-reset token stays valid."),
    Setting("SYNERGY_PASSWORD_HASHING", default="owasp", choices=("owasp", "fast"),
            help="argon2id cost: owasp (m=19 MiB, t=2, p=1). 'fast' is for test suites only "
                 "and refused in production."),
    Setting("SYNERGY_PUBLIC_URL", default="http://localhost:8000",
            help="Base URL users reach; used in links sent by e-mail."),
    Setting("SYNERGY_CORS_ORIGINS", type="list", default=[],
            help="Origins allowed to call the API from a browser (comma list). Empty: none."),
    Setting("SYNERGY_SMTP_URL", default="", secret=True,
            help="smtp://user:pass@host:port (smtps:// for TLS, ?starttls=1). "
                 "Empty: mail is written as .eml files to the outbox folder."),
    Setting("SYNERGY_MAIL_FROM", default="SynergyOS <noreply@localhost>",
            help="Sender address of outgoing mail."),
    Setting("SYNERGY_MAX_UPLOAD_MB", type="int", default=50, minimum=1,
            help="Largest attachment accepted, in megabytes."),
    Setting("SYNERGY_MAX_JSON_KB", type="int", default=1024, minimum=1,
            help="Largest JSON request body accepted, in kilobytes."),
    Setting("SYNERGY_REQUEST_TIMEOUT", type="float", default=10.0, minimum=1,
            help="Seconds a client of `synergy serve` has to send its request (plus one per "
                 "64 KiB of body; else 408) and to take each piece of the answer."),
    Setting("SYNERGY_DISABLED_PLUGINS", type="list", default=[],
            help="Plugin names not to load (comma list)."),
    Setting("SYNERGY_STRICT_PLUGINS", type="bool", default=False,
            help="Fail start-up when a plugin cannot be loaded instead of skipping it."),
    Setting("SYNERGY_STRICT_SETTINGS", type="bool", default=False,
            help="Fail start-up on a SYNERGY_* name that no setting declares (a misspelling) "
                 "instead of logging a warning. Always on in production."),
    Setting("SYNERGY_TRUSTED_PROXIES", type="list", default=[],
            help="Addresses/networks whose X-Forwarded-For header is believed (comma list)."),
    Setting("SYNERGY_ALLOW_SQLITE_IN_PRODUCTION", type="bool", default=False,
            help="Let production mode run on SQLite (single machine deployments)."),
    Setting("SYNERGY_LOG_LEVEL", default="INFO",
            choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="Log level."),
    Setting("SYNERGY_ALLOWED_UPLOAD_TYPES", type="list",
            default=["jpg", "png", "gif", "webp", "pdf", "txt", "csv", "doc", "docx", "xls",
                     "xlsx", "ppt", "pptx", "zip", "tar", "gz"],
            help="Attachment kinds accepted, detected from the content (comma list). "
                 "Also possible: svg, html (stored-XSS risk; off by default)."),
)

_WEAK_SECRETS = {"changeme", "secret", "dev", "development", "insecure", "password"}


class Settings:
    """The effective, typed configuration of one app.

    Values are reachable as attributes (``settings.database_url``) or by full
    name (``settings["SYNERGY_DATABASE_URL"]``). Plugin declarations are added
    with :meth:`declare` once plugins are loaded.
    """

    def __init__(
        self,
        overrides: Mapping[str, Any] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._overrides = {key.upper(): value for key, value in (overrides or {}).items()}
        path = config_file or self._overrides.get("SYNERGY_CONFIG_FILE") or self._environ.get(
            "SYNERGY_CONFIG_FILE"
        )
        self._file_values = _read_toml(Path(path)) if path else {}
        self.config_file = str(path) if path else None
        self._declarations: dict[str, Setting] = {}
        self._values: dict[str, Any] = {}
        self._owners: dict[str, str] = {}
        self.declare(KERNEL_SETTINGS, owner="kernel")

    def declare(self, declarations: Iterable[Setting], owner: str) -> None:
        for decl in declarations:
            existing = self._declarations.get(decl.name)
            if existing is not None and existing != decl:
                raise ConfigurationError(f"{owner} re-declares setting {decl.name} differently")
            self._declarations[decl.name] = decl
            self._values[decl.name] = self._resolve(decl)
            self._owners[decl.name] = owner

    def unknown_names(self, ignored_prefixes: Iterable[str] = ()) -> list[UnknownName]:
        """Names given in overrides, the environment or the TOML file that nothing declares.

        Meaningful only after every plugin declared its settings. Names under
        ``ignored_prefixes`` (those of disabled plugins) are not reported.
        """
        skip = (HARNESS_PREFIX, *ignored_prefixes)
        file_label = f"config file {self.config_file}"
        found: dict[str, str] = {}
        for source, names in (("overrides", self._overrides), ("environment", self._environ),
                              (file_label, self._file_values)):
            for name in names:
                if (name.startswith(PREFIX) and name not in self._declarations
                        and name not in NOT_SETTINGS and not name.startswith(skip)):
                    found.setdefault(name, source)
        return [UnknownName(name, source, self._closest(name)) for name, source in found.items()]

    def _closest(self, name: str) -> str | None:
        """The declared name nearest to a misspelt one, compared without the common prefix."""
        known = {declared[len(PREFIX):]: declared for declared in self._declarations}
        match = difflib.get_close_matches(name[len(PREFIX):], list(known), n=1, cutoff=0.6)
        return known[match[0]] if match else None

    def check_names(self, ignored_prefixes: Iterable[str] = ()) -> list[UnknownName]:
        """Report unknown ``SYNERGY_*`` names: an error if strict or in production, else a warning.

        A warning, not silence, in development: the installation still starts,
        but the log says which name was ignored and what was probably meant.
        """
        unknown = self.unknown_names(ignored_prefixes)
        if not unknown:
            return unknown
        listing = "\n  - ".join(str(item) for item in unknown)
        if self.strict_settings or self.is_production:
            raise ConfigurationError(f"unknown settings:\n  - {listing}")
        log.warning("unknown settings, ignored (SYNERGY_STRICT_SETTINGS=true makes this "
                    "an error):\n  - %s", listing)
        return unknown

    def _resolve(self, decl: Setting) -> Any:
        for source in (self._overrides, self._environ, self._file_values):
            if decl.name in source:
                return decl.parse(source[decl.name])
        default = decl.default
        return list(default) if isinstance(default, list) else default

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise KeyError(
                f"setting {name} is not declared by the kernel or a loaded plugin") from None

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        name = PREFIX + attribute.upper()
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no setting {name}") from None

    def declarations(self) -> list[tuple[Setting, str]]:
        return [(decl, self._owners[name]) for name, decl in self._declarations.items()]

    def masked(self) -> dict[str, Any]:
        """Effective values with secrets hidden, for ``synergy config`` and logs."""
        shown = {}
        for name, decl in self._declarations.items():
            value = self._values[name]
            shown[name] = "********" if decl.secret and value else value
        return shown

    def with_overrides(self, **overrides: Any) -> Settings:
        merged = {**self._overrides, **{k.upper(): v for k, v in overrides.items()}}
        return Settings(merged, environ=self._environ, config_file=self.config_file)

    # Derived values -----------------------------------------------------------------

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def uploads_path(self) -> Path:
        return self.data_path / "uploads"

    @property
    def outbox_path(self) -> Path:
        return self.data_path / "outbox"

    def prepare_data_dir(self) -> None:
        """Create the data directory layout: database and queue files land beside these."""
        for folder in (self.data_path, self.uploads_path, self.outbox_path):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'synergy.db'}"

    def secret(self) -> str:
        """The signing secret; in development a generated one persisted in the data dir."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_path / "secret_key"
        self.data_path.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            # Written by an earlier start, or by a process starting at the same time.
            return self._read_key_file(key_file)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    @staticmethod
    def _read_key_file(key_file: Path) -> str:
        for _ in range(50):
            key = key_file.read_text().strip()
            if key:
                return key
            time.sleep(0.01)  # the creating process has not written it yet
        raise ConfigurationError(f"{key_file} is empty: delete it to generate a new key, "
                                 "or set SYNERGY_SECRET_KEY")

    def check_production(self) -> None:
        """Refuse unsafe production configurations, naming the setting to fix."""
        if not self.is_production:
            return
        problems = []
        key = self.secret_key
        if not key:
            problems.append("SYNERGY_SECRET_KEY is not set: set it to at least 32 random "
                            "characters, e.g. python -c 'import secrets;print(secrets."
                            "token_urlsafe(48))'")
        elif len(key) < 32 or key.lower() in _WEAK_SECRETS or len(set(key)) < 8:
            problems.append("SYNERGY_SECRET_KEY is too weak: use at least 32 random characters")
        if self.effective_database_url.startswith("sqlite") and not self.allow_sqlite_in_production:
            problems.append("SYNERGY_DATABASE_URL points at SQLite: set a postgresql:// URL, or "
                            "SYNERGY_ALLOW_SQLITE_IN_PRODUCTION=true for a single-machine install")
        if self.password_hashing != "owasp":
            problems.append("SYNERGY_PASSWORD_HASHING=fast is for test suites only: unset it")
        if problems:
            raise ConfigurationError("refusing to start in production:\n  - "
                                     + "\n  - ".join(problems))


def _read_toml(path: Path) -> dict[str, Any]:
    """Flatten ``key = v`` and ``[plugin] key = v`` into SYNERGY_* names."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from None
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{PREFIX}{key}_{sub}".upper()] = subvalue
        else:
            name = key.upper()
            flat[name if name.startswith(PREFIX) else PREFIX + name] = value
    return flat
