"""Make the AWS emulator (moto) cheaper per call without changing a byte it answers.

Measured on the suite (threads profiled with their CPU clocks): over 90 % of an API test's CPU is
inside moto, and a third of that is its response serializer asking, member by member, which of
up to a dozen aliases a value has (DynamoDB's nested attribute values make that ~150 lookups per
item).  For a plain ``dict`` the answer depends only on the shape, its parent and the key, so it is
remembered here; lookups, transformers and everything else run as before.  Two other pure
functions called on every request (a class's method names, an action's snake_case name) are
remembered too.  tests/test_emulator_speedups.py checks the answers are identical.
"""
from __future__ import annotations

import functools

from moto.core import responses, serialize
from moto.core.utils import MISSING, get_value as _get_value

_ORIGINAL_GET_VALUE = serialize.ResponseSerializer.get_value
_EMPTY: dict = {}
# (id(shape), id(parent), key) -> (shape, parent, possible keys): the objects are kept so that
# their ids stay theirs, and compared on every hit.
_KEYS: dict[tuple[int, int, str], tuple[object, object, tuple[str, ...]]] = {}


def _possible_keys(picker, shape, key: str) -> tuple[str, ...]:
    parent = getattr(shape, "parent", None)
    cache_key = (id(shape), id(parent), key)
    hit = _KEYS.get(cache_key)
    if hit is not None and hit[0] is shape and hit[1] is parent:
        return hit[2]
    context = serialize.AttributePickerContext(obj=_EMPTY, key=key, shape=shape,
                                               operation_model=None, service_model=None,
                                               key_path="")
    keys = tuple(picker.get_possible_keys(context))
    _KEYS[cache_key] = (shape, parent, keys)
    return keys


def get_value(self, value, key, shape):
    """``ResponseSerializer.get_value`` with the alias search remembered for plain dicts."""
    picker = self._value_picker
    if type(value) is not dict or type(picker) is not serialize.XFormedAttributePicker:
        return _ORIGINAL_GET_VALUE(self, value, key, shape)
    result = None
    for possible in _possible_keys(picker, shape, key):
        found = value.get(possible, MISSING) if "." not in possible else _get_value(
            value, possible, MISSING)
        if found is not MISSING:
            result = found
            break
    if picker.response_transformers:  # as AttributePicker.__call__ applies them
        key_path = f"{'.'.join(self.path)}.{key}"
        for transform_path, transform in picker.response_transformers.items():
            if key_path.endswith(transform_path):
                return transform(result)
    return result


def install() -> None:
    serialize.ResponseSerializer.get_value = get_value
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    responses.camelcase_to_underscores = functools.cache(responses.camelcase_to_underscores)
