"""Money: Decimal with 2 places and an ISO 4217 currency code; never floats."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_pattern(*, whole_digits: int, places: int, least: Decimal | None = None) -> str:
    """The exact text of an amount, as a regular expression that ECMAScript (the OpenAPI schema) and Python (the
    server) read alike: digits written [0-9] (Python's \\d also takes other scripts' digits), no leading zeros, no
    exponent, at most `places` decimals, a minus sign only where `least` allows negatives. With `least` above zero
    (a refund's 0.01) zero itself is left out, so the pattern alone says what validation accepts."""
    whole = f"(0|[1-9][0-9]{{0,{whole_digits - 1}}})" if whole_digits > 0 else "0"
    fraction = f"(\\.[0-9]{{1,{places}}})?" if places > 0 else ""
    if least is None or least < 0:
        return f"^-?{whole}{fraction}$"
    if least == 0:
        return f"^{whole}{fraction}$"
    if least != CENT or places != 2 or whole_digits < 1:
        raise ValueError("A positive amount's pattern is written for 2 places and a least amount of 0.01.")
    return f"^([1-9][0-9]{{0,{whole_digits - 1}}}(\\.[0-9]{{1,2}})?|0\\.(0[1-9]|[1-9][0-9]?))$"
