"""The videos' settings: the models (`VIDEO_MODELS`, JSON) and the monthly quotas."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..core.config import Setting

PROVIDERS = ("replicate", "runpod", "none")
MAX_MODEL_SECONDS = 3600


class VideoModel(NamedTuple):
    """One entry of `VIDEO_MODELS`."""

    cents_per_second: int
    max_seconds: int
    provider: str | None  # None: no provider (`"none"`), status moves by PATCH only
    provider_model: str | None


DEFAULT_MODELS = {
    "sora-2": VideoModel(10, 20, None, None),
    "sora-2-pro": VideoModel(20, 20, None, None),
    "veo-3": VideoModel(40, 8, None, None),
}


def _whole(entry: dict[str, Any], key: str, name: str, env_name: str, minimum: int, maximum: int) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValueError(f"var {env_name}: {name}.{key} must be an integer in {minimum}..{maximum}")
    return value


def video_models(text: str, env_name: str) -> dict[str, VideoModel]:
    """`{"<model>": {"cents_per_second", "max_seconds", "provider", "provider_model"?}}`."""
    try:
        parsed = json.loads(text)
    except ValueError:
        raise ValueError(f"var {env_name} must be a JSON object of models") from None
    if not isinstance(parsed, dict) or not parsed:
        raise ValueError(f"var {env_name} must be a non-empty JSON object of models")
    models: dict[str, VideoModel] = {}
    for name, entry in parsed.items():
        if not (1 <= len(name) <= 64) or not name.isascii() or not name.isprintable() or " " in name:
            raise ValueError(f"var {env_name}: model names are 1-64 visible ASCII characters")
        if not isinstance(entry, dict) or set(entry) - {
            "cents_per_second", "max_seconds", "provider", "provider_model"
        }:  # fmt: skip
            raise ValueError(
                f"var {env_name}: {name} must be an object of cents_per_second, max_seconds, "
                "provider and provider_model"
            )
        provider = entry.get("provider", "none")
        if provider not in PROVIDERS:
            raise ValueError(f"var {env_name}: {name}.provider must be one of {', '.join(PROVIDERS)}")
        provider_model = entry.get("provider_model")
        if provider_model is not None and not isinstance(provider_model, str):
            raise ValueError(f"var {env_name}: {name}.provider_model must be a string")
        models[name] = VideoModel(
            _whole(entry, "cents_per_second", name, env_name, 0, 1_000_000),
            _whole(entry, "max_seconds", name, env_name, 1, MAX_MODEL_SECONDS),
            None if provider == "none" else provider,
            provider_model,
        )
    return models


SETTINGS = (
    # videos
    Setting("video_models", DEFAULT_MODELS, video_models),
    Setting("quota_videos_per_month", 100),
    Setting("quota_cents_per_month", 0),  # 0: no spend limit
)
