#!/usr/bin/env python3
"""A real SMTP server for Convene's tests, built on aiosmtpd.

Every accepted message is written as one .eml file in MAIL_DIR (atomically: written to
a temporary name, then renamed), so a test can read exactly what the SMTP server accepted.
Its first lines say who it was for (`X-Envelope-To`) and whether the client sent RCPT and
DATA without waiting for the answer to MAIL (`X-Pipelined: yes|no`).

The server offers PIPELINING (RFC 2920; aiosmtpd reads commands one line at a time from
its buffer, so it copes with them arriving together), unless MAIL_DIR holds a file
`no-pipelining` when the client says EHLO. A recipient whose address starts with
`refused.` is answered `550` at RCPT, as a server answers for a mailbox it does not have.

To simulate a failing server, a test creates a file in MAIL_DIR:
  - `refuse-4xx`: every DATA is answered `451` (transient: the sender should retry);
  - `refuse-5xx`: every DATA is answered `554` (permanent: the sender should give up).

Usage: smtp_server.py HOST PORT MAIL_DIR
"""
import asyncio
import os
import sys
import uuid

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.directory = directory

    def flag(self, name):
        return os.path.exists(os.path.join(self.directory, name))

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if not self.flag("no-pipelining"):
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # A pipelining client has already sent what follows MAIL: it is in the stream's
        # buffer (asyncio's StreamReader keeps it in `_buffer`, private but stable; the
        # aiosmtpd version is pinned in requirements.txt).
        envelope.pipelined = b"DATA" in bytes(server._reader._buffer)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refused."):
            return "550 5.1.1 no such mailbox (test)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.flag("refuse-5xx"):
            return "554 5.7.1 refused by test"
        if self.flag("refuse-4xx"):
            return "451 4.3.0 try again later (test)"
        name = uuid.uuid4().hex
        tmp = os.path.join(self.directory, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            pipelined = "yes" if getattr(envelope, "pipelined", False) else "no"
            f.write(f"X-Pipelined: {pipelined}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, f"{name}.eml"))
        return "250 2.0.0 OK"


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    controller = Controller(Store(directory), hostname=host, port=port)
    controller.start()
    print(f"listening on {host}:{port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
