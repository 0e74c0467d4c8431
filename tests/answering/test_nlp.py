from assistant.answering import nlp


def test_parse_survives_eviction_of_a_requested_text(monkeypatch):
    # A batch that mixes a cached text (the oldest) with new ones must not lose the cached one to eviction.
    monkeypatch.setattr(nlp, "_CACHE_SIZE", 2)
    monkeypatch.setattr(nlp, "_cache", nlp.OrderedDict())
    nlp.parse(["Old sentence one."])
    docs = nlp.parse(["Old sentence one.", "New sentence two.", "New sentence three."])
    assert [d.text for d in docs] == ["Old sentence one.", "New sentence two.", "New sentence three."]
    assert len(nlp._cache) == 2


def test_parse_returns_one_doc_per_text_in_order_with_repeats():
    docs = nlp.parse(["Nike paid $50m.", "Reebok paid $20m.", "Nike paid $50m."])
    assert [d.text for d in docs] == ["Nike paid $50m.", "Reebok paid $20m.", "Nike paid $50m."]
    assert docs[0] is docs[2]
