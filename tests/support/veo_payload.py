"""A realistic VEO job payload, as the frontend stores it (script, characters, per-scene
prompts, camera and audio notes, generation results): deterministic for a given seed."""

from __future__ import annotations

import random
from typing import Any

_VOCABULARY = (
    "the a of and in with on at to from over under through while as slowly quickly gently "
    "camera pans tilts dolly zoom tracking shot close-up wide establishing medium aerial drone "
    "handheld static cinematic golden hour dusk dawn night neon rain fog mist sunlight shadows "
    "warm cool teal orange soft hard rim backlight silhouette reflection lens flare bokeh "
    "depth field shallow deep 35mm 50mm anamorphic film grain vintage modern futuristic city "
    "street alley rooftop forest river mountain desert ocean beach kitchen office classroom "
    "market train station car window door staircase bridge garden field village castle lab "
    "woman man child girl boy old young detective scientist chef pilot dancer musician robot "
    "dog cat bird horse dragon crowd stranger friend mother father teacher soldier hero villain "
    "walks runs turns looks smiles laughs cries whispers shouts points holds opens closes "
    "reaches falls jumps sits stands waits watches listens remembers discovers hides escapes "
    "red blue green yellow black white silver golden crimson pale bright dark glowing faded "
    "coat jacket dress hat scarf glasses boots gloves backpack umbrella lantern letter phone "
    "map key book cup sword guitar camera photograph clock candle flower mirror suitcase "
    "tense calm joyful melancholic mysterious hopeful eerie playful dramatic nostalgic serene "
    "she he they her his their it its this that these those there here then now again still"
)
_WORDS = tuple(_VOCABULARY.split())
_STATUSES = ("completed", "completed", "completed", "completed", "failed")
_MOODS = ("tense", "calm", "joyful", "melancholic", "mysterious", "hopeful", "eerie", "dramatic")
_MOVES = ("static", "pan left", "pan right", "tilt up", "dolly in", "dolly out", "tracking", "crane up")


def _sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    # Zipf-like: common words far more often than rare ones, as in real prose.
    count = rng.randint(low, high)
    words = [_WORDS[min(int(rng.paretovariate(1.1)) - 1, len(_WORDS) - 1)] for _ in range(count)]
    words = [w if rng.random() < 0.6 else rng.choice(_WORDS) for w in words]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def realistic_veo_job(scenes: int = 200, seed: int = 7) -> dict[str, Any]:
    """A VEO job as the frontend stores it, deterministic for a given seed."""
    rng = random.Random(seed)
    started = 1_767_225_600_000
    characters = [
        {
            "id": f"char_{i}",
            "name": rng.choice(["Mara", "Jon", "Ava", "Leo", "Iris", "Theo", "Nia", "Kai"]) + f" {i}",
            "description": _paragraph(rng, 3),
            "appearance": _paragraph(rng, 2),
            "voice": rng.choice(["en-US-Neural2-F", "en-US-Neural2-D", "en-GB-News-K"]),
        }
        for i in range(8)
    ]
    scene_list = []
    clock = 0.0
    for n in range(1, scenes + 1):
        duration = rng.choice([4, 6, 8, 8, 8])
        status = rng.choice(_STATUSES)
        scene: dict[str, Any] = {
            "id": f"scene_{n:03d}",
            "sceneNumber": n,
            "startTime": round(clock, 2),
            "endTime": round(clock + duration, 2),
            "duration": duration,
            "description": _paragraph(rng, 2),
            "prompt": _paragraph(rng, 6),
            "negativePrompt": "blurry, low quality, distorted faces, watermark, text artifacts",
            "characters": rng.sample([c["id"] for c in characters], k=rng.randint(0, 3)),
            "camera": {"movement": rng.choice(_MOVES), "lens": rng.choice(["24mm", "35mm", "50mm", "85mm"])},
            "mood": rng.choice(_MOODS),
            "dialogue": _sentence(rng) if rng.random() < 0.5 else None,
            "narration": _paragraph(rng, 2),
            "status": status,
            "attempts": rng.randint(1, 3),
            "generatedAt": started + n * 41_000 + rng.randint(0, 9_999),
        }
        if status == "completed":
            scene["videoUrl"] = (
                f"https://storage.googleapis.com/veo-output/job-7/scene_{n:03d}_{rng.getrandbits(48):012x}.mp4"
            )
            scene["operationName"] = (
                f"projects/veo-demo/locations/us-central1/operations/{rng.getrandbits(64):016x}"
            )
        else:
            scene["error"] = {"code": 429, "message": "Quota exceeded for veo-3.0-generate; retry later."}
        scene_list.append(scene)
        clock += duration
    return {
        "jobId": "veo_1767225600000_k3x9",
        "status": "completed",
        "videoId": "dQw4w9WgXcQ",
        "videoUrl": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "mode": "hybrid",
        "voice": "en-US-Neural2-F",
        "script": "\n\n".join(_paragraph(rng, 5) for _ in range(40)),
        "characters": characters,
        "scenes": scene_list,
        "settings": {"aspectRatio": "16:9", "resolution": "1080p", "model": "veo-3.0-generate-001"},
        "createdAt": started,
        "updatedAt": started + scenes * 41_000,
    }
