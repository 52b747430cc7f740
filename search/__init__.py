"""The archive search (``/search/``): the query language (`query`), its translation to SQL for
SQLite and PostgreSQL (`backends`) and the search itself with criteria and facets
(`service`). The page is `search.views`."""
