"""A worker whose broker connection dies while it holds unacknowledged messages stays up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from _processes import RedisServer
from kombu import Connection

import replyassist.service.celery_app  # noqa: F401  (what a worker imports)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def test_closing_and_acking_on_a_channel_whose_connection_is_gone_does_not_raise(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    connection = Connection(redis_server.url)
    channel = connection.channel()
    queue = channel.queue_declare("replyassist-test", durable=True)
    assert queue.queue == "replyassist-test"
    channel.basic_publish(channel.prepare_message("job-1"), exchange="", routing_key="replyassist-test")
    message = channel.basic_get("replyassist-test", no_ack=False)  # delivered, not acknowledged
    assert message is not None and channel.qos._delivered
    redis_server.restart()  # the broker goes away (and comes back empty)
    connection._do_close_transport()  # as Celery's consumer does on a lost connection: channel left behind
    with caplog.at_level(logging.WARNING, logger="replyassist.service.celery_app"):
        channel.close()  # kombu would raise AttributeError here, which Celery calls unrecoverable
    assert "1 unacknowledged message(s) not restored" in caplog.text
    assert not channel.qos._delivered
    message.ack()  # the job finishes a moment later and acks on the closed channel: no error either
    assert channel.qos._delivered == {}


def test_a_live_connection_restores_and_acknowledges_as_before(redis_server: RedisServer) -> None:
    with Connection(redis_server.url) as connection:
        channel = connection.channel()
        channel.queue_declare("replyassist-test", durable=True)
        for body in ("job-1", "job-2"):
            channel.basic_publish(channel.prepare_message(body), exchange="", routing_key="replyassist-test")
        first = channel.basic_get("replyassist-test", no_ack=False)
        second = channel.basic_get("replyassist-test", no_ack=False)
        first.ack()
        channel.qos.restore_unacked()  # the second goes back to the queue
        again = channel.basic_get("replyassist-test", no_ack=True)
        assert again is not None and again.body == second.body
        assert channel.basic_get("replyassist-test", no_ack=True) is None
