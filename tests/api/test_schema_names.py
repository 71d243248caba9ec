"""Every API schema class has its own name: the OpenAPI document keys its components by class name, so two classes
of one name in different modules would silently share one component and document (and check) the wrong shape."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from config.api import api


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_schema_class_names_are_unique_across_the_project() -> None:
    api.get_openapi_schema()  # imports every router and its schemas
    modules_of: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("afterschool."):
            modules_of[cls.__name__].add(cls.__module__)
    assert {name: sorted(mods) for name, mods in modules_of.items() if len(mods) > 1} == {}
