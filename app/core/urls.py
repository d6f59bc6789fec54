from django.urls import path


class IdConverter:
    """A database id: digits that fit a signed 64-bit column; anything larger is simply a 404.

    Without the bound, a 20-digit id overflows SQLite's integer binding and becomes a 500.
    """

    regex = "[0-9]{1,19}"
    MAX = 2**63 - 1

    def to_python(self, value):
        number = int(value)
        if number > self.MAX:
            raise ValueError("id out of range")  # Django treats this as "no match"
        return number

    def to_url(self, value):
        return str(value)


def slash_optional(route, view, name):
    """Answer `route` with and without a trailing slash.

    The API is called by programs: a redirect to the slashed URL would drop a POST body, so both
    spellings are served directly; `name` reverses to the slashed one.
    """
    return [path(f"{route}/", view, name=name), path(route, view)]
