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
    "Utterance": {
        "type": "object",
        "properties": {
            "speaker": {"type": "string", "enum": list(SPEAKERS)},
            "text": {"type": "string", "minLength": 1},
        },
        "required": ["speaker", "text"],
    },
    "InteractionRequest": {
        "type": "object",
        "properties": {
            "interaction_id": {"type": "string"},
            "agent_id": {"type": "string", "description": "Agents may omit it (their own id is used)."},
            "touchpoint": {"$ref": "#/components/schemas/Touchpoint"},
            "customer_ref": {"type": "string"},
            "language": {"type": "string"},
            "topic": {"type": "string"},
            "utterances": {"type": "array", "items": {"$ref": "#/components/schemas/Utterance"}},
        },
        "required": ["touchpoint"],
    },
    "InteractionCreated": {
        "type": "object",
        "properties": {"interaction_id": {"type": "string"}},
        "required": ["interaction_id"],
    },
    "Suggestion": {
        "type": "object",
        "properties": {
            "entry_id": {"type": "string"},
            "text": {"type": "string"},
            "preference": {"type": "string", "enum": list(PREFERENCES)},
            "situation": {"$ref": "#/components/schemas/Situation"},
            "touchpoint": {"$ref": "#/components/schemas/Touchpoint"},
            "language": {"type": "string"},
            "reason": {"type": "string"},
        },
        "required": ["entry_id", "text", "preference", "situation", "touchpoint", "language"],
    },
    "Assist": {
        "type": "object",
        "properties": {
            "customer_preference": {"type": "string", "enum": list(PREFERENCES), "nullable": True},
            "probabilities": {**_PROBABILITIES, "nullable": True},
            "cues": {"type": "array", "items": _CUE},
            "agent_style": {"type": "string", "enum": list(PREFERENCES), "nullable": True},
            "match_score": {"type": "number", "nullable": True},
            "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/Suggestion"}},
        },
        "required": [
            "customer_preference",
            "probabilities",
            "cues",
            "agent_style",
            "match_score",
            "suggestions",
        ],
    },
    "Situation": {"type": "string", "enum": list(SITUATIONS)},
    "SurveyRequest": {
        "type": "object",
        "properties": {
            "interaction_id": {"type": "string", "minLength": 1},
            "score": {"type": "integer", "minimum": 0, "maximum": 10},
            "responded_at": {"type": "string", "format": "date-time"},
            "comment": {"type": "string"},
        },
        "required": ["interaction_id", "score", "responded_at"],
    },
    "SurveyCreated": {
        "type": "object",
        "properties": {"interaction_id": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["interaction_id", "score"],
    },
    "Eligibility": {
        "type": "object",
        "properties": {"eligible": {"type": "boolean"}, "reason": {"type": "string"}},
        "required": ["eligible", "reason"],
    },
}

_ID = [{"name": "interaction_id", "in": "path", "required": True, "schema": {"type": "string"}}]

_ERRORS = {
    str(status): {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for status, description in {
        400: "Malformed request",
        401: "No or bad token",
        403: "Role not allowed",
        404: "Unknown id",
        409: "Conflict",
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
            "responses": {
                "200": {"description": "Classification", "content": _json("Classification")},
                **_ERRORS,
            },
        }
    },
    "/interactions": {
        "post": {
            "summary": "Start (or record) an interaction, optionally with its utterances",
            "operationId": "createInteraction",
            "requestBody": {"required": True, "content": _json("InteractionRequest")},
            "responses": {
                "201": {"description": "Created", "content": _json("InteractionCreated")},
                **_ERRORS,
            },
        }
    },
    "/interactions/{interaction_id}/utterances": {
        "post": {
            "summary": "Add one turn (redacted before storage); answers with the updated assist",
            "operationId": "addUtterance",
            "parameters": _ID,
            "requestBody": {"required": True, "content": _json("Utterance")},
            "responses": {
                "201": {"description": "Assist after the turn", "content": _json("Assist")},
                **_ERRORS,
            },
        }
    },
    "/surveys": {
        "post": {
            "summary": "Record a post-contact NPS answer; a detractor gets a follow-up",
            "operationId": "createSurvey",
            "requestBody": {"required": True, "content": _json("SurveyRequest")},
            "responses": {"201": {"description": "Stored", "content": _json("SurveyCreated")}, **_ERRORS},
        }
    },
    "/surveys/eligibility": {
        "get": {
            "summary": "May this customer be surveyed now (caps per period, recent follow-ups)?",
            "operationId": "surveyEligibility",
            "parameters": [
                {"name": "customer_ref", "in": "query", "required": True, "schema": {"type": "string"}},
                {
                    "name": "touchpoint",
                    "in": "query",
                    "required": True,
                    "schema": {"$ref": "#/components/schemas/Touchpoint"},
                },
            ],
            "responses": {"200": {"description": "Answer", "content": _json("Eligibility")}, **_ERRORS},
        }
    },
    "/interactions/{interaction_id}/assist": {
        "get": {
            "summary": "The customer's preference, the agent's style, the match and suggestions",
            "operationId": "getAssist",
            "parameters": _ID,
            "responses": {"200": {"description": "Assist", "content": _json("Assist")}, **_ERRORS},
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
