import pytest

import edgejobs.exports
import edgejobs.veo  # noqa: F401
from edgejobs.core import config
from edgejobs.core.config import Config, Setting, config_from_json, declare


def test_defaults_when_nothing_is_set() -> None:
    config = Config.from_env(lambda name: None)
    assert config.api_token == ""
    assert config.veo_ttl_completed_seconds == 7 * 86400
    assert config.export_retry_cap_seconds == 3600


def test_vars_are_parsed() -> None:
    env = {"CORS_ORIGINS": "https://a.example, https://b.example/", "EXPORT_RETRY_BASE_SECONDS": "5"}
    config = Config.from_env(env.get)
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.export_retry_base_seconds == 5


@pytest.mark.parametrize("raw", ["ten", "-1", "1.5"])
def test_bad_var_fails_loudly(raw: str) -> None:
    with pytest.raises(ValueError, match="EXPORT_RETRY_BASE_SECONDS"):
        Config.from_env({"EXPORT_RETRY_BASE_SECONDS": raw}.get)


def test_settings_text_is_parsed_once_while_it_stays_the_same() -> None:
    text = '{"API_TOKEN": "t", "EXPORT_RETRY_BASE_SECONDS": "5"}'
    first = config_from_json(text)
    assert (first.api_token, first.export_retry_base_seconds) == ("t", 5)
    assert config_from_json(text) is first
    changed = config_from_json('{"API_TOKEN": "t", "EXPORT_RETRY_BASE_SECONDS": "6"}')
    assert changed.export_retry_base_seconds == 6
    assert config_from_json(text) is not first  # parsed again, with the same result
    assert config_from_json(text).export_retry_base_seconds == 5


def test_a_bad_settings_text_fails_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="MAX_BODY_BYTES"):
            config_from_json('{"MAX_BODY_BYTES": "lots"}')


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, Setting]:
    """The declared settings, restored after the test (declarations here stay here)."""
    copy = dict(config.SETTINGS)
    monkeypatch.setattr(config, "SETTINGS", copy)
    return copy


def test_the_same_declaration_twice_is_fine_another_one_is_refused(settings: dict[str, Setting]) -> None:
    declare([Setting("config_test_limit", 5)])
    declare([Setting("config_test_limit", 5)])
    with pytest.raises(ValueError, match="'config_test_limit' is declared twice, differently"):
        declare([Setting("config_test_limit", 6)])
    with pytest.raises(ValueError, match="declared twice"):
        declare([Setting("config_test_limit", 5, None)])  # same default, another parser
    assert settings["config_test_limit"] == Setting("config_test_limit", 5)


def test_an_undeclared_setting_is_an_error(settings: dict[str, Setting]) -> None:
    with pytest.raises(TypeError, match="no setting 'config_test_nope'"):
        Config(config_test_nope=1)
    with pytest.raises(AttributeError, match="no setting 'config_test_nope'"):
        _ = Config().config_test_nope
    declare([Setting("config_test_nope", 1)])
    assert Config(config_test_nope=2).config_test_nope == 2


def test_config_is_read_only() -> None:
    with pytest.raises(AttributeError, match="read-only"):
        Config().api_token = "x"  # type: ignore[misc]


def test_secrets_keep_their_whitespace_other_vars_are_stripped() -> None:
    loaded = Config.from_env(
        {"API_TOKEN": " t ", "EXPORT_RETRY_BASE_SECONDS": " 5 ", "MAX_BODY_BYTES": ""}.get
    )
    assert loaded.api_token == " t "
    assert loaded.export_retry_base_seconds == 5
    assert loaded.max_body_bytes == Config().max_body_bytes  # empty: the default
