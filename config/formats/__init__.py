"""Date formats of each language (Django's ``FORMAT_MODULE_PATH``), where Django's own differ
from what the programme has always printed: a 24-hour clock in both languages, dates with the
weekday first in each language's own order ("Thursday 1 July 2021", "Donnerstag, 1. Juli
2021"), and moments without it ("1 July 2021, 12:00", short enough for admin's lists).
Templates and code use the names (``|date:"DATE_FORMAT"``, ``date_format(value,
"SHORT_DATE_FORMAT")``), never a literal pattern, so each language gets its own."""
