"""A file mail backend that can stop a worker in the middle of a send, for the SIGKILL test.

With ``FAULT_HOLD_AT=N`` and ``FAULT_HOLD_SUBJECT=prefix`` in its environment, the worker
writes and flushes the N-th mail whose subject starts with ``prefix``, then writes the
``FAULT_HOLD_FILE`` marker (the mail's recipient) and waits there, inside ``deliver``'s
transaction: the mail has left, its outcome is not recorded. The test kills it at that point.
Without those variables it is Django's file backend.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend

HOLD_SECONDS = 120  # the test kills the worker long before; never hang a worker for ever
_matching = 0


class HoldingFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        global _matching
        sent = 0
        for message in email_messages:
            sent += super().send_messages([message])  # written and flushed
            prefix = os.environ.get("FAULT_HOLD_SUBJECT")
            if not prefix or not message.subject.startswith(prefix):
                continue
            _matching += 1
            if _matching == int(os.environ.get("FAULT_HOLD_AT", "0")):
                marker = Path(os.environ["FAULT_HOLD_FILE"])
                marker.with_suffix(".tmp").write_text(",".join(message.to))
                marker.with_suffix(".tmp").replace(marker)
                deadline = time.monotonic() + HOLD_SECONDS
                while time.monotonic() < deadline:
                    time.sleep(0.1)
        return sent
