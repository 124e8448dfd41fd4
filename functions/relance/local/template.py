"""Read template.yaml (CloudFormation tags included) and resolve the intrinsics the local stack needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

PSEUDO = {"AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
          "AWS::NoValue": None}


def load_template(path: Path) -> dict[str, Any]:
    yaml = YAML(typ="safe", pure=True)

    def tagged(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
        name = suffix.lstrip("!")
        if node.id == "scalar":
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = value.split(".", 1)
        elif node.id == "sequence":
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Ref": value} if name == "Ref" else {f"Fn::{name}": value}

    yaml.constructor.add_multi_constructor("!", tagged)
    return yaml.load(path.read_text(encoding="utf-8"))


class Resolver:
    """Resolves Ref / GetAtt / Sub / If / Equals / Not / Join against the local physical resources."""

    def __init__(self, template: dict[str, Any], *, stack_name: str, region: str) -> None:
        self.template = template
        self.pseudo = {**PSEUDO, "AWS::StackName": stack_name, "AWS::Region": region}
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()}
        self.refs: dict[str, str] = {}
        self.attributes: dict[tuple[str, str], str] = {}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        (key, arg), = value.items()
        if key == "Ref":
            if arg in self.pseudo:
                return self.pseudo[arg]
            if arg in self.parameters:
                return self.parameters[arg]
            return self.refs[arg]
        if key == "Fn::GetAtt":
            logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self.attributes[(logical, attribute)]
        if key == "Fn::Sub":
            text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub(m.group(1), extra)), text)
        if key == "Fn::Equals":
            left, right = self.resolve(arg)
            return left == right
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::If":
            name, yes, no = arg
            return self.resolve(yes if self.condition(name) else no)
        if key == "Fn::Join":
            sep, items = arg
            return sep.join(str(i) for i in self.resolve(items))
        return {key: self.resolve(arg)}

    def _sub(self, name: str, extra: dict[str, Any]) -> Any:
        if name in extra:
            return extra[name]
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.attributes[(logical, attribute)]
        return self.resolve({"Ref": name})
