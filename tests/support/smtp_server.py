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

Each .eml also says whether the message came over TLS (`X-TLS: yes|no`). TLS and
authentication are set by environment variables:
  - SMTP_TLS_MODE: `starttls` (offers STARTTLS), `starttls-only` (and refuses mail without
    it), or `smtps` (TLS from the first byte); unset: no TLS;
  - SMTP_TLS_CERT, SMTP_TLS_KEY: the certificate chain and key (PEM files);
  - SMTP_AUTH: `user:password` the client must log in with (only offered over TLS).

To simulate a failing server, a test creates a file in MAIL_DIR:
  - `refuse-4xx`: every DATA is answered `451` (transient: the sender should retry);
  - `refuse-5xx`: every DATA is answered `554` (permanent: the sender should give up);
  - `slow-data`: the answer to the end of each message's content comes late, by the
    number of seconds the file holds: the message is accepted (its .eml written) at once,
    and `250` follows, as from a busy server that has taken responsibility for it.

Usage: smtp_server.py HOST PORT MAIL_DIR
"""
import asyncio
import os
import ssl
import sys
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.directory = directory

    def flag(self, name):
        return os.path.exists(os.path.join(self.directory, name))

    def seconds(self, name):
        """The number a flag file holds (0 without the file)."""
        try:
            with open(os.path.join(self.directory, name)) as f:
                return float(f.read().strip() or 0)
        except FileNotFoundError:
            return 0

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
            # The transport in use, after STARTTLS or from the start (SMTPS).
            tls = "yes" if server.transport.get_extra_info("ssl_object") else "no"
            f.write(f"X-TLS: {tls}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, f"{name}.eml"))
        delay = self.seconds("slow-data")
        if delay:
            await asyncio.sleep(delay)
        return "250 2.0.0 OK"


def authenticator(expected):
    user, password = expected.split(":", 1)

    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    return check


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(directory, exist_ok=True)
    options = {}
    mode = os.environ.get("SMTP_TLS_MODE", "")
    if mode:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(os.environ["SMTP_TLS_CERT"], os.environ["SMTP_TLS_KEY"])
        if mode == "smtps":
            options["ssl_context"] = context
            # aiosmtpd sees only STARTTLS as TLS: over SMTPS it must be told AUTH is safe.
            options["auth_require_tls"] = False
        elif mode in ("starttls", "starttls-only"):
            options["tls_context"] = context
            options["require_starttls"] = mode == "starttls-only"
        else:
            sys.exit(f"unknown SMTP_TLS_MODE {mode}")
    if os.environ.get("SMTP_AUTH"):
        options["authenticator"] = authenticator(os.environ["SMTP_AUTH"])
        options["auth_required"] = True
    controller = Controller(Store(directory), hostname=host, port=port, **options)
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
