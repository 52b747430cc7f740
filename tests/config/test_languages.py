"""Which language a page is in: the switcher's cookie, else the browser's Accept-Language, else
English; every address works unprefixed in both languages, as before."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.support.german import german

pytestmark = pytest.mark.django_db

EVENT_PATH = "/events/hirata-156-projects/"


def page_language(response) -> str:
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("de-AT", "de"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,fr;q=0.9", "en"),  # neither: the source language
        ("fr-FR,de;q=0.5", "de"),
        ("", "en"),
    ],
)
def test_a_first_visit_follows_the_browser(client, hirata_seminar, accept_language, expected):
    response = client.get(EVENT_PATH, HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    assert page_language(response) == expected
    assert response.headers["Content-Language"] == expected
    assert "Accept-Language" in response.headers["Vary"]


def test_the_switcher_remembers_the_choice_over_the_browsers(client, hirata_seminar):
    response = client.get(
        reverse("set_language"), {"language": "en", "next": EVENT_PATH}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == EVENT_PATH
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert page_language(response) == "en"
    client.get(reverse("set_language"), {"language": "de", "next": "/"})
    response = client.get(EVENT_PATH, HTTP_ACCEPT_LANGUAGE="en")
    assert page_language(response) == "de"
    assert german("Speaker sign-in") in response.content.decode()


def test_the_switcher_sends_nobody_to_another_site(client):
    response = client.get(
        reverse("set_language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    response = client.get(reverse("set_language"), {"language": "xx", "next": EVENT_PATH})
    assert response.headers["Location"] == EVENT_PATH
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_header_offers_the_other_language_in_its_own_name(client, hirata_seminar):
    path = EVENT_PATH + "?tz=Asia/Kathmandu"
    html = client.get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    switcher = html.split("language-switcher", 1)[1].split("</li>", 1)[0]
    assert 'lang="de" aria-current="true" data-language="de">Deutsch</span>' in switcher
    link = switcher.split("<a ", 1)[1]
    assert 'data-language="en">English</a>' in link
    # Back to the same page, its query included.
    assert (
        'href="/language/?language=en&amp;next=/events/hirata-156-projects/%3Ftz%3DAsia/Kathmandu"'
        in link
    )


def test_every_answer_of_a_page_is_alike_without_a_token(client, hirata_seminar):
    """The switcher adds no form and no CSRF token: two visitors get the same bytes."""
    first = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    client.cookies.clear()
    second = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert first.content == second.content
    assert "csrftoken" not in second.cookies


@pytest.mark.parametrize("path", ["/", EVENT_PATH, "/search/", "/portal/sign-in/"])
def test_old_addresses_work_unprefixed_in_both_languages(client, hirata_seminar, path):
    for language in ("de", "en"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (path, language)
        assert page_language(response) == language


def test_the_programme_fragment_is_cached_per_language(client, hirata_seminar):
    """The programme is rendered once and cached; a German viewer after an English one (and
    back) still gets their own language."""
    marker = 'class="programme-day '

    def programme(language: str) -> str:
        html = client.get(EVENT_PATH, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return re.sub(r'value="[^"]{32,}"', "", html.split(marker, 1)[1])  # not the CSRF token

    english, german_programme, again = programme("en"), programme("de"), programme("en")
    assert german("Thursday") in german_programme
    assert "Thursday" in english and "Thursday" not in german_programme
    assert again == english
