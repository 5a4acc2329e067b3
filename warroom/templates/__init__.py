"""Notice templates: files per audience, rendered in a sandbox, user text escaped.

The data a template sees is built in the core (``warroom.core.notice_data``) from the
fold; this package finds the template files (shipped defaults, the user's overrides),
checks them with ``file:line`` problems, renders them with Jinja2's sandbox, and escapes
every value for the notice's format (plain text, Markdown or HTML).
"""
