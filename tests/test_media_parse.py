"""Every inbound type is read: the caption is the text, the rest is described
(whatsapp/message.py) from what was stored, bad shapes are named, never a crash."""
import json

import pytest

from chatbot.bot.store import knowledge
from chatbot.whatsapp import media, message, webhook
from support.graph_stub import sample
from support.media_samples import message as msg
from support.media_samples import ogg_opus, pdf, png
from support.media_samples import webhook as hook


def parsed(m: dict):
    batch = webhook.parse(hook(m))
    assert len(batch.messages) == 1
    return batch.messages[0]


@pytest.mark.parametrize("kind", ["image", "audio", "video", "document", "sticker", "location", "contacts",
                                  "reaction", "order", "unsupported"])
def test_every_type_is_taken_and_described(kind):
    m = parsed(msg(kind))
    assert m.msg_type == kind
    d = message.describe(kind, json.dumps(m.raw))
    assert d["type"] == kind
    if kind in message.MEDIA_TYPES:
        assert d["media"]["id"]
    assert message.label(kind, None)


def test_caption_is_the_text_and_voice_is_flagged():
    assert parsed(msg("image", caption="tem esse?")).body == "tem esse?"
    assert parsed(msg("document", caption="minha nota")).body == "minha nota"
    assert parsed(msg("video", caption="olha")).body == "olha"
    a = parsed(msg("audio"))
    assert a.body is None and message.describe("audio", a.raw)["media"]["voice"] is True
    # Meta's own samples too
    img = webhook.parse(json.dumps(sample("webhooks/image.json")).encode()).messages[0]
    assert img.body == "tem esse?"


def test_context_of_a_quoting_reply():
    m = msg("text", body="esse aqui")
    m["context"] = {"from": "558533334444", "id": "wamid.ours.1"}
    assert message.describe("text", parsed(m).raw)["context"] == "wamid.ours.1"


def test_location_impossible_or_missing_coordinates():
    assert message.describe("location", msg("location"))["location"] == {"lat": -13.0094, "lon": -38.5095}
    for lat, lon in [(91, 0), (0, 181), ("NaN", 0), (None, 1), (True, 1), ("1e999", 0)]:
        assert message.describe("location", msg("location", latitude=lat, longitude=lon))["location"] is None
    assert message.describe("location", {"type": "location"})["location"] is None


def test_contact_card_with_500_numbers_is_cut_for_display():
    card = {"name": {"formatted_name": "Muitos"}, "phones": [{"phone": f"+55 85 9{i:08d}"} for i in range(500)]}
    d = message.describe("contacts", msg("contacts", cards=[card] * 30))
    assert len(d["contacts"]) == message.MAX_CONTACTS and d["more_contacts"] == 20
    assert len(d["contacts"][0]["phones"]) == message.MAX_PHONES and d["contacts"][0]["more_phones"] == 495


def test_malformed_parts_do_not_crash():
    for kind in ("image", "location", "contacts", "reaction", "order", "audio"):
        weird = {"type": kind, kind: "a string", "contacts": "x", "context": [1]}
        d = message.describe(kind, weird)
        assert d["type"] == kind
    assert message.describe("image", "not json")["media"]["id"] is None


def test_inbox_labels():
    assert message.label("image", None) == "📷 Foto"
    assert message.label("audio", None, 14.2) == "🎤 Áudio (0:14)"
    assert message.label("location", None) == "📍 Localização"
    assert message.label("image", "tem esse?") == "📷 Foto: tem esse?"
    assert message.label("text", "oi") == "oi"


def test_sniff_reads_the_bytes_not_the_label():
    assert media.sniff(png()) == "image/png"
    assert media.sniff(pdf()) == "application/pdf"
    assert media.sniff(ogg_opus(3)) == "audio/ogg"
    assert media.sniff(b"<html><script>alert(1)</script>") == "application/octet-stream"
    assert media.sniff(b"PK\x03\x04rest") == "application/zip"
    assert media.sniff(b"\xff\xd8\xff\xe0JFIF") == "image/jpeg"


def test_voice_note_length_from_the_ogg_stream(tmp_path):
    p = tmp_path / "v.ogg"
    p.write_bytes(ogg_opus(14.0))
    assert media.ogg_opus_seconds(p) == pytest.approx(14.0)
    p.write_bytes(png())
    assert media.ogg_opus_seconds(p) is None


def test_distance_and_delivery_reach():
    # Rio Vermelho (the test store) to Ondina: about 1.9 km; to Feira de Santana: about 100 km.
    assert knowledge.distance_km(-13.0025, -38.4935, -13.0094, -38.5095) == pytest.approx(1.9, abs=0.1)
    kb = knowledge.KB(version=1, store={"lat": -13.0025, "lon": -38.4935, "address": "Av."},
                      delivery={"available": True, "max_km": 8.0})
    assert knowledge.delivery_reach(kb, -13.0094, -38.5095)["inside"] is True
    far = knowledge.delivery_reach(kb, -12.2664, -38.9663)
    assert far["inside"] is False and far["km"] > 90
    assert knowledge.delivery_reach(knowledge.KB(version=1, delivery={"available": True}), 0, 0)["inside"] is None


def test_store_file_takes_coordinates_and_refuses_impossible_ones(tmp_path):
    base = (tmp_path / "s.toml")
    base.write_text('[store]\nname = "X"\naddress = "Y"\nlat = -13.0025\nlon = -38.4935\n[delivery]\nmax_km = 8\n'
                    '[hours]\n' + "".join(f'{d} = "08:00-18:00"\n' for d in knowledge.DAYS)
                    + '[payment]\nmethods = ["Pix"]\n')
    facts, _, errors = knowledge.parse_store(base)
    assert errors == [] and facts["store"]["lat"] == -13.0025 and facts["delivery"]["max_km"] == 8.0
    base.write_text(base.read_text().replace("lat = -13.0025", "lat = -113.0"))
    _, _, errors = knowledge.parse_store(base)
    assert any("[store] lat" in e for e in errors)
