from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def build_templated_mail(template_prefix, *, to, context, from_email=None, **kwargs):
    """An e-mail from three templates: ``<prefix>_subject.txt``, ``.txt`` and ``.html``."""
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}.txt", context)
    html = render_to_string(f"{template_prefix}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to, **kwargs
    )
    message.attach_alternative(html, "text/html")
    return message


def send_templated_mail(template_prefix, *, to, context, **kwargs):
    return build_templated_mail(template_prefix, to=to, context=context, **kwargs).send()
