#!/usr/bin/env python3
"""A real SMTP server for Convene's tests, built on aiosmtpd.

Every accepted message is written as one .eml file in MAIL_DIR (atomically: written to
a temporary name, then renamed), so a test can read exactly what the SMTP server accepted.

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

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(self.directory, "refuse-5xx")):
            return "554 5.7.1 refused by test"
        if os.path.exists(os.path.join(self.directory, "refuse-4xx")):
            return "451 4.3.0 try again later (test)"
        name = uuid.uuid4().hex
        tmp = os.path.join(self.directory, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
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
