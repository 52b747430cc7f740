"""Reading a rendered admin form back into POST data, the way a browser submits it; shared by
the workshop tests."""

from html.parser import HTMLParser

from django.urls import reverse

from workshop.models import Event, Session


class _FormParser(HTMLParser):
    """Collects the fields of one <form id=…>: what a browser would submit, and the options
    of every <select>. Skips the inline templates (``__prefix__``)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def _add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:
            self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
            return
        if not self.inside:
            return
        if tag == "option" and self._select is not None:
            self._option = {
                "value": attrs.get("value"),
                "selected": "selected" in attrs,
                "text": "",
            }
        elif "name" not in attrs:
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._add(attrs["name"], attrs.get("value", "on"))
                return
            self._add(attrs["name"], attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = {"name": attrs["name"], "text": ""}
        elif tag == "select":
            self._select = {"name": attrs["name"], "multiple": "multiple" in attrs, "chosen": []}
            self.options[attrs["name"]] = []

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data
        if self._option is not None:
            self._option["text"] += data

    def _close_option(self):
        if self._option is None:
            return
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else option["text"].strip()
        self.options[self._select["name"]].append((value, option["text"].strip()))
        if option["selected"]:
            self._select["chosen"].append(value)

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            self._add(self._textarea["name"], text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            select, self._select = self._select, None
            chosen = select["chosen"]
            if not chosen and not select["multiple"] and self.options[select["name"]]:
                chosen = [self.options[select["name"]][0][0]]
            for value in chosen:
                self._add(select["name"], value)


def parse_form(response, form_id: str) -> tuple[dict, dict]:
    """(POST data as a browser would send it, the options of each <select>)."""
    parser = _FormParser(form_id)
    parser.feed(response.content.decode())
    assert parser.data, f"form #{form_id} not found"
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    return data, parser.options


def event_change_url(event: Event) -> str:
    return reverse("admin:workshop_event_change", args=[event.pk])


def session_change_url(session: Session) -> str:
    return reverse("admin:workshop_session_change", args=[session.pk])


def get_event_form(client, event: Event) -> tuple[dict, dict]:
    response = client.get(event_change_url(event))
    assert response.status_code == 200
    return parse_form(response, "event_form")


def add_session_row(data: dict, event_id: int | None, **fields) -> dict:
    """Append a new row to the event's session inline."""
    index = int(data["sessions-TOTAL_FORMS"])
    row = {
        "id": "",
        "event": str(event_id or ""),
        "kind": "talk",
        "title": "",
        "section": "",
        "start_0": "",
        "start_1": "",
        "end_0": "",
        "end_1": "",
        **fields,
    }
    data.update({f"sessions-{index}-{name}": value for name, value in row.items()})
    data["sessions-TOTAL_FORMS"] = str(index + 1)
    return data
