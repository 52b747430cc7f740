"""Driving Django admin's changelist actions as a browser does; shared by the admin tests."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME


def post_action(client, url, action, objects, **extra):
    """What the changelist's action bar posts: the action and the ticked rows."""
    data = {
        "action": action,
        "index": "0",
        ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
        **extra,
    }
    return client.post(url, data)


def messages_of(response) -> list[str]:
    """The messages this request added (not those still waiting from earlier ones)."""
    return [str(m) for m in response.wsgi_request._messages._queued_messages]
