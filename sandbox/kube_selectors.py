"""Field and label selectors, parsed and matched the way the Kubernetes API server does.

The production code finds the pods on a master with `fieldSelector=spec.nodeName=…` and kubectl waits
for a deleted node with `fieldSelector=metadata.name=…`; a sandbox that ignored selectors would let a
client bug (forgetting to filter, or filtering on the wrong field) pass unnoticed. Unsupported field
names are refused with the server's own message, as a real cluster would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class SelectorError(ValueError):
    """A selector the API server would answer 400 BadRequest to; the text is the server's message."""


@dataclass(frozen=True)
class FieldTerm:
    field: str
    value: str
    negated: bool  # "!=" rather than "=" / "=="


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()


def parse_field_selector(text: str | None) -> list[FieldTerm]:
    """`spec.nodeName=a,status.phase!=Running` → terms; an empty selector selects everything."""
    terms: list[FieldTerm] = []
    for raw in (text or "").split(","):
        term = raw.strip()
        if not term:
            continue
        for operator, negated in (("!=", True), ("==", False), ("=", False)):
            if operator in term:
                field, value = term.split(operator, 1)
                terms.append(FieldTerm(field.strip(), value.strip(), negated))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
    return terms


def match_fields(terms: list[FieldTerm], fields: dict[str, str]) -> bool:
    """Whether an object's selectable fields satisfy every term; an unknown field is an error."""
    for term in terms:
        if term.field not in fields:
            raise SelectorError(f"field label not supported: {term.field}")
        equal = fields[term.field] == term.value
        if equal == term.negated:
            return False
    return True


_SET_TERM = re.compile(r"^\s*(?P<key>[^\s!=(),]+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)\s*$")
_KEY = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def parse_label_selector(text: str | None) -> list[LabelRequirement]:
    """The label-selector grammar kubectl's `-l` speaks: =, ==, !=, in, notin, key, !key."""
    requirements: list[LabelRequirement] = []
    for term in _split_terms(text or ""):
        requirements.append(_parse_requirement(term))
    return requirements


def match_labels(requirements: list[LabelRequirement], labels: dict[str, str]) -> bool:
    for requirement in requirements:
        present = requirement.key in labels
        value = labels.get(requirement.key)
        if requirement.operator == "exists":
            ok = present
        elif requirement.operator == "!":
            ok = not present
        elif requirement.operator == "=":
            ok = present and value == requirement.values[0]
        elif requirement.operator == "!=":
            ok = not present or value != requirement.values[0]
        elif requirement.operator == "in":
            ok = present and value in requirement.values
        else:  # notin
            ok = not present or value not in requirement.values
        if not ok:
            return False
    return True


def _split_terms(text: str) -> list[str]:
    """Commas separate requirements, except inside the parentheses of `in (a,b)`."""
    terms: list[str] = []
    depth, current = 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t.strip() for t in terms if t.strip()]


def _parse_requirement(term: str) -> LabelRequirement:
    set_match = _SET_TERM.match(term)
    if set_match:
        values = tuple(v.strip() for v in set_match["values"].split(",") if v.strip())
        return LabelRequirement(_key(set_match["key"], term), set_match["op"], values)
    if term.startswith("!"):
        return LabelRequirement(_key(term[1:].strip(), term), "!")
    for operator, name in (("!=", "!="), ("==", "="), ("=", "=")):
        if operator in term:
            key, value = term.split(operator, 1)
            return LabelRequirement(_key(key.strip(), term), name, (value.strip(),))
    return LabelRequirement(_key(term, term), "exists")


def _key(key: str, term: str) -> str:
    if not _KEY.match(key):
        raise SelectorError(f"unable to parse requirement: found '{term}', expected: key")
    return key
