from django import template

from ..forms import RegistrationForm
from ..selectors import registration_window

register = template.Library()


@register.inclusion_tag("registration/participant/_box.html", takes_context=True)
def registration_box(context, event):
    """The registration form (or why there is none) for an event page."""
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "event": event,
        "window": registration_window(event),
        "form": RegistrationForm(event=event),
    }
