"""How a VEO write sends its payload to D1: hex text stored with `unhex()` (a string crosses the
Worker's D1 client in one copy; a bound BLOB becomes a JS array of numbers, then JSON), BLOB-bound
only past half of a D1 string's limit. Either way the same bytes are stored."""

from __future__ import annotations

import json

from edgejobs.core import codec
from edgejobs.veo import sql as veo_sql
from edgejobs.veo.model import Precondition, extract_metadata
from tests.support.client import InProcessClient
from tests.support.fake_d1 import FakeD1


def test_the_payload_crosses_as_hex_text_up_to_half_a_d1_string_then_as_a_blob() -> None:
    meta = extract_metadata({})
    for size, sql, kind in (
        (veo_sql.MAX_HEX_PAYLOAD_BYTES, veo_sql.WRITE_PAYLOAD_HEX_SQL, str),
        (veo_sql.MAX_HEX_PAYLOAD_BYTES + 1, veo_sql.WRITE_PAYLOAD_SQL, bytes),
    ):
        payload = codec.EncodedPayload(
            b"{}", bytes(range(256)) * (size // 256) + b"\x00" * (size % 256), '"e"'
        )
        _, data = veo_sql.write_statements("j1", meta, payload, Precondition(), 1, 2)
        assert data.sql == sql and isinstance(data.params[1], kind)
        sent = data.params[1]
        assert (bytes.fromhex(sent) if isinstance(sent, str) else sent) == payload.stored


async def test_the_stored_blob_is_the_gzip_of_the_canonical_json() -> None:
    fake = FakeD1.migrated()
    client = InProcessClient(fake)
    job = {"jobId": "veo_hex_1", "status": "completed", "scenes": [{"prompt": "é ✓"}] * 30}
    response = await client.request("PUT", "/api/veo/jobs/veo_hex_1", body=job)
    assert response.status == 201
    expected = codec.encode_payload_sync(job)
    (stored,) = fake.conn.execute("SELECT data FROM veo_job_data WHERE job_id = 'veo_hex_1'").fetchone()
    assert stored == expected.stored
    assert json.loads(response.body)["stored_bytes"] == expected.stored_bytes
