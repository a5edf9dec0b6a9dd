"""JSON schemas of the API's answers (the OpenAPI components) and the CSV columns derived
from them."""

from __future__ import annotations

from typing import Any

from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
)
from forum.queries import PUBLIC_CONSULTATION_STATUSES


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


TIME = {"type": "string", "format": "date-time"}


TEXT = {"type": "string"}


INT = {"type": "integer", "minimum": 0}


URL = {"type": "string", "description": "Absolute address of the public page."}


AGENCY_REF = _object({"slug": TEXT, "name": TEXT})


SCHEMAS: dict[str, dict[str, Any]] = {
    "Agency": _object(
        {
            "slug": TEXT,
            "name": TEXT,
            "short_name": TEXT,
            "description": TEXT,
            "is_active": {"type": "boolean"},
        }
    ),
    "Consultation": _object(
        {
            "id": INT,
            "title": TEXT,
            "summary": TEXT,
            "status": {"type": "string", "enum": list(PUBLIC_CONSULTATION_STATUSES)},
            "agency": AGENCY_REF,
            "opens_at": TIME,
            "closes_at": TIME,
            "published_at": _nullable(TIME),
            "closed_at": _nullable(TIME),
            "comment_count": INT,
            "url": URL,
        }
    ),
    "Section": _object(
        {
            "position": INT,
            "heading": TEXT,
            "level": INT,
            "text": {"type": "string", "description": "Markdown."},
            "comment_count": INT,
        }
    ),
    "Comment": _object(
        {
            "id": INT,
            "parent_id": _nullable(INT),
            "section": _nullable(
                {**INT, "description": "Section position; null: the whole draft."}
            ),
            "author": {"type": "string", "description": "The author's display name."},
            "text": TEXT,
            "published_at": _nullable(TIME),
            "support_count": INT,
            "url": URL,
        },
        "A published comment or reply (replies carry their parent's id).",
    ),
    "Aspiration": _object(
        {
            "ticket": TEXT,
            "title": TEXT,
            "text": TEXT,
            "status": {"type": "string", "enum": list(PUBLIC_ASPIRATION_STATUSES)},
            "anonymous": {"type": "boolean"},
            "author": _nullable(
                {"type": "string", "description": "Display name; null when anonymous."}
            ),
            "category": _object({"slug": TEXT, "name": TEXT}),
            "region": _object({"code": TEXT, "name": TEXT}),
            "agency": {"oneOf": [AGENCY_REF, {"type": "null"}]},
            "support_count": INT,
            "published_at": _nullable(TIME),
            "routed_at": _nullable(TIME),
            "due_at": _nullable(TIME),
            "first_response_at": _nullable(TIME),
            "closed_at": _nullable(TIME),
            "url": URL,
        }
    ),
    "Response": _object(
        {
            "id": INT,
            "agency": AGENCY_REF,
            "text": TEXT,
            "created_at": TIME,
            "updated_at": _nullable(TIME),
            "target": {"type": "string", "enum": ["aspiration", "comment"]},
            "ticket": _nullable(TEXT),
            "consultation_id": _nullable(INT),
            "comment_id": _nullable(INT),
            "url": URL,
        },
        "An official response to a public aspiration or a published comment.",
    ),
    "AccountabilityRow": _object(
        {
            "agency": AGENCY_REF,
            "received": INT,
            "answered": INT,
            "on_time": INT,
            "late": INT,
            "overdue": INT,
            "waiting": INT,
            "median_hours": {"type": ["number", "null"]},
        }
    ),
    "ApiError": _object(
        {
            "error": {
                "type": "string",
                "description": "Machine-readable code: invalid_parameter or not_found.",
            },
            "detail": {
                "type": "string",
                "description": "Human-readable message, in the deployment's default language.",
            },
            "parameter": _nullable(TEXT),
        }
    ),
}


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page_of(item: str) -> dict[str, Any]:
    return _object(
        {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": INT,
            "pages": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": schema_ref(item)},
        }
    )


SCHEMAS.update(
    {
        "ConsultationDetail": _object(
            {
                **SCHEMAS["Consultation"]["properties"],
                "sections": {"type": "array", "items": schema_ref("Section")},
            }
        ),
        "AspirationDetail": _object(
            {
                **SCHEMAS["Aspiration"]["properties"],
                "responses": {"type": "array", "items": schema_ref("Response")},
            }
        ),
        "Accountability": _object(
            {
                "since": {"type": "string", "format": "date"},
                "until": {"type": "string", "format": "date"},
                "agencies": {"type": "array", "items": schema_ref("AccountabilityRow")},
            }
        ),
        **{
            f"{name}Page": _page_of(name)
            for name in ("Agency", "Consultation", "Comment", "Aspiration", "Response")
        },
    }
)


def csv_columns(schema_name: str) -> list[tuple[str, ...]]:
    """CSV columns of one item: its properties, nested objects flattened (agency_slug…)."""
    columns: list[tuple[str, ...]] = []
    for name, prop in SCHEMAS[schema_name]["properties"].items():
        nested = prop if prop.get("type") == "object" else None
        if "oneOf" in prop:
            nested = next((p for p in prop["oneOf"] if p.get("type") == "object"), None)
        if nested is not None:
            columns.extend((name, sub) for sub in nested["properties"])
        elif prop.get("type") != "array":
            columns.append((name,))
    return columns
