"""The OpenAPI 3.1 document of the JSON API; every /api rule must appear here (a test checks)."""
from __future__ import annotations

from typing import Any

from flask import current_app


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: int) -> dict[str, Any]:
    """Error responses, all with the common error body."""
    text = {400: "Invalid input; `error.field` names the field", 401: "No credentials",
            403: "Not allowed for this user", 404: "Not found", 409: "Conflict",
            413: "Too large", 415: "Unsupported media"}
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes if c in text}


def path_id(name: str) -> dict[str, Any]:
    """An integer id in the path."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


STAFF = [{"bearerAuth": []}, {"cookieAuth": []}]
NULLABLE_STRING = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
COUNTRY = {"type": ["object", "null"], "required": ["code", "name"],
           "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"},
            "field": {"type": "string", "description": "The input field at fault"}}}},
    },
    "Gallery": {
        "type": "object",
        "required": ["id", "title", "slug", "description", "credit", "category", "country", "date",
                     "status", "editors_pick", "pick_position", "cover_asset_id", "counts", "url"],
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "slug": {"type": "string"},
            "description": {"type": "string"}, "credit": {"type": "string"},
            "category": {"type": "object", "required": ["id", "name", "slug"], "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "slug": {"type": "string"}}},
            "country": COUNTRY, "date": DATE,
            "status": {"enum": ["draft", "published"]}, "editors_pick": {"type": "boolean"},
            "pick_position": {"type": ["integer", "null"]},
            "cover_asset_id": {"type": ["integer", "null"]},
            "counts": {"type": "object", "required": ["image", "video", "audio"], "properties": {
                "image": {"type": "integer"}, "video": {"type": "integer"}, "audio": {"type": "integer"}}},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
        },
    },
    "Asset": {
        "type": "object",
        "required": ["id", "gallery_id", "position", "media_type", "title", "caption", "alt_text",
                     "credit", "creator", "copyright", "keywords", "city", "country", "date_taken",
                     "status", "consent", "sensitive", "url"],
        "properties": {
            "id": {"type": "integer"}, "gallery_id": {"type": "integer"},
            "position": {"type": "integer"}, "media_type": {"enum": ["image", "video", "audio"]},
            "original_filename": {"type": "string"}, "mime_type": {"type": "string"},
            "bytes": {"type": "integer"}, "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]}, "duration": {"type": ["number", "null"]},
            "title": {"type": "string"}, "caption": {"type": "string"}, "alt_text": {"type": "string"},
            "credit": {"type": "string"}, "creator": {"type": "string"},
            "copyright": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}}, "city": {"type": "string"},
            "country": COUNTRY, "date_taken": DATE, "status": {"enum": ["draft", "published"]},
            "consent": {"enum": ["unknown", "obtained", "not_needed"]},
            "sensitive": {"type": "boolean"}, "created_at": {"type": "string"},
            "updated_at": {"type": "string"}, "url": {"type": "string", "format": "uri"},
        },
    },
    "GalleryInput": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 300},
            "description": {"type": "string"}, "credit": {"type": "string", "maxLength": 300},
            "category": {"type": ["integer", "string"], "description": "Id, slug or name"},
            "country": {"type": ["string", "null"], "description": "ISO code or name"},
            "date": {"type": ["string", "null"], "format": "date"},
            "status": {"enum": ["draft", "published"]}, "editors_pick": {"type": "boolean"},
            "pick_position": {"type": ["integer", "null"], "minimum": 0},
            "cover_asset_id": {"type": ["integer", "null"]},
        },
    },
    "AssetInput": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 300}, "caption": {"type": "string"},
            "alt_text": {"type": "string"}, "credit": {"type": "string"},
            "creator": {"type": "string"}, "copyright": {"type": "string"},
            "keywords": {"type": ["array", "string"], "items": {"type": "string"}},
            "city": {"type": "string"}, "country": {"type": ["string", "null"]},
            "date_taken": {"type": ["string", "null"], "format": "date"},
            "consent": {"enum": ["unknown", "obtained", "not_needed"]},
            "sensitive": {"type": "boolean"}, "status": {"enum": ["draft", "published"]},
            "gallery_id": {"type": "integer", "description": "Move the asset to this gallery"},
        },
    },
    "Order": {
        "type": "object", "required": ["order"],
        "properties": {"order": {"type": "array", "items": {"type": "integer"},
                                 "description": "Every asset id of the gallery, in the new order"}},
    },
}


def editor_paths() -> dict[str, Any]:
    """The editor API (issue 6)."""
    gallery_id, asset_id = path_id("gallery_id"), path_id("asset_id")
    return {
        "/api/galleries": {"post": {
            "operationId": "createGallery", "summary": "Create a gallery", "tags": ["editor"],
            "security": STAFF, "requestBody": json_body(ref("GalleryInput")),
            "responses": {"201": json_response("The new gallery", ref("Gallery")),
                          **errors(400, 401, 403)}}},
        "/api/galleries/{gallery_id}": {
            "patch": {
                "operationId": "updateGallery", "tags": ["editor"], "security": STAFF,
                "summary": "Change a gallery: fields, status, editors' pick, cover",
                "parameters": [gallery_id], "requestBody": json_body(ref("GalleryInput")),
                "responses": {"200": json_response("The gallery", ref("Gallery")),
                              **errors(400, 401, 403, 404)}},
            "delete": {
                "operationId": "deleteGallery", "summary": "Move a gallery to the trash",
                "tags": ["editor"], "security": STAFF, "parameters": [gallery_id],
                "responses": {"204": {"description": "In the trash"}, **errors(401, 403, 404)}},
        },
        "/api/galleries/{gallery_id}/order": {"post": {
            "operationId": "orderGallery", "summary": "Set the order of a gallery's assets",
            "tags": ["editor"], "security": STAFF, "parameters": [gallery_id],
            "requestBody": json_body(ref("Order")),
            "responses": {"200": json_response("The order now", ref("Order")),
                          **errors(400, 401, 403, 404)}}},
        "/api/assets/{asset_id}": {
            "patch": {
                "operationId": "updateAsset", "tags": ["editor"], "security": STAFF,
                "summary": "Change an asset's fields; gallery_id moves it",
                "parameters": [asset_id], "requestBody": json_body(ref("AssetInput")),
                "responses": {"200": json_response("The asset", ref("Asset")),
                              **errors(400, 401, 403, 404)}},
            "delete": {
                "operationId": "deleteAsset", "summary": "Move an asset to the trash",
                "tags": ["editor"], "security": STAFF, "parameters": [asset_id],
                "responses": {"204": {"description": "In the trash"}, **errors(401, 403, 404)}},
        },
        "/api/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This document", "tags": ["meta"], "security": [],
            "responses": {"200": json_response("OpenAPI 3.1 document", {"type": "object"})}}},
    }


# Each area adds its own paths function here.
PATH_SECTIONS = (editor_paths,)


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {}
    for section in PATH_SECTIONS:
        for path, operations in section().items():
            paths.setdefault(path, {}).update(operations)
    responses = {f"E{code}": json_response(text, ref("Error")) for code, text in (
        (400, "Invalid input; error.field names the field"), (401, "No credentials"),
        (403, "Not allowed for this user"), (404, "Not found"), (409, "Conflict"),
        (413, "Too large"), (415, "Unsupported media"))}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{current_app.config['SITE_NAME']} API", "version": "1.0.0",
                 "description": "Read-only catalogue API and the editor API. Editors authenticate "
                                "with `Authorization: Bearer <token>` (tokens from the account page "
                                "or `gallery create-token`) or with the session cookie plus an "
                                "X-CSRFToken header."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": responses,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
