"""URL groups (QStash's "topics"): a name for several endpoints; a publish to it fans out.

Publishing to ``/v2/publish/{group}`` makes one message per endpoint (each with its own id,
``topicName`` and ``endpointName``) and answers ``[{"messageId", "url"}, ...]``. Groups and
their endpoints are SQLite rows.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tats_dev.qstash.clock import Clock
from tats_dev.qstash.message import BadRequest, Message, is_url, new_message_id
from tats_dev.qstash.store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS topic (
    name TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS topic_endpoint (
    topic TEXT NOT NULL REFERENCES topic (name) ON DELETE CASCADE,
    url TEXT NOT NULL, name TEXT, PRIMARY KEY (topic, url)
);
"""


class Topics:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._db = store.db
        self._db.executescript(SCHEMA)
        self._store, self._clock = store, clock

    def upsert_endpoints(self, name: str, endpoints: list[dict[str, str]]) -> None:
        now = self._clock.now()
        with self._store.transaction():
            self._db.execute(
                "INSERT INTO topic VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at",
                (name, now, now),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO topic_endpoint VALUES (?, ?, ?)",
                [(name, e["url"], e.get("name")) for e in endpoints],
            )

    def remove_endpoints(self, name: str, endpoints: list[dict[str, str]]) -> None:
        with self._store.transaction():
            for e in endpoints:
                if "url" in e:
                    self._db.execute(
                        "DELETE FROM topic_endpoint WHERE topic = ? AND url = ?", (name, e["url"])
                    )
                else:
                    self._db.execute(
                        "DELETE FROM topic_endpoint WHERE topic = ? AND name = ?",
                        (name, e["name"]),
                    )
            self._db.execute(
                "UPDATE topic SET updated_at = ? WHERE name = ?", (self._clock.now(), name)
            )

    def delete(self, name: str) -> None:
        with self._store.transaction():
            self._db.execute("DELETE FROM topic_endpoint WHERE topic = ?", (name,))
            self._db.execute("DELETE FROM topic WHERE name = ?", (name,))

    def get(self, name: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT * FROM topic WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        endpoints = [
            {"url": url, **({"name": n} if n else {})}
            for url, n in self._db.execute(
                "SELECT url, name FROM topic_endpoint WHERE topic = ? ORDER BY rowid", (name,)
            )
        ]
        return {
            "name": name,
            "createdAt": int(row["created_at"] * 1000),
            "updatedAt": int(row["updated_at"] * 1000),
            "endpoints": endpoints,
        }

    def all(self) -> list[dict[str, Any]]:
        names = [row[0] for row in self._db.execute("SELECT name FROM topic ORDER BY name")]
        return [group for name in names if (group := self.get(name)) is not None]

    def fan_out(self, m: Message) -> list[Message]:
        """``m`` itself when its destination is a URL, else one copy per endpoint of the group."""
        if is_url(m.destination):
            return [m]
        group = self.get(m.destination)
        if group is None or not group["endpoints"]:
            raise BadRequest(
                f"destination {m.destination[:200]!r} is neither an http(s) URL nor a URL group"
                " with endpoints"
            )
        return [
            dataclasses.replace(
                m,
                id=new_message_id() if index else m.id,
                destination=e["url"],
                url_group=group["name"],
                endpoint_name=e.get("name"),
            )
            for index, e in enumerate(group["endpoints"])
        ]


def _topics(request: Request) -> Topics:
    topics: Topics = request.app.state.topics
    return topics


async def _endpoints(request: Request) -> list[dict[str, str]]:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
        raise BadRequest('the body must be {"endpoints": [{"url": ..., "name": ...}, ...]}')
    return endpoints


async def upsert_endpoints(request: Request) -> Response:
    endpoints = await _endpoints(request)
    for e in endpoints:
        if not is_url(str(e.get("url", ""))):
            raise BadRequest("every endpoint needs an absolute http(s) url")
    _topics(request).upsert_endpoints(request.path_params["name"], endpoints)
    return Response(status_code=200)


async def remove_endpoints(request: Request) -> Response:
    endpoints = await _endpoints(request)
    if not all("url" in e or "name" in e for e in endpoints):
        raise BadRequest("every endpoint to remove needs a url or a name")
    _topics(request).remove_endpoints(request.path_params["name"], endpoints)
    return Response(status_code=200)


async def list_topics(request: Request) -> Response:
    return JSONResponse(_topics(request).all())


async def get_topic(request: Request) -> Response:
    group = _topics(request).get(request.path_params["name"])
    if group is None:
        raise HTTPException(404, "URL group not found")
    return JSONResponse(group)


async def delete_topic(request: Request) -> Response:
    _topics(request).delete(request.path_params["name"])  # deleting an unknown group is no error
    return Response(status_code=200)


ROUTES = [
    Route("/v2/topics", list_topics, methods=["GET"]),
    Route("/v2/topics/{name}", get_topic, methods=["GET"]),
    Route("/v2/topics/{name}", delete_topic, methods=["DELETE"]),
    Route("/v2/topics/{name}/endpoints", upsert_endpoints, methods=["POST"]),
    Route("/v2/topics/{name}/endpoints", remove_endpoints, methods=["DELETE"]),
]
