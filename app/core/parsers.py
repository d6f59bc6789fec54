from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with deeply nested input answered 400 instead of 500.

    Python's json module raises RecursionError (not ValueError) for input like "[[[[…]]]]" a few
    thousand levels deep, which DRF does not catch.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
