"""Phone numbers as Indonesian citizens write them become one identity."""

from bots.sms.numbers import masked, to_e164


def test_local_and_international_forms_are_one_number() -> None:
    assert to_e164("081234567890") == "+6281234567890"
    assert to_e164("+62 812-3456-7890") == "+6281234567890"
    assert to_e164("006281234567890") == "+6281234567890"
    assert to_e164("6281234567890", "ID") in ("+6281234567890", None)


def test_invalid_input_is_refused() -> None:
    assert to_e164("") is None
    assert to_e164("halo") is None
    assert to_e164("123") is None
    assert to_e164("9" * 40) is None


def test_masked_hides_the_middle() -> None:
    assert masked("+6281234567890") == "+62" + "•" * 8 + "890"
