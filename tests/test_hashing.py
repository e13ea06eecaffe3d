from swapkit.support.hashing import canonical_json, content_hash, request_hash


def test_canonical_json_sorts_keys_and_is_compact() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": "é"}]}) == (
        '{"a":[1,{"c":"é","d":2}],"b":1}'.encode()
    )


def test_canonical_json_handles_big_integers_like_small_ones() -> None:
    assert canonical_json({"x": 2**70}) == b'{"x":1180591620717411303424}'


def test_key_order_does_not_change_identity() -> None:
    a = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.2}
    b = {"temperature": 0.2, "messages": [{"content": "hi", "role": "user"}]}
    assert request_hash(a) == request_hash(b)


def test_transport_fields_do_not_change_identity_but_parameters_do() -> None:
    base = {"messages": [{"role": "user", "content": "hi"}]}
    assert request_hash(base) == request_hash({**base, "model": "r1", "stream": True})
    assert request_hash(base) != request_hash({**base, "temperature": 0.7})
    assert request_hash(base) == content_hash(base)
    assert len(request_hash(base)) == 64
