"""The OpenAPI 3 description of /api/v1, kept beside the views it describes."""

from __future__ import annotations

from typing import Any

from app.vocabulary import PREFERENCES, SITUATIONS, SPEAKERS, TOUCHPOINTS

_PROBABILITIES = {
    "type": "object",
    "properties": {label: {"type": "number", "minimum": 0, "maximum": 1} for label in PREFERENCES},
    "required": list(PREFERENCES),
}
_CUE = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "preference": {"type": "string", "enum": list(PREFERENCES)},
        "weight": {"type": "number"},
        "start": {"type": "integer"},
        "end": {"type": "integer"},
    },
    "required": ["text", "preference", "weight"],
}
SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                "required": ["code", "message"],
            }
        },
        "required": ["error"],
    },
    "ClassifyRequest": {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "side": {"type": "string", "enum": list(SPEAKERS)},
            "lang": {"type": "string"},
        },
        "required": ["text", "side"],
    },
    "Classification": {
        "type": "object",
        "properties": {
            "preference": {"type": "string", "enum": list(PREFERENCES)},
            "lang": {"type": "string"},
            "probabilities": _PROBABILITIES,
            "cues": {"type": "array", "items": _CUE},
            "confidence": {"type": "number"},
            "clear": {"type": "boolean"},
        },
        "required": ["preference", "lang", "probabilities", "cues"],
    },
    "Touchpoint": {"type": "string", "enum": list(TOUCHPOINTS)},
    "Situation": {"type": "string", "enum": list(SITUATIONS)},
}

_ERRORS = {
    str(status): {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, description in {
        400: "Malformed request",
        401: "No or bad token",
        403: "Role not allowed",
        413: "Too large",
        415: "Not JSON",
        422: "Invalid value",
        429: "Rate limited",
    }.items()
}


def _json(schema_name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}


PATHS: dict[str, Any] = {
    "/classify": {
        "post": {
            "summary": "Classify one text's service preference",
            "operationId": "classify",
            "requestBody": {"required": True, "content": _json("ClassifyRequest")},
            "responses": {"200": {"description": "Classification", "content": _json("Classification")}, **_ERRORS},
        }
    },
}


def describe() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Matchpoint API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": PATHS,
    }
