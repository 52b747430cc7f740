"""Long <select> lists (time zones, countries) rendered in Python.

Django renders every <option> through a template: for the ~420 time zones and ~250 countries
of the registration form that was 30 ms of every event page view (bench/README.md).
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

SELECTED = mark_safe(" selected")


def options_html(choices, selected: set[str]) -> SafeString:
    parts = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            parts.append(
                format_html(
                    '<optgroup label="{}">{}</optgroup>', value, options_html(label, selected)
                )
            )
        else:
            value = "" if value is None else str(value)
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    value,
                    SELECTED if value in selected else "",
                    label,
                )
            )
    return mark_safe("".join(parts))


class LongSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        selected = {str(v) for v in self.format_value(value)}
        return format_html(
            "<select{}>{}</select>", flatatt(final_attrs), options_html(self.choices, selected)
        )
