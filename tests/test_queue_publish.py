"""What a candidate's message asks of the queue, read back from the local QStash server."""

from __future__ import annotations

import httpx

from tats_core.processing.queue import CandidateQueue, OutboxItem
from tats_core.settings import DEV_QSTASH_TOKEN, load_settings
from tats_dev.qstash.api import create_app
from tests.servers import serve


def test_messages_carry_a_retry_delay_of_seconds_to_minutes_not_the_default(tmp_path):
    app = create_app(db_path=str(tmp_path / "q.db"), delay_scale=1.0)
    with serve(app) as url:
        # The worker is not running: the message just waits in the queue to be read back.
        settings = load_settings(qstash_url=url, worker_url="http://127.0.0.1:9")
        queue = CandidateQueue.from_settings(settings)
        [message_id] = queue.publish([OutboxItem(1, 1, 0)])
        message = httpx.get(
            f"{url}/v2/messages/{message_id}",
            headers={"Authorization": f"Bearer {DEV_QSTASH_TOKEN}"},
        ).json()
    assert message["retryDelayExpression"] == "min(180000, 10000 * pow(2, retried))"
    assert message["body"] == '{"candidateId": 1}'
