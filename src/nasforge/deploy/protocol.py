"""The model server's OpenAPI description: what each route takes and answers, status by status.

The handlers parse bodies themselves (fast, with precise errors), so these schemas document the
wire format for clients and for schema-driven fuzzers; they are not used to validate requests.
"""

from __future__ import annotations

from typing import Any

MAX_BATCH = 1024  # examples in one request

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string", "description": "what was wrong, and what was expected"}},
    "required": ["error"],
}
TENSOR_OUT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": ["FP32", "BYTES"]},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "data": {"type": "array", "items": {"type": ["number", "string"]}},
    },
    "required": ["name", "datatype", "shape", "data"],
}
TENSOR_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["name", "datatype", "shape"],
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "a malformed request (the error says what was expected)",
        401: "a missing or wrong bearer token (when the server has one)",
        404: "no model of that name",
        413: "a body or batch above the limits",
        500: "the model failed on this input",
    }
    return {status: _json(ERROR, words[status]) for status in statuses}


def infer_request(input_shape: list[int]) -> dict[str, Any]:
    """The JSON schema of an inference request for a model taking `input_shape` examples. (That
    `data` holds exactly batch x the example's size numbers is checked, not expressible here.)"""
    dims = [{"type": "integer", "minimum": 1, "maximum": MAX_BATCH}] + [{"const": d} for d in input_shape]
    nested: dict[str, Any] = {"type": "number"}
    for _ in input_shape:
        nested = {"anyOf": [{"type": "number"}, {"type": "array", "items": nested}]}
    tensor = {
        "type": "object",
        "properties": {
            "name": {"const": "input"},
            "datatype": {"const": "FP32"},
            "shape": {"type": "array", "prefixItems": dims, "items": False, "minItems": len(dims)},
            "data": {
                "type": "array",
                "items": nested,
                "description": "the numbers, flat or nested, row-major",
            },
        },
        "required": ["name", "datatype", "shape", "data"],
    }
    schema = {
        "type": "object",
        "properties": {"inputs": {"type": "array", "items": tensor, "minItems": 1, "maxItems": 1}},
        "required": ["inputs"],
    }
    size = 1
    for d in input_shape:
        size *= d
    example = {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, *input_shape], "data": [0.0] * size}]
    }
    return {"required": True, "content": {"application/json": {"schema": schema, "example": example}}}


def documented(app: Any, model_name: str, input_shape: list[int], token: bool) -> None:
    """Complete `app`'s OpenAPI schema: request body, every status each route answers with its
    body, the model's name as the only valid path value, and the bearer token where one is set."""
    schema = app.openapi()
    paths = schema["paths"]
    name = {
        "name": "model",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": [model_name]},
    }
    infer = paths.setdefault("/v2/models/{model}/infer", {}).setdefault("post", {})  # a plain route
    infer["summary"], infer["operationId"] = "Infer", "infer_v2_models__model__infer_post"
    infer["requestBody"] = infer_request(input_shape)
    infer["parameters"] = [name]
    infer["responses"] = {
        200: _json(
            {
                "type": "object",
                "properties": {
                    "model_name": {"type": "string"},
                    "outputs": {"type": "array", "items": TENSOR_OUT},
                },
                "required": ["model_name", "outputs"],
            },
            "the outputs: probabilities and labels, or a regression's predictions",
        ),
        **_errors(400, 401, 404, 413, 500),
    }
    metadata = paths["/v2/models/{model}"]["get"]
    metadata["parameters"] = [name]
    metadata["responses"] = {
        200: _json(
            {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "platform": {"type": "string"},
                    "inputs": {"type": "array", "items": TENSOR_META},
                    "outputs": {"type": "array", "items": TENSOR_META},
                },
                "required": ["name", "platform", "inputs", "outputs"],
            },
            "the model's inputs and outputs (-1: any batch size)",
        ),
        **_errors(401, 404),
    }
    server = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": "string"},
            "extensions": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "version", "extensions"],
    }
    paths["/v2"]["get"]["responses"] = {
        200: _json(server, "the server's name, version and extensions"),
        **_errors(401),
    }
    ready = paths["/v2/models/{model}/ready"]["get"]
    ready["parameters"] = [name]
    model_ready = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "ready": {"type": "boolean"}},
        "required": ["name", "ready"],
    }
    ready["responses"] = {200: _json(model_ready, "the model is loaded and answers"), **_errors(401, 404)}
    for route, field in (("/v2/health/live", "live"), ("/v2/health/ready", "ready")):
        body = {"type": "object", "properties": {field: {"type": "boolean"}}, "required": [field]}
        paths[route]["get"]["responses"] = {
            200: _json(body, f"{field}: always true while the server answers")
        }
    text = {"description": "Prometheus metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
    paths["/metrics"]["get"]["responses"] = {200: text, **_errors(401)}
    if token:
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}
        }
        for route, operations in paths.items():
            for operation in operations.values():
                if not route.startswith("/v2/health"):
                    operation["security"] = [{"bearer": []}]
    schema.get("components", {}).pop("schemas", None)  # FastAPI's validation-error models: never sent
    app.openapi_schema = schema
