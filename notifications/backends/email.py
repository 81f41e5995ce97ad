import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from notifications.backends import Outgoing, PermanentFailure, TemporaryFailure


class EmailBackend:
    """Django's configured email backend (EMAIL_URL: smtp://…, consolemail://, …)."""

    def send(self, outgoing: Outgoing) -> str:
        message_id = f"<outbox-{outgoing.idempotency_key}@{_domain()}>"
        message = EmailMessage(
            subject=outgoing.subject,
            body=outgoing.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.to],
            headers={"Message-ID": message_id, "X-Idempotency-Key": outgoing.idempotency_key},
            connection=get_connection(fail_silently=False),
        )
        try:
            message.send()
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
