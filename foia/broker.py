"""The embedded broker: kombu's filesystem transport, made safe for several processes sharing one folder.

Stock kombu 5.7 creates a message file in the queue folder and only then writes it, while a consumer in
another process lists the folder, moves the file and reads it without the writer's lock: a message caught
between create and write is read empty, the worker dies and the message is gone (issue 16). Here a message is
written whole under a staging folder and `os.replace`d into the queue folder (POSIX rename is atomic on one
filesystem), so a consumer sees a complete file or none. A consumer claims a file by renaming it into a claim
folder (one process wins), and a file that still cannot be decoded is moved to the bad folder and logged
instead of raising. Selected by CELERY_BROKER_TRANSPORT = "foia.broker:Transport" (foia/settings.py).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

logger = logging.getLogger(__name__)


def folders(broker_dir: Path) -> dict[str, str]:
    """The transport options naming every folder under `broker_dir`, created if missing (one filesystem)."""
    names = {
        "data_folder_in": "queue",
        "data_folder_out": "queue",
        "processed_folder": "processed",
        "control_folder": "control",
        "staging_folder": "staging",
        "claim_folder": "claimed",
        "bad_folder": "bad",
    }
    options = {}
    for option, name in names.items():
        path = broker_dir / name
        path.mkdir(parents=True, exist_ok=True)
        options[option] = str(path)
    return options


def write_atomically(path: str, data: bytes, staging_folder: str) -> None:
    """Write `data` to `path` so that a reader sees either nothing or all of it."""
    staged = os.path.join(staging_folder, f"{uuid.uuid4()}.part")
    try:
        with open(staged, "wb") as f:
            f.write(data)
        os.replace(staged, path)
    except BaseException:
        with suppress(OSError):
            os.remove(staged)
        raise


class Channel(filesystem.Channel):
    """A filesystem channel whose messages appear in the queue folder only once fully written."""

    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: write it under the staging folder, then rename it into the queue."""
        # Wall-clock nanoseconds, zero-padded, so names sort in publishing order (also across a reboot).
        filename = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        try:
            data = str_to_bytes(dumps(payload))
            write_atomically(os.path.join(self.data_folder_out, filename), data, self.staging_folder)
        except OSError as exc:
            raise ChannelError(f"Cannot add message {filename!r} to {self.data_folder_out}") from exc

    def _get(self, queue):
        """Take the oldest message of `queue`; set aside any file that does not decode to a message."""
        wanted = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.claim_folder, filename)
            try:
                # Same filesystem, so rename is atomic: exactly one consumer gets the file.
                os.rename(os.path.join(self.data_folder_in, filename), claimed)
            except FileNotFoundError:
                continue
            try:
                with open(claimed, "rb") as f:
                    raw = f.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read message file {claimed!r}") from exc
            try:
                payload = loads(bytes_to_str(raw))
                self.Message(payload, channel=self)  # the checks a delivery makes; raises on a malformed one
            except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, the worker must live
                self._set_aside(claimed, filename, len(raw), exc)
                continue
            if self.store_processed:
                os.replace(claimed, os.path.join(self.processed_folder, filename))
            else:
                os.remove(claimed)
            return payload
        raise Empty()

    def _set_aside(self, claimed: str, filename: str, size: int, exc: Exception) -> None:
        """Keep an undecodable message file in the bad folder for inspection, and say so in the log."""
        destination = os.path.join(self.bad_folder, filename)
        os.replace(claimed, destination)
        logger.error(
            "Broker: message file %s (%d bytes) cannot be decoded (%s: %s); set aside as %s",
            filename,
            size,
            type(exc).__name__,
            str(exc)[:200],
            destination,
        )

    # Exchange tables (which queues an exchange routes to) are small JSON files in the control folder. Stock
    # kombu creates them empty before locking and writing, so a reader could again see an empty file; here
    # every change holds one lock for the whole control folder and replaces the file atomically.

    @contextmanager
    def _control_lock(self):
        self.control_folder.mkdir(exist_ok=True)
        with open(self.control_folder / ".lock", "wb") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def get_table(self, exchange):
        file = self._exchange_file(exchange)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc
        return [filesystem.exchange_queue_t(*q) for q in loads(bytes_to_str(data))]

    def _update_table(self, exchange, change) -> None:
        file = self._exchange_file(exchange)
        with self._control_lock():
            queues = self.get_table(exchange)
            if change(queues):
                write_atomically(str(file), str_to_bytes(dumps(queues)), self.staging_folder)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")

        def add(queues):
            if binding in queues:
                return False
            queues.insert(0, binding)
            return True

        try:
            self._update_table(exchange, add)
        except OSError as exc:
            raise ChannelError(f"Cannot bind {queue!r} to exchange {exchange!r}") from exc

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        # virtual.Channel._delete, not the stock filesystem one that rewrites the table in place.
        super(filesystem.Channel, self)._delete(queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")

        def remove(queues):
            if binding not in queues:
                return False
            queues.remove(binding)
            return True

        self._update_table(exchange, remove)

    def _folder(self, option: str, default: str) -> str:
        folder = self.transport_options.get(option) or os.path.join(
            os.path.dirname(os.path.abspath(self.data_folder_in)), default
        )
        os.makedirs(folder, exist_ok=True)
        return folder

    @cached_property
    def staging_folder(self):
        return self._folder("staging_folder", "staging")

    @cached_property
    def claim_folder(self):
        return self._folder("claim_folder", "claimed")

    @cached_property
    def bad_folder(self):
        return self._folder("bad_folder", "bad")


class Transport(filesystem.Transport):
    """kombu's filesystem transport with the atomic channel above; CELERY_BROKER_TRANSPORT selects it."""

    Channel = Channel
