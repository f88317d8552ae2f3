"""The content's admin pages live in ``editorial.admin``: the board reads articles and
versions together with their reviews and audit trail, and this app never imports
``editorial`` (the dependency runs one way)."""
