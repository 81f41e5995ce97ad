import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications import conf
from notifications.backends import Outgoing, PermanentFailure, TemporaryFailure


class _Disconnected(Exception):
    pass


class EmailBackend:
    """Django's configured email backend (EMAIL_URL: smtp://…, consolemail://, …).

    One instance keeps its connection open across the messages of a dispatch run; ``close()``
    ends it, and any failure drops it so the next message reconnects.
    """

    def __init__(self):
        self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing a broken connection may fail; nothing to do
                self._connection.close()
            self._connection = None

    def send(self, outgoing: Outgoing) -> str:
        try:
            return self._send(outgoing)
        except _Disconnected:
            # The server dropped the idle kept-open connection: reconnect once, same message.
            self.close()
            try:
                return self._send(outgoing)
            except _Disconnected as exc:
                raise TemporaryFailure("SMTP server disconnected") from exc
        except (TemporaryFailure, PermanentFailure):
            self.close()
            raise

    def _send(self, outgoing: Outgoing) -> str:
        if self._connection is None:
            # Every socket operation of the SMTP backend is bounded: a silent server must not hang the run.
            connection = get_connection(fail_silently=False, timeout=conf.email_timeout_seconds())
            try:
                connection.open()  # opened here, so send_messages() leaves it open for the next one
            except (smtplib.SMTPException, OSError) as exc:
                raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
            self._connection = connection
        message_id = f"<outbox-{outgoing.idempotency_key}@{_domain()}>"
        message = EmailMessage(
            subject=outgoing.subject,
            body=outgoing.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.to],
            headers={"Message-ID": message_id, "X-Idempotency-Key": outgoing.idempotency_key},
            connection=self._connection,
        )
        for name, data, mimetype in outgoing.attachments:
            message.attach(name, data, mimetype)
        try:
            message.send()
        except smtplib.SMTPServerDisconnected as exc:
            raise _Disconnected from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"recipient refused: {exc.recipients and list(exc.recipients.values())[0]}") from exc
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(text) from exc
            raise PermanentFailure(text) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        return message_id


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL
    return address.rsplit("@", 1)[-1].strip(">") if "@" in address else "renewal-desk.local"
