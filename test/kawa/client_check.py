"""A Kawa-style client (requests only) driven against callscribe's /v1 API.

Written in the manner of the public Kawa reference client: Bearer auth, cursor listing, multipart
upload, polling until a terminal status, typed segments, deletion, and KawaError-style failures
that keep the HTTP status. Prints one JSON line with what it saw; exits non-zero on any mismatch.

    python3 client_check.py <api_url> <key> <audio_file>
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


class ApiError(RuntimeError):
    def __init__(self, status_code: int, body: Any):
        self.status_code = status_code
        self.body = body
        err = body.get("error") if isinstance(body, dict) else None
        super().__init__(str(err.get("message") if isinstance(err, dict) else f"HTTP {status_code}"))


@dataclass(frozen=True)
class Segment:
    text: str
    time_start: float
    time_end: float
    speaker_id: int
    speaker_alias: str


class Client:
    def __init__(self, key: str, api_url: str):
        self.key = key
        self.api_url = api_url.rstrip("/")
        self.session = requests.Session()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.api_url}{path}", headers={"Authorization": f"Bearer {self.key}"}, timeout=60, **kwargs
        )
        body = response.json() if response.content else {}
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def list(self, limit: int | None = None, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor:
            params["cursor"] = cursor
        body = self._request("GET", "/v1/transcriptions", params=params or None)
        return body.get("transcriptions") or [], body.get("next_cursor")

    def create(self, path: Path, language: str, metadata: dict[str, Any]) -> dict[str, Any]:
        with path.open("rb") as handle:
            return self._request(
                "POST",
                "/v1/transcriptions",
                files={"file": (path.name, handle, "audio/wav")},
                data={"language": language, "metadata": json.dumps(metadata, separators=(",", ":"))},
            )

    def get(self, job_id: str) -> dict[str, Any]:
        return self._request("GET", f"/v1/transcriptions/{job_id}")

    def delete(self, job_id: str) -> dict[str, Any]:
        return self._request("DELETE", f"/v1/transcriptions/{job_id}")

    def poll(self, job_id: str, interval: float = 0.3, max_attempts: int = 200) -> dict[str, Any]:
        for _ in range(max_attempts):
            job = self.get(job_id)
            if job.get("status") in {"succeeded", "failed"}:
                return job
            time.sleep(interval)
        raise TimeoutError(job_id)


def expect_error(fn: Any, status: int) -> str:
    try:
        fn()
    except ApiError as err:
        if err.status_code != status:
            raise AssertionError(f"expected HTTP {status}, got {err.status_code}: {err.body}") from err
        return str(err.body["error"]["code"])
    raise AssertionError(f"expected HTTP {status}, got success")


def main() -> None:
    api_url, key, audio = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    client = Client(key, api_url)
    before, _ = client.list(limit=100)
    created = client.create(audio, "en", {"agent": "A17"})
    assert created["status"] == "queued", created
    final = client.poll(created["job_id"])
    assert final["status"] == "succeeded", final
    result = final["result"]
    segments = [Segment(**{k: s[k] for k in Segment.__dataclass_fields__}) for s in result["transcript"]]
    listed, _ = client.list(limit=100)
    assert listed[0]["job_id"] == created["job_id"], listed[0]
    client.delete(created["job_id"])
    after_delete = client.get(created["job_id"])
    print(
        json.dumps(
            {
                "listed_before": len(before),
                "listed_after_create": len(listed),
                "job_id": created["job_id"],
                "status": final["status"],
                "duration_seconds": result["duration_seconds"],
                "words_count": result["words_count"],
                "full_text": " ".join(s.text for s in segments),
                "speakers": sorted({s.speaker_alias for s in segments}),
                "deleted": after_delete.get("deleted", False),
                "has_result_after_delete": "result" in after_delete,
                "wrong_key": expect_error(lambda: Client("wrong-key", api_url).list(), 401),
                "unknown_job": expect_error(lambda: client.get("no-such-job"), 404),
            }
        )
    )


if __name__ == "__main__":
    main()
