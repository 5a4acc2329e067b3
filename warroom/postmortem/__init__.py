"""The postmortem draft as a document: template files rendered in Jinja2's sandbox.

The data comes from the core (``warroom.core.postmortem``); this package finds the
template (the shipped default, a file of the same name in the user's ``postmortem``
folder over it, or a file named outright), checks it with ``file:line`` problems and
renders it with every value escaped for Markdown.
"""
