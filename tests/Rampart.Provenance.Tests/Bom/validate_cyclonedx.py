"""Validates CycloneDX JSON documents against a local copy of the schema, with no network access.

Usage: validate_cyclonedx.py SCHEMA_DIR SCHEMA_FILE DOCUMENT...
Prints one line per document, "ok PATH" or "invalid PATH: reason", and exits 0 when every document is valid,
1 when one is not, 2 on a usage or set-up problem. The schemas the main one references (SPDX licence ids, JSF)
are served from SCHEMA_DIR by a local registry keyed by their $id.
"""
import json
import os
import sys
import urllib.parse

try:
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7
except ImportError as error:  # pragma: no cover - reported to the test as a skip reason
    print(f"missing module: {error}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir, schema_file, documents = argv[1], argv[2], argv[3:]
    resources = []
    for name in os.listdir(schema_dir):
        if not name.endswith(".schema.json"):
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as handle:
            contents = json.load(handle)
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        for uri in {contents.get("$id", name), name}:
            resources.append((uri, resource))
    registry = Registry().with_resources(resources)
    with open(os.path.join(schema_dir, schema_file), encoding="utf-8") as handle:
        schema = json.load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    checker = validator_class.FORMAT_CHECKER
    if "uri" not in checker.checkers:
        # jsonschema checks "uri" only when the optional rfc3987 module is installed. Without any check, a JSF
        # algorithm name such as "ES256" matches both branches of its oneOf (named algorithm | URI) and valid
        # samples fail; an absolute URI needs at least a scheme, which is the distinction the schema relies on.
        checker.checks("uri")(lambda value: not isinstance(value, str) or bool(urllib.parse.urlsplit(value).scheme))
    validator = validator_class(schema, registry=registry, format_checker=checker)
    failed = False
    for path in documents:
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as error:
            print(f"invalid {path}: not JSON ({error})")
            failed = True
            continue
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        if errors:
            failed = True
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path)
            print(f"invalid {path}: at /{where}: {first.message[:300]}")
        else:
            print(f"ok {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
