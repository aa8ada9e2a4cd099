"""A real mail server for the tests that send through SMTP: aiosmtpd on a free loopback port,
in a thread of the test's process, keeping every message whose data it received. `delay` makes
it take that long over each message (after the data, before its answer), so that a test can stop
a sender in the middle of a batch.

A message is kept as soon as its data has arrived, before the answer: a real mail server that
has the whole message delivers it even when the sender dies before reading the "250" (and the
sender, not knowing, sends it again). aiosmtpd cancels the handler of a connection that is lost,
so a message kept only after the delay would vanish with its sender."""

import asyncio
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.services import free_port, wait_for


class _Keeper:
    def __init__(self, sink: "MailSink") -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.sink.lock:
            self.sink.messages.append(message)
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        return "250 Message accepted for delivery"


class MailSink:
    """`smtp://127.0.0.1:<port>` for the portal's EMAIL_URL; `messages` in the order received."""

    def __init__(self, delay: float = 0) -> None:
        self.delay = delay
        self.port = free_port()
        self.lock = threading.Lock()
        self.messages: list[Message] = []
        self.controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port,
                                     ready_timeout=10)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "MailSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)

    def wait_for_count(self, count: int, seconds: float = 60) -> list[Message]:
        wait_for(lambda: len(self.received()) >= count, f"{count} messages", seconds)
        return self.received()
