import secrets

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


class TemplatedMail(EmailMultiAlternatives):
    """Django's message with the MIME boundaries chosen up front.

    Without a boundary, Python's generator makes one per multipart part and
    compiles a regular expression for it to check the part's text does not
    contain it: a tenth of the time of a reminder. A boundary of 128 random
    bits (as most mailers use) cannot occur in the text by chance, and nobody
    writing the text can know it.
    """

    def message(self, *args, **kwargs):
        msg = super().message(*args, **kwargs)
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"==============={secrets.token_hex(16)}==")
        return msg


def build_templated_mail(template_prefix, *, to, context, from_email=None, **kwargs):
    """An e-mail from three templates: ``<prefix>_subject.txt``, ``.txt`` and ``.html``."""
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = TemplatedMail(
        subject=subject, body=text, from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to, **kwargs
    )
    message.attach_alternative(html, "text/html")
    return message


def send_templated_mail(template_prefix, *, to, context, **kwargs):
    return build_templated_mail(template_prefix, to=to, context=context, **kwargs).send()
