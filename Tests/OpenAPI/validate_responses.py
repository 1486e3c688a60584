#!/usr/bin/env python3
"""Validates recorded API responses against deploy/openapi.yaml (OpenAPI 3.1 = JSON Schema
2020-12): each response's status must be documented for its operation, and its JSON body must
match the documented schema. Objects are held to the properties they list: a key a schema does
not name is an error unless the schema says `additionalProperties`, so the document cannot
silently fall behind the server.

Usage: validate_responses.py OPENAPI.yaml SAMPLES.json
SAMPLES.json: [{"method": "get", "path": "/v1/accounts/A1", "status": 200, "body": <JSON or null>}]
Exit 0 when every sample matches; 1 with one line per problem otherwise.
"""
import copy
import json
import sys

import jsonschema
import yaml


def close_objects(node):
    """additionalProperties: false on every schema object that lists properties and says nothing else."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and "patternProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


def template_for(paths, path):
    """The documented path template a concrete path belongs to; literal segments beat captures."""
    parts = path.split("/")
    best, best_score = None, -1
    for template in paths:
        t = template.split("/")
        if len(t) != len(parts):
            continue
        score = 0
        for a, b in zip(parts, t):
            if a == b:
                score += 2
            elif b.startswith("{") and b.endswith("}"):
                score += 1
            else:
                break
        else:
            if score > best_score:
                best, best_score = template, score
    return best


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target = doc
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def check(body, schema, components, where):
    """The problems of one body against one schema, components closed as above."""
    schema = copy.deepcopy(schema)
    close_objects(schema)
    root = dict(schema)
    root["components"] = components
    validator = jsonschema.Draft202012Validator(root)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f'{where}: {"/".join(str(p) for p in e.absolute_path) or "(body)"}: {e.message[:300]}' for e in errors[:5]]


def main():
    doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    samples = json.load(open(sys.argv[2], encoding="utf-8"))
    components = copy.deepcopy(doc.get("components", {}))
    close_objects(components)
    problems = []
    checked = 0
    for s in samples:
        where = f'{s["method"].upper()} {s["path"]} → {s["status"]}'
        template = template_for(doc["paths"], s["path"].split("?")[0])
        if template is None:
            # An unknown route's 404 is the API's error body; nothing else may fall outside the paths.
            if s["status"] == 404:
                problems += check(s["body"], {"$ref": "#/components/schemas/Error"}, components, where)
                checked += 1
            else:
                problems.append(f"{where}: no documented path")
            continue
        operation = doc["paths"][template].get(s["method"].lower())
        if operation is None:
            problems.append(f"{where}: {s['method'].upper()} {template} is not documented")
            continue
        responses = operation.get("responses", {})
        response = responses.get(str(s["status"])) or responses.get("default")
        if response is None:
            problems.append(f"{where}: status not documented for {template} (documented: {sorted(responses)})")
            continue
        response = resolve(doc, response)
        schema = (response.get("content", {}).get("application/json") or {}).get("schema")
        if s["body"] is None:
            continue
        if schema is None:
            problems.append(f"{where}: a JSON body, but the document gives this response no schema")
            continue
        problems += check(s["body"], schema, components, where)
        checked += 1
    for p in problems:
        print(p)
    print(f"{checked} JSON bodies checked against their schemas, {len(samples)} responses, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
