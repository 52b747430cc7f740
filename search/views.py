"""The archive search page, ``/search/``. Thin: read the form and the criteria from the query
string, call `search.service.search`, render; a malformed query is shown under the
box with what was typed left in it.

Pages are per kind (``?events_page=2&sessions_page=3``): the three groups are independent
lists of very different lengths (a word may match 2 events and 400 sessions), so each has its
own pager and paging one leaves the others where they are.
"""

import logging
import re

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from workshop.models import Event

from .query import MAX_LENGTH, QuerySyntaxError
from .service import DIMENSIONS, KINDS, PAST, UPCOMING, Criteria, search

logger = logging.getLogger(__name__)

PAGE_PARAMS = {kind: f"{kind}_page" for kind in KINDS}
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})?")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search words"), strip=True)
    date_from = forms.DateField(
        required=False,
        label=pgettext_lazy("date range", "From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label=pgettext_lazy("date range", "To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext("The end date is before the start date."))
        return data


def _ids(values: list[str]) -> frozenset[int]:
    return frozenset(int(v) for v in values if v.isascii() and v.isdigit() and len(v) < 19)


def criteria_from(params: QueryDict, form: SearchForm) -> Criteria:
    """The criteria in the query string; values that cannot be valid are ignored."""
    dates = form.cleaned_data if form.is_valid() else {}
    return Criteria(
        subject_areas=_ids(params.getlist("subject_area")),
        event_types=_ids(params.getlist("event_type")),
        target_groups=_ids(params.getlist("target_group")),
        languages=frozenset(v for v in params.getlist("language") if _LANGUAGE_CODE.fullmatch(v)),
        kinds=frozenset(v for v in params.getlist("kind") if v in Event.Kind.values),
        when=frozenset(v for v in params.getlist("when") if v in (UPCOMING, PAST)),
        date_from=dates.get("date_from"),
        date_to=dates.get("date_to"),
    )


def _page_numbers(params: QueryDict) -> dict[str, int]:
    pages = {}
    for kind, param in PAGE_PARAMS.items():
        value = params.get(param, "")
        if value.isascii() and value.isdigit() and len(value) < 9:
            pages[kind] = int(value)
    return pages


def _toggle_url(params: QueryDict, param: str, value: str) -> str:
    """The current search with ``value`` of ``param`` switched on or off, from page 1."""
    changed = params.copy()
    values = changed.getlist(param)
    if value in values:
        changed.setlist(param, [v for v in values if v != value])
    else:
        changed.setlist(param, [*values, value])
    for page_param in PAGE_PARAMS.values():
        changed.pop(page_param, None)
    return f"?{changed.urlencode()}"


def _page_url(params: QueryDict, kind: str, number: int) -> str:
    changed = params.copy()
    changed.pop(PAGE_PARAMS[kind], None)
    if number > 1:
        changed[PAGE_PARAMS[kind]] = str(number)
    return f"?{changed.urlencode()}"


def _pagers(params: QueryDict, results) -> dict[str, dict[str, str]]:
    pagers = {}
    for kind in KINDS:
        page = getattr(results, kind)
        pagers[kind] = {
            "previous": _page_url(params, kind, page.number - 1) if page.has_previous else "",
            "next": _page_url(params, kind, page.number + 1) if page.has_next else "",
        }
    return pagers


def search_page(request: HttpRequest) -> HttpResponse:
    params = request.GET
    form = SearchForm(params)
    error = ""
    results = None
    if form.is_valid():
        criteria = criteria_from(params, form)
        try:
            results = search(form.cleaned_data["q"], criteria, pages=_page_numbers(params))
        except QuerySyntaxError as exc:
            error = exc.message
    else:
        error = " ".join(message for messages in form.errors.values() for message in messages)

    facets, pagers = [], {}
    if results is not None:
        facets = [
            (facet, [(v, _toggle_url(params, facet.param, v.value)) for v in facet.values])
            for facet in results.facets
        ]
        pagers = _pagers(params, results)
    # The chosen criteria travel with the next query typed into the box.
    hidden = [(d.param, value) for d in DIMENSIONS for value in params.getlist(d.param)]
    has_criteria = any(params.getlist(d.param) for d in DIMENSIONS) or any(
        params.get(name) for name in ("date_from", "date_to")
    )
    context = {
        "form": form,
        "typed": params.get("q", ""),
        "error": error,
        "results": results,
        "facets": facets,
        "pagers": pagers,
        "hidden": hidden,
        "has_criteria": has_criteria,
        "clear_url": f"?{_only_query(params)}" if params.get("q") else "?",
        "max_length": MAX_LENGTH,
    }
    return render(request, "search/search.html", context)


def _only_query(params: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    kept["q"] = params.get("q", "")
    return kept.urlencode()
