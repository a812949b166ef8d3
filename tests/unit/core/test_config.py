import pytest

from edgejobs.core.config import Config, config_from_json


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
