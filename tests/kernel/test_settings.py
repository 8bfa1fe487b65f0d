"""Settings: precedence, typed parsing, plugin declarations, data directory, production checks."""

from __future__ import annotations

import logging
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from synergy import create_app
from synergy.app import Kernel
from synergy.errors import ConfigurationError
from synergy.settings import Settings
from tests.conftest import PASSWORD, Api
from tests.kernel import worker_plugin

STRONG_SECRET = "k3Jx9-qPz2_LmW8vRt5YbN1cHd7FgS4eUa6Zo0"


def test_precedence_is_overrides_then_environment_then_toml_then_default(tmp_path: Path) -> None:
    config = tmp_path / "synergy.toml"
    config.write_text('access_token_minutes = 10\nSYNERGY_REFRESH_TOKEN_MINUTES = 77\n'
                      'cors_origins = ["https://a.example", "https://b.example"]\n'
                      '[kernel_probe]\ngreeting = "from toml"\n')
    environ = {"SYNERGY_ACCESS_TOKEN_MINUTES": "20", "SYNERGY_CONFIG_FILE": str(config)}

    assert Settings({"SYNERGY_ACCESS_TOKEN_MINUTES": 30}, environ=environ) \
        .access_token_minutes == 30
    from_env = Settings(environ=environ)
    assert from_env.access_token_minutes == 20
    assert from_env.refresh_token_minutes == 77
    assert from_env.cors_origins == ["https://a.example", "https://b.example"]
    assert Settings(environ={}, config_file=config).access_token_minutes == 10
    assert Settings(environ={}).access_token_minutes == 60

    from_env.declare(worker_plugin.synergy_settings(), owner="kernel_probe")
    assert from_env.kernel_probe_greeting == "from toml"
    assert from_env["SYNERGY_KERNEL_PROBE_RETRIES"] == 3


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("SYNERGY_ACCESS_TOKEN_MINUTES", "soon", "an integer"),
    ("SYNERGY_ACCESS_TOKEN_MINUTES", "0", "at least 1"),
    ("SYNERGY_STRICT_PLUGINS", "maybe", "true or false"),
    ("SYNERGY_ENV", "staging", "development, production"),
    ("SYNERGY_DATABASE_URL", ["not", "a", "string"], "a string"),
])
def test_a_bad_value_names_the_setting(name: str, raw: object, expected: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings({name: raw}, environ={})
    assert name in str(caught.value)
    assert expected in str(caught.value)


def test_comma_lists_and_booleans_parse_from_the_environment() -> None:
    settings = Settings(environ={"SYNERGY_TRUSTED_PROXIES": " 10.0.0.0/8, ,127.0.0.1 ",
                                 "SYNERGY_STRICT_PLUGINS": "Yes",
                                 "SYNERGY_DISABLED_PLUGINS": "webhooks,security"})
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    assert settings.strict_plugins is True
    assert settings.disabled_plugins == ["webhooks", "security"]


def test_a_broken_or_missing_toml_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("access_token_minutes = = 3")
    with pytest.raises(ConfigurationError, match="broken.toml is not valid TOML"):
        Settings(environ={"SYNERGY_CONFIG_FILE": str(broken)})
    with pytest.raises(ConfigurationError, match="missing.toml does not exist"):
        Settings(environ={}, config_file=tmp_path / "missing.toml")


def test_plugin_settings_are_declared_by_hook_and_typed(make_app) -> None:
    kernel = make_app([worker_plugin], SYNERGY_KERNEL_PROBE_GREETING="bonjour",
                      SYNERGY_KERNEL_PROBE_RETRIES="5")
    assert kernel.settings.kernel_probe_greeting == "bonjour"
    assert kernel.settings.kernel_probe_retries == 5
    owners = {decl.name: owner for decl, owner in kernel.settings.declarations()}
    assert owners["SYNERGY_KERNEL_PROBE_GREETING"] == "kernel_probe"
    assert owners["SYNERGY_SECRET_KEY"] == "kernel"
    with pytest.raises(ConfigurationError, match="SYNERGY_KERNEL_PROBE_RETRIES"):
        make_app([worker_plugin], SYNERGY_KERNEL_PROBE_RETRIES="several")


def test_development_data_directory_layout_and_persistent_secret(make_app,
                                                                 tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = make_app(SYNERGY_DATABASE_URL="", SYNERGY_QUEUE_IMMEDIATE=False)
    ada = Api(first).as_new_user("ada")
    assert {path.name for path in data.iterdir()} >= {
        "synergy.db", "queue.db", "uploads", "outbox", "secret_key"}
    assert (data / "uploads").is_dir() and (data / "outbox").is_dir()
    key_file = data / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text()) >= 32
    assert first.settings.effective_database_url == f"sqlite:///{data / 'synergy.db'}"
    first.close()

    restarted = make_app(SYNERGY_DATABASE_URL="", SYNERGY_QUEUE_IMMEDIATE=False)
    assert restarted.settings.secret() == key_file.read_text()
    # A token signed before the restart is still valid after it.
    again = Api(restarted, ada.token).get("/api/auth/user/")
    assert again.status_code == 200, again.text
    assert again.json["username"] == "ada"


def test_an_explicit_secret_key_is_used_and_nothing_is_generated(make_app,
                                                                 tmp_path: Path) -> None:
    kernel = make_app(SYNERGY_SECRET_KEY=STRONG_SECRET)
    assert kernel.auth.tokens.secret == STRONG_SECRET
    assert not (tmp_path / "data" / "secret_key").exists()


def _production(tmp_path: Path, **values: object) -> Settings:
    base = {"SYNERGY_ENV": "production", "SYNERGY_DATA_DIR": str(tmp_path / "prod"),
            "SYNERGY_SECRET_KEY": STRONG_SECRET,
            "SYNERGY_DATABASE_URL": "postgresql://synergy@127.0.0.1:5432/synergy"}
    base.update(values)
    return Settings({k: v for k, v in base.items() if v is not None}, environ={})


@pytest.mark.parametrize(("values", "named"), [
    ({"SYNERGY_SECRET_KEY": None}, "SYNERGY_SECRET_KEY is not set"),
    ({"SYNERGY_SECRET_KEY": "changeme"}, "SYNERGY_SECRET_KEY is too weak"),
    ({"SYNERGY_SECRET_KEY": "ab" * 20}, "SYNERGY_SECRET_KEY is too weak"),
    ({"SYNERGY_DATABASE_URL": None}, "SYNERGY_ALLOW_SQLITE_IN_PRODUCTION=true"),
    ({"SYNERGY_DATABASE_URL": "sqlite:///tmp/x.db"}, "set a postgresql:// URL"),
    ({"SYNERGY_PASSWORD_HASHING": "fast"}, "SYNERGY_PASSWORD_HASHING=fast"),
])
def test_production_refuses_unsafe_configuration(tmp_path: Path, values: dict[str, object],
                                                 named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_app(_production(tmp_path, **values), plugins=[], load_entrypoints=False)
    assert "refusing to start in production" in str(caught.value)
    assert named in str(caught.value)
    assert not (tmp_path / "prod" / "secret_key").exists()


def test_production_reports_every_problem_at_once(tmp_path: Path) -> None:
    settings = _production(tmp_path, SYNERGY_SECRET_KEY=None, SYNERGY_DATABASE_URL=None,
                           SYNERGY_PASSWORD_HASHING="fast")
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings, plugins=[], load_entrypoints=False)
    message = str(caught.value)
    assert message.count("\n  - ") == 3


def test_production_on_sqlite_starts_when_explicitly_allowed(tmp_path: Path) -> None:
    settings = _production(tmp_path, SYNERGY_DATABASE_URL=None,
                           SYNERGY_ALLOW_SQLITE_IN_PRODUCTION="true")
    kernel = create_app(settings, plugins=[], load_entrypoints=False)
    try:
        with kernel.connection():
            kernel.migrate()
        api = Api(kernel)
        registered = api.post("/api/auth/register/", {
            "username": "ada", "email": "ada@example.com", "password": PASSWORD})
        assert registered.status_code == 201, registered.text
        # Production cookies are Secure.
        assert registered.cookies["synergy_refresh_token"].secure
    finally:
        kernel.close()


def test_processes_starting_together_agree_on_the_generated_secret(tmp_path: Path) -> None:
    def start(_: int) -> str:
        return Settings({"SYNERGY_DATA_DIR": str(tmp_path / "shared")}, environ={}).secret()

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(start, range(16)))
    assert len(keys) == 1
    assert keys == {(tmp_path / "shared" / "secret_key").read_text()}


def _built(settings: Settings, plugins: list[object] | None = None) -> Kernel:
    kernel = create_app(settings, plugins=plugins or [], load_entrypoints=False)
    kernel.close()
    return kernel


def test_a_misspelt_environment_name_is_a_warning_naming_the_setting_meant(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    environ = {"SYNERGY_DATA_DIR": str(tmp_path / "data"), "SYNERGY_ACCESS_TOKEN_MINUTE": "5",
               "SYNERGY_CONFIG_FILE_MISSING_LETTERS_ZZZZ": "1"}
    with caplog.at_level(logging.WARNING, logger="synergy.settings"):
        kernel = _built(Settings(environ=environ))
    [warning] = [record.getMessage() for record in caplog.records]
    assert ("SYNERGY_ACCESS_TOKEN_MINUTE (from environment) is not a setting; "
            "did you mean SYNERGY_ACCESS_TOKEN_MINUTES?") in warning
    assert "SYNERGY_CONFIG_FILE_MISSING_LETTERS_ZZZZ (from environment)" in warning
    assert [str(item) for item in kernel.unknown_settings][0].startswith(
        "SYNERGY_ACCESS_TOKEN_MINUTE ")


@pytest.mark.parametrize("mode", [{"SYNERGY_STRICT_SETTINGS": "true"},
                                  {"SYNERGY_ENV": "production",
                                   "SYNERGY_SECRET_KEY": STRONG_SECRET,
                                   "SYNERGY_ALLOW_SQLITE_IN_PRODUCTION": "true"}])
def test_unknown_names_stop_start_up_in_strict_mode_and_production(
        tmp_path: Path, mode: dict[str, str]) -> None:
    environ = {"SYNERGY_DATA_DIR": str(tmp_path / "data"), "SYNERGY_SECRETKEY": "x", **mode}
    with pytest.raises(ConfigurationError) as caught:
        _built(Settings(environ=environ))
    assert "SYNERGY_SECRETKEY (from environment) is not a setting; did you mean " \
           "SYNERGY_SECRET_KEY?" in str(caught.value)


def test_plugin_names_in_the_toml_file_are_checked_after_plugins_declare_theirs(
        tmp_path: Path) -> None:
    config = tmp_path / "synergy.toml"
    config.write_text('[kernel_probe]\ngreeting = "hi"\nretires = 4\n')
    environ = {"SYNERGY_DATA_DIR": str(tmp_path / "data"), "SYNERGY_STRICT_SETTINGS": "true"}
    with pytest.raises(ConfigurationError) as caught:
        _built(Settings(environ=environ, config_file=config), [worker_plugin])
    assert str(caught.value) == (
        "unknown settings:\n  - SYNERGY_KERNEL_PROBE_RETIRES (from config file "
        f"{config}) is not a setting; did you mean SYNERGY_KERNEL_PROBE_RETRIES?")


def test_harness_names_and_disabled_plugins_settings_are_not_unknown(tmp_path: Path) -> None:
    environ = {"SYNERGY_DATA_DIR": str(tmp_path / "data"), "SYNERGY_STRICT_SETTINGS": "true",
               "SYNERGY_TEST_DATABASE_URL": "postgresql://elsewhere/test",
               "SYNERGY_CREATEUSER_PASSWORD": PASSWORD, "SYNERGY_CONFIG_FILE": "",
               "SYNERGY_DISABLED_PLUGINS": "kernel_probe",
               "SYNERGY_KERNEL_PROBE_GREETING": "kept for when it is enabled again"}
    assert _built(Settings(environ=environ), [worker_plugin]).unknown_settings == []


def test_a_misspelt_test_override_fails_the_test(make_app) -> None:
    misspelt = "SYNERGY_QUEUE_IMEDIATE .*did you mean SYNERGY_QUEUE_IMMEDIATE"
    with pytest.raises(ConfigurationError, match=misspelt):
        make_app(SYNERGY_QUEUE_IMEDIATE=True)
