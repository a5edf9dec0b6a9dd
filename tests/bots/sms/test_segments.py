"""SMS sizing as a person's phone bill sees it."""

from bots.sms.segments import pages, size, to_gsm7


def test_gsm7_single_and_concatenated_limits() -> None:
    assert size("a" * 160) == size("a" * 160).__class__("gsm7", 160, 1)
    assert size("a" * 161).segments == 2
    assert size("a" * 306).segments == 2
    assert size("a" * 307).segments == 3


def test_extension_characters_count_twice() -> None:
    assert size("€" * 80).units == 160
    assert size("€" * 80).segments == 1
    assert size("€" * 81).segments == 2


def test_one_character_outside_gsm7_switches_to_ucs2() -> None:
    assert size("ä" * 70).encoding == "gsm7"
    assert size("Terima kasih 🙏").encoding == "ucs2"
    assert size("ą" * 70).segments == 1
    assert size("ą" * 71).segments == 2
    assert size("ą" * 135).segments == 3


def test_typographic_characters_stay_in_gsm7() -> None:
    text = to_gsm7("“Jalan rusak” – sejak 2024… ‘parah’")
    assert text == "\"Jalan rusak\" - sejak 2024... 'parah'"
    assert size(text).encoding == "gsm7"


def test_long_content_is_paged_within_the_cap() -> None:
    text = " ".join(["jalan"] * 400)
    parts = pages(text, 3, "Balas LAGI")
    assert len(parts) > 1
    assert all(size(p).segments <= 3 for p in parts)
    assert all(p.endswith("Balas LAGI") for p in parts[:-1])
    joined = " ".join(p.removesuffix("\nBalas LAGI") for p in parts)
    assert joined.split() == text.split()
    assert pages("pendek", 3, "Balas LAGI") == ["pendek"]


def test_channels_without_buttons_get_numbered_menus() -> None:
    from bots.channels import Capabilities
    from bots.conversation import Turn
    from bots.messages import Button
    from bots.models import ChatIdentity

    identity = ChatIdentity(channel="sms", platform_user_id="+6281", chat_id="+6281", locale="en")
    turn = Turn(None, identity, capabilities=Capabilities(buttons=False))  # type: ignore[arg-type]
    turn.say("Pilih:", [[Button("Konsultasi", "cl")], [Button("Aspirasi", "a")]])
    assert turn.out[-1].buttons == ()
    assert "Reply 1: Konsultasi" in turn.out[-1].text
    assert "Reply 2: Aspirasi" in turn.out[-1].text
