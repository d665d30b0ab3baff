"""The embedded broker (foia/broker.py): no half-written message is ever read, and a bad one is set aside.

The race of issue 16 is replayed step by step: a producer has created a message file but not yet written it
when a consumer looks. kombu's stock filesystem transport reads it empty and loses the message; ours never
sees it. A two-process race then checks that nothing is lost under load, and a real worker survives garbage.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection
from kombu.transport import filesystem

from foia.broker import folders

from .conftest import ROOT, WORKER_DEADLINE, wait_until

# Each test uses its own broker folders; kombu remembers declared bindings per process, not per folder.
pytestmark = pytest.mark.usefixtures("fresh_broker_state")

PAYLOAD = {"letter": "x" * 50_000}


def connect(broker_dir: Path, transport: str = "foia.broker:Transport") -> Connection:
    return Connection("filesystem://", transport=transport, transport_options=folders(broker_dir))


def message_bytes(broker_dir: Path) -> bytes:
    """A complete message file as a producer writes it (published, then taken out of the queue folder)."""
    with connect(broker_dir / "scratch") as conn:
        conn.SimpleQueue("letters").put(PAYLOAD)
        [path] = (broker_dir / "scratch" / "queue").iterdir()
        return path.read_bytes()


def test_stock_kombu_reads_a_message_file_being_written_and_loses_it(tmp_path):
    data = message_bytes(tmp_path)
    with connect(tmp_path, transport="filesystem") as conn:
        channel = conn.default_channel
        assert type(channel) is filesystem.Channel
        # Stock _put: open() creates the file in the queue folder, the write comes after.
        name = tmp_path / "queue" / "00000000000000000001_writer.letters.msg"
        with open(name, "wb") as writer:
            with pytest.raises(json.JSONDecodeError):
                channel._get("letters")
            writer.write(data)
        # The consumer moved the file away and deleted it: the write went nowhere.
        with pytest.raises(Empty):
            channel._get("letters")
        assert list((tmp_path / "queue").iterdir()) == []


def test_our_transport_never_sees_a_message_file_being_written(tmp_path):
    data = message_bytes(tmp_path)
    with connect(tmp_path) as conn:
        channel = conn.default_channel
        # Our _put writes the whole file under staging/ first; mid-write, that is all there is.
        staged = tmp_path / "staging" / "writer.part"
        with open(staged, "wb") as writer:
            writer.write(data[: len(data) // 2])
            with pytest.raises(Empty):
                channel._get("letters")
            writer.write(data[len(data) // 2 :])
        os.replace(staged, tmp_path / "queue" / "00000000000000000001_writer.letters.msg")
        message = conn.SimpleQueue("letters").get(timeout=1)
        assert message.payload == PAYLOAD
        message.ack()


def test_a_published_message_appears_in_the_queue_folder_only_whole(tmp_path):
    with connect(tmp_path) as conn:
        queue = conn.SimpleQueue("letters")
        queue.put(PAYLOAD)
        [path] = (tmp_path / "queue").iterdir()
        assert json.loads(path.read_bytes())["body"]
        assert list((tmp_path / "staging").iterdir()) == []
        assert queue.get(timeout=1).payload == PAYLOAD


PRODUCER = """
import sys
from pathlib import Path
from kombu import Connection
from foia.broker import folders
options = folders(Path(sys.argv[1]))
with Connection("filesystem://", transport="foia.broker:Transport", transport_options=options) as conn:
    queue = conn.SimpleQueue("race")
    for i in range(int(sys.argv[2])):
        queue.put({"i": i, "pad": "x" * 200_000})
"""


def test_nothing_is_lost_while_another_process_publishes_large_messages(tmp_path):
    count = 300
    received, errors = set(), []
    with connect(tmp_path) as conn:
        queue = conn.SimpleQueue("race")
        producer = subprocess.Popen([sys.executable, "-c", PRODUCER, str(tmp_path), str(count)], cwd=ROOT)  # noqa: S603
        while len(received) < count and (producer.poll() is None or queue.qsize()):
            try:
                message = queue.get(timeout=0.01)
            except Empty:
                continue
            except Exception as exc:  # noqa: BLE001 - counted: any read error is the bug
                errors.append(exc)
                continue
            received.add(message.payload["i"])
            message.ack()
    assert producer.wait(timeout=60) == 0
    assert errors == []
    assert received == set(range(count))
    assert list((tmp_path / "bad").iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b'{"body": "eyJsZXR0ZXIi',
        b"\x00\xff\xfe not json at all",
        b"[1, 2, 3]",
        b'{"body": "not base64 %%%", "properties": {"delivery_tag": "t", "body_encoding": "base64"}}',
    ],
    ids=["empty", "truncated-json", "garbage", "json-not-a-message", "undecodable-body"],
)
def test_a_message_file_that_cannot_be_decoded_is_set_aside_and_the_next_one_delivered(
    tmp_path, caplog, content
):
    with connect(tmp_path) as conn:
        queue = conn.SimpleQueue("letters")
        (tmp_path / "queue" / "00000000000000000001_bad.letters.msg").write_bytes(content)
        queue.put(PAYLOAD)
        message = queue.get(timeout=1)
        assert message.payload == PAYLOAD
        message.ack()
    assert (tmp_path / "bad" / "00000000000000000001_bad.letters.msg").read_bytes() == content
    assert "00000000000000000001_bad.letters.msg" in caplog.text
    assert "cannot be decoded" in caplog.text
    assert list((tmp_path / "queue").iterdir()) == []


def test_a_real_worker_sets_a_garbage_message_aside_and_runs_the_next_task(start_worker, alice, tmp_path):
    from foia.tasks import ping_database

    # The worker runs on the embedded broker in its own folder, whatever broker this test run uses.
    var_dir = tmp_path / "var"
    broker_dir = var_dir / "broker"
    (broker_dir / "queue").mkdir(parents=True)
    garbage = broker_dir / "queue" / "00000000000000000001_garbage.celery.msg"
    garbage.write_bytes(b'{"body": "trunc')
    with connect(broker_dir) as conn:
        ping_database.apply_async(args=["alice"], connection=conn)
    worker = start_worker(FOIA_VAR_DIR=var_dir, CELERY_BROKER_URL="filesystem://", REDIS_URL="")
    wait_until(lambda: "pong alice" in worker.log(), timeout=WORKER_DEADLINE, message="the good task to run")
    assert worker.process.poll() is None
    assert (broker_dir / "bad" / garbage.name).read_bytes() == b'{"body": "trunc'
    assert "cannot be decoded" in worker.log()
