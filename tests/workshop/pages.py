"""Reading the public pages the way a visitor sees them; shared by the workshop tests."""

from html.parser import HTMLParser

from django.urls import reverse


class _ClassTextParser(HTMLParser):
    """Collects the text of every element carrying a CSS class (nested elements included)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}
    # Boundaries that separate words on screen, as in innerText.
    BLOCK = {"p", "div", "li", "dt", "dd", "tr", "th", "td", "caption", "h1", "h2", "h3", "h4"}

    def __init__(self, css_class: str):
        super().__init__(convert_charrefs=True)
        self.css_class = css_class
        self.stack: list[bool] = []
        self.texts: list[list[str]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK or tag == "br":
            self.handle_data(" ")
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        match = self.css_class in classes
        self.stack.append(match)
        if match:
            self.texts.append([])
            self.open.append(len(self.texts) - 1)

    def handle_endtag(self, tag):
        if tag in self.BLOCK:
            self.handle_data(" ")
        if tag in self.VOID or not self.stack:
            return
        if self.stack.pop():
            self.open.pop()

    def handle_data(self, data):
        for index in self.open:
            self.texts[index].append(data)


def texts(response, css_class: str) -> list[str]:
    """The whitespace-normalized text of each element with ``css_class``, in page order."""
    parser = _ClassTextParser(css_class)
    parser.feed(response.content.decode())
    return [" ".join("".join(parts).split()) for parts in parser.texts]


def event_url(event) -> str:
    return reverse("workshop:event_detail", kwargs={"slug": event.slug})


def session_url(session) -> str:
    return reverse("workshop:session_detail", kwargs={"slug": session.event.slug, "pk": session.pk})


def person_url(person) -> str:
    return reverse("workshop:person_detail", kwargs={"key": person.key})
