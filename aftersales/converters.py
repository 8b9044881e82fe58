"""Path converters shared by every URLconf. Importing this module registers them.

`text`: Django's `str` (anything but a slash) without control characters. A NUL byte in a path would otherwise reach
a query, where PostgreSQL's driver raises instead of the page answering 404; a newline or a tab is never part of an
id, a reference or a token either.
"""

from django.urls import register_converter


class TextConverter:
    regex = r"[^/\x00-\x1f\x7f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TextConverter, "text")
