"""The largest integers the API accepts (±(2^53 − 1), "safe integers") bind to D1.

Found by the load test: Pyodide hands an int to JS as a Number only when it is
strictly inside ±Number.MAX_SAFE_INTEGER (`Jsv_BigIntToNum`), so 2^53 − 1 itself crossed as
a BigInt, which D1 refuses (`D1_TYPE_ERROR: Type 'bigint' not supported`): a 500 for a
value the schema allows.
"""

from __future__ import annotations

import secrets

import httpx

from tests.support.factories import export_job_body

EDGE = 2**53 - 1


def test_a_veo_job_with_the_largest_count_is_stored(client: httpx.Client) -> None:
    job_id = f"edge-{secrets.token_hex(6)}"
    body = {"status": "completed", "sceneCount": EDGE, "charactersFound": EDGE}
    response = client.put(f"/api/veo/jobs/{job_id}", json=body)
    assert response.status_code == 201, response.text
    assert (response.json()["scene_count"], response.json()["characters_found"]) == (EDGE, EDGE)
    assert client.get(f"/api/veo/jobs/{job_id}").json() == body
    listed = client.get("/api/veo/jobs", params={"status": "completed", "limit": 200}).json()["items"]
    assert [j["scene_count"] for j in listed if j["job_id"] == job_id] == [EDGE]
    assert client.delete(f"/api/veo/jobs/{job_id}").status_code == 204


def test_an_export_job_of_the_largest_project_id_is_created_and_found(client: httpx.Client) -> None:
    response = client.post("/api/export-jobs", json=export_job_body(project_id=EDGE, type="annotate"))
    assert response.status_code == 201, response.text
    job = response.json()
    try:
        assert job["project_id"] == EDGE
        listed = client.get("/api/export-jobs", params={"project_id": str(EDGE), "status": "pending"})
        assert listed.status_code == 200, listed.text
        assert job["id"] in [j["id"] for j in listed.json()["items"]]
    finally:
        assert client.post(f"/api/export-jobs/{job['id']}/cancel").status_code == 200
