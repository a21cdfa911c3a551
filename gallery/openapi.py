"""The OpenAPI 3.1 document of the JSON API; every /api rule must appear here (a test checks)."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app

from gallery.i18n.locale import LANGUAGES
from gallery.licences import LICENCES, RIGHTS_TEXT_LIMIT
from gallery.models import CONSENT_STATUSES


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A response with a JSON body."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: int) -> dict[str, Any]:
    """Error responses, all with the common error body."""
    text = {400: "Invalid input; `error.field` names the field", 401: "No credentials, or a bearer token that is not live",
            403: "Not allowed for this user", 404: "Not found", 409: "Conflict",
            413: "Too large", 415: "Unsupported media"}
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes if c in text}


def path_id(name: str) -> dict[str, Any]:
    """An integer id in the path."""
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 2**31 - 1}}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON request body."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


STAFF = [{"bearerAuth": []}, {"cookieAuth": []}]
DATE = {"type": ["string", "null"], "format": "date"}
EMBARGO = {"type": ["string", "null"],
           "description": "Embargo: hidden from the public until this time (ISO 8601; UTC unless an offset is given)"}
RIGHTS_END = {"type": ["string", "null"], "format": "date",
              "description": "Usage rights end on this date (UTC): then withdrawn from public view and downloads"}
RIGHTS_INPUT = {
    "licence": {"enum": ["", *LICENCES], "description": "Empty: none (an asset: its gallery's)"},
    "usage_terms": {"type": "string", "maxLength": RIGHTS_TEXT_LIMIT},
    "restrictions": {"type": "string", "maxLength": RIGHTS_TEXT_LIMIT},
}
# Content in several languages (services/translations.py): the interface's languages.
CONTENT_LANGUAGES = list(LANGUAGES)
LANGUAGE = {"enum": CONTENT_LANGUAGES,
            "description": "The gallery's original language: plain text fields are written in it"}


def text_or_map(max_length: int | None = None) -> dict[str, Any]:
    """A text field as a plain string (the original) or a map of languages to texts."""
    plain: dict[str, Any] = {"type": "string"}
    if max_length:
        plain["maxLength"] = max_length
    return {"oneOf": [plain, {"type": "object", "additionalProperties": False,
                              "properties": {code: plain for code in CONTENT_LANGUAGES}}],
            "description": 'A string in the gallery\'s language, or {"en": "...", "fr": "..."}'}


def translations_schema(names: tuple[str, ...]) -> dict[str, Any]:
    """{"fr": {"caption": "..."}}: the texts in languages other than the original."""
    entry = {"type": "object", "additionalProperties": False,
             "properties": {name: {"type": "string"} for name in names}}
    return {"type": "object", "additionalProperties": False,
            "properties": {code: entry for code in CONTENT_LANGUAGES},
            "description": "Translations per language (other than the original)"}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"},
            "field": {"type": "string", "description": "The input field at fault"},
            "existing_id": {"type": "integer", "description": "A duplicate upload: the asset it repeats"},
            "existing_url": {"type": "string", "description": "A duplicate upload: that asset's page"}}}},
    },
    "Category": {
        "type": "object", "required": ["id", "slug", "name"],
        "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                       "name": {"type": "string"}, "url": {"type": "string"},
                       "gallery_count": {"type": "integer"}},
    },
    "Country": {
        "type": "object", "required": ["code", "name"],
        "properties": {"code": {"type": "string", "minLength": 3, "maxLength": 3},
                       "alpha2": {"type": "string"}, "name": {"type": "string"},
                       "url": {"type": "string"}, "gallery_count": {"type": "integer"}},
    },
    "Renditions": {
        "type": "object",
        "description": ("Renditions the caller may see, by size (thumb, preview); for a sensitive "
                        "asset without the rights to it, only blurred. URLs carry a version (?v=)."),
        "additionalProperties": {"type": "object", "required": ["url", "width", "height"],
                                 "properties": {"url": {"type": "string"},
                                                "width": {"type": "integer"},
                                                "height": {"type": "integer"}}},
    },
    "Pagination": {
        "type": "object", "required": ["page", "per_page", "total", "pages"],
        "properties": {"page": {"type": "integer"}, "per_page": {"type": "integer"},
                       "total": {"type": "integer"}, "pages": {"type": "integer"}},
    },
    "Gallery": {
        "type": "object",
        "required": ["id", "title", "slug", "description", "credit", "category", "country", "date",
                     "status", "editors_pick", "pick_position", "counts", "url"],
        "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "slug": {"type": "string"},
            "description": {"type": "string"}, "credit": {"type": "string"},
            "category": ref("Category"),
            "country": {"oneOf": [ref("Country"), {"type": "null"}]}, "date": DATE,
            "status": {"enum": ["draft", "published"]}, "editors_pick": {"type": "boolean"},
            "pick_position": {"type": ["integer", "null"]},
            "embargo_until": EMBARGO, "rights": ref("Rights"),
            "cover_asset_id": {"type": ["integer", "null"], "description": "Editor API only"},
            "cover": {"type": ["object", "null"]},
            "counts": {"type": "object", "required": ["image", "video", "audio"], "properties": {
                "image": {"type": "integer"}, "video": {"type": "integer"},
                "audio": {"type": "integer"}, "total": {"type": "integer"}}},
            "created_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]},
            "url": {"type": "string"}, "api_url": {"type": "string"},
            "language": LANGUAGE,
            "translations": translations_schema(("title", "description")),
        },
    },
    "Asset": {
        "type": "object", "additionalProperties": False,
        "description": "An asset, the same in every answer; the editor APIs add consent, "
                       "original_filename and sha256.",
        "required": ["id", "gallery_id", "media_type", "title", "caption", "alt_text",
                     "credit", "creator", "copyright", "keywords", "city", "country", "date_taken",
                     "status", "sensitive", "url"],
        "properties": {
            "id": {"type": "integer"}, "gallery_id": {"type": "integer"},
            "position": {"type": "integer"}, "media_type": {"enum": ["image", "video", "audio"]},
            "original_filename": {"type": "string", "description": "Editor API only"},
            "sha256": {"type": "string", "description": "Editor API only: SHA-256 of the original"},
            "mime_type": {"type": "string"},
            "bytes": {"type": "integer"}, "width": {"type": ["integer", "null"]},
            "height": {"type": ["integer", "null"]}, "duration": {"type": ["number", "null"]},
            "title": {"type": "string"},
            "display_title": {"type": "string", "description":
                              "The title, else the caption's start, else 'Photo 3 of <gallery title>' "
                              "(never the uploaded file name)"},
            "caption": {"type": "string"}, "alt_text": {"type": "string"},
            "credit": {"type": "string"}, "creator": {"type": "string"},
            "copyright": {"type": "string"},
            "keywords": {"type": "array", "items": {"type": "string"}}, "city": {"type": "string"},
            "country": {"oneOf": [ref("Country"), {"type": "null"}]}, "date_taken": DATE,
            "status": {"enum": ["draft", "published"]},
            "embargo_until": EMBARGO, "rights_expire_on": RIGHTS_END, "rights": ref("Rights"),
            "consent": {"enum": list(CONSENT_STATUSES),
                        "description": "Editor API only; withheld: never shown to the public"},
            "sensitive": {"type": "boolean"}, "renditions": ref("Renditions"),
            "created_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]},
            "url": {"type": "string"}, "api_url": {"type": "string"},
            "language": LANGUAGE,
            "translations": translations_schema(("title", "caption", "alt_text")),
        },
    },
    "Rights": {
        "type": "object", "description": "Licence, usage terms and restrictions (an asset's own over its gallery's)",
        "properties": {"licence": {"type": ["string", "null"]}, "licence_name": {"type": ["string", "null"]},
                       "licence_url": {"type": ["string", "null"]}, "usage_terms": {"type": "string"},
                       "restrictions": {"type": "string"}},
    },
    "GalleryInput": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "title": text_or_map(300),
            "description": text_or_map(), "credit": {"type": "string", "maxLength": 300},
            "language": LANGUAGE,
            "translations": translations_schema(("title", "description")),
            "category": {"type": ["integer", "string"], "description": "Id, slug or name"},
            "country": {"type": ["string", "null"], "description": "ISO code or name"},
            "date": {"type": ["string", "null"], "format": "date"},
            "status": {"enum": ["draft", "published"]}, "editors_pick": {"type": "boolean"},
            "pick_position": {"type": ["integer", "null"], "minimum": 0},
            "cover_asset_id": {"type": ["integer", "null"]},
            "embargo_until": EMBARGO, **RIGHTS_INPUT,
        },
    },
    "AssetInput": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "title": text_or_map(300), "caption": text_or_map(),
            "alt_text": text_or_map(), "credit": {"type": "string"},
            "translations": translations_schema(("title", "caption", "alt_text")),
            "creator": {"type": "string"}, "copyright": {"type": "string"},
            "keywords": {"type": ["array", "string"], "items": {"type": "string"}},
            "city": {"type": "string"}, "country": {"type": ["string", "null"]},
            "date_taken": {"type": ["string", "null"], "format": "date"},
            "consent": {"enum": list(CONSENT_STATUSES)},
            "sensitive": {"type": "boolean"}, "status": {"enum": ["draft", "published"]},
            "embargo_until": EMBARGO, "rights_expire_on": RIGHTS_END, **RIGHTS_INPUT,
            "gallery_id": {"type": "integer", "description": "Move the asset to this gallery"},
        },
    },
    "Arrange": {
        "type": "object", "required": ["ids"],
        "properties": {
            "ids": {"type": "array", "items": {"type": "integer"},
                    "description": "Assets of the gallery (one upload, one page), in the wanted order"},
            "order": {"type": "string", "enum": ["selection", "name", "date"], "default": "selection",
                      "description": "As selected, by file name, or by date taken (undated last)"}},
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
        "/api/galleries/{gallery_id}/arrange": {"post": {
            "operationId": "arrangeAssets",
            "summary": "Put some assets in the given order (or sorted), in the positions they hold",
            "tags": ["editor"], "security": STAFF, "parameters": [gallery_id],
            "requestBody": json_body(ref("Arrange")),
            "responses": {"200": json_response("The files in their new order", {
                "type": "object", "required": ["ids"],
                "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}}),
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


def browse_paths() -> dict[str, Any]:
    """The read-only catalogue API (browse issue): published material for everyone, drafts for staff."""
    page = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 2**31 - 1}},
            {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 2**31 - 1}}]
    filters = [{"name": n, "in": "query", "schema": {"type": "string"}, "description": d}
               for n, d in (("category", "Category slug"), ("country", "ISO alpha-3 code"),
                            ("type", "image, video or audio"))]
    listing = {"type": "object", "required": ["galleries", "pagination"], "properties": {
        "galleries": {"type": "array", "items": ref("Gallery")}, "pagination": ref("Pagination")}}
    one = {"type": "object", "required": ["gallery", "assets", "pagination"], "properties": {
        "gallery": ref("Gallery"), "assets": {"type": "array", "items": ref("Asset")},
        "pagination": ref("Pagination")}}
    return {
        "/api/galleries": {"get": {
            "operationId": "listGalleries", "summary": "Galleries, newest first", "tags": ["catalogue"],
            "parameters": filters + page,
            "responses": {"200": json_response("A page of galleries", listing), **errors(400, 401)}}},
        "/api/galleries/{gallery_id}": {"get": {
            "operationId": "getGallery", "summary": "A gallery and a page of its assets",
            "tags": ["catalogue"], "parameters": [path_id("gallery_id"), *page],
            "responses": {"200": json_response("The gallery", one), **errors(400, 401, 404)}}},
        "/api/assets/{asset_id}": {"get": {
            "operationId": "getAsset", "summary": "One asset", "tags": ["catalogue"],
            "parameters": [path_id("asset_id")],
            "responses": {"200": json_response("The asset", {
                "type": "object", "required": ["asset"], "properties": {"asset": ref("Asset")}}),
                **errors(401, 404)}}},
        "/api/categories": {"get": {
            "operationId": "listCategories", "summary": "Categories with gallery counts",
            "tags": ["catalogue"], "responses": {"200": json_response("Categories", {
                "type": "object", "required": ["categories"],
                "properties": {"categories": {"type": "array", "items": ref("Category")}}})}}},
        "/api/countries": {"get": {
            "operationId": "listCountries", "summary": "Countries with published galleries",
            "tags": ["catalogue"], "responses": {"200": json_response("Countries", {
                "type": "object", "required": ["countries"],
                "properties": {"countries": {"type": "array", "items": ref("Country")}}})}}},
    }


def search_paths() -> dict[str, Any]:
    """Caption search (search issue)."""
    params = [{"name": n, "in": "query", "schema": {"type": t}} for n, t in (
        ("q", "string"), ("category", "string"), ("country", "string"), ("type", "string"),
        ("year", "string"), ("credit", "string"), ("gallery", "string"), ("date_from", "string"),
        ("date_to", "string"), ("sort", "string"), ("page", "integer"), ("per_page", "integer"))]
    hit = {"type": "object", "required": ["id", "caption"], "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "caption": {"type": "string"},
        "highlight": {"type": "string"}}}
    body = {"type": "object", "required": ["total", "page", "per_page", "results", "facets"],
            "properties": {
                "total": {"type": "integer"}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "results": {"type": "array", "items": hit},
                "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                    "type": "object", "required": ["value", "count"],
                    "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}},
                "suggestion": {"type": ["string", "null"]}}}
    return {"/api/search": {"get": {
        "operationId": "search", "summary": "Search captions and metadata", "tags": ["search"],
        "parameters": params, "responses": {"200": json_response("Results and facets", body)}}}}


def ingest_paths() -> dict[str, Any]:
    """Upload one file into a gallery (ingest issue)."""
    upload = {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "contentMediaType": "application/octet-stream"},
        **{n: {"type": "string"} for n in ("caption", "title", "credit", "creator", "copyright",
                                            "keywords", "city", "country", "date_taken",
                                            "alt_text", "status")},
        "translations": {"type": "string", "description":
                         'JSON: {"fr": {"caption": "..."}}, translations of title, caption and alt text'}}}
    return {"/api/galleries/{gallery_id}/assets": {"post": {
        "operationId": "uploadAsset", "summary": "Add a file to a gallery", "tags": ["editor"],
        "security": STAFF, "parameters": [path_id("gallery_id")],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": upload}}},
        "responses": {"201": json_response("The new asset", ref("Asset")),
                      **errors(400, 401, 403, 404, 409, 413, 415)}}}}


def download_paths() -> dict[str, Any]:
    """Download one asset's bytes (downloads issue), under the same policy as the web pages."""
    params = [path_id("asset_id"),
              {"name": "size", "in": "query",
               "description": "preview (Small) or large (images); web (720p MP4) or hd (1080p MP4, "
                              "when made) for videos; audio (AAC M4A) for audio; original for all",
               "schema": {"type": "string", "enum": ["preview", "large", "web", "hd", "audio", "original"],
                          "default": "original"}},
              {"name": "use", "in": "query", "description": "Intended use, when asked",
               "schema": {"type": "string"}}]
    return {"/api/assets/{asset_id}/download": {"get": {
        "operationId": "downloadAsset", "tags": ["downloads"], "security": STAFF,
        "summary": "The file at a size, with caption and credit embedded and no GPS",
        "description": "For any active account, with a download or editor token (members make "
                       "download tokens on /account/tokens) or the session cookie. The rules of "
                       "the web page apply: 401 without valid credentials, 403 when the terms of "
                       "use in force are not accepted (accept them on the web site) or a "
                       "sensitive item has no approval, 404 for what the account may not see. "
                       "Every file is logged in the account's download history.",
        "parameters": params,
        "responses": {"200": {"description": "The file", "content": {
            "application/octet-stream": {"schema": {"type": "string",
                                                    "contentMediaType": "application/octet-stream"}}}},
            **errors(400, 401, 403, 404)}}}}


LIGHTBOX_SCHEMAS: dict[str, Any] = {
    "Lightbox": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "name", "note", "is_default", "count", "url", "api_url"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string", "maxLength": 120},
            "note": {"type": "string"}, "is_default": {"type": "boolean"},
            "count": {"type": "integer", "description": "Items held (including those no longer available)"},
            "created_at": {"type": ["string", "null"]}, "updated_at": {"type": ["string", "null"]},
            "url": {"type": "string"}, "api_url": {"type": "string"},
            "items": {"type": "array", "description": "Single-lightbox answers only, in order",
                      "items": {"type": "object", "additionalProperties": False,
                                "required": ["asset_id", "position", "note", "available", "asset"],
                                "properties": {
                                    "asset_id": {"type": "integer"}, "position": {"type": "integer"},
                                    "note": {"type": "string"}, "added_at": {"type": ["string", "null"]},
                                    "available": {"type": "boolean", "description":
                                                  "False when the caller may no longer see the asset"},
                                    "asset": {"oneOf": [ref("Asset"), {"type": "null"}]}}}},
        },
    },
    "LightboxInput": {
        "type": "object", "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 120},
                       "note": {"type": "string", "maxLength": 2000}},
    },
}
SCHEMAS.update(LIGHTBOX_SCHEMAS)


def lightbox_paths() -> dict[str, Any]:
    """A user's lightboxes (issue 16): any logged-in account, session or token (download tokens too)."""
    lightbox_id, asset_id = path_id("lightbox_id"), path_id("asset_id")
    one = json_response("The lightbox with its items", {
        "type": "object", "required": ["lightbox"], "properties": {"lightbox": ref("Lightbox")}})
    common = {"tags": ["lightboxes"], "security": STAFF}
    return {
        "/api/lightboxes": {
            "get": {"operationId": "listLightboxes", "summary": "The caller's lightboxes (default first)",
                    **common, "responses": {"200": json_response("Lightboxes", {
                        "type": "object", "required": ["lightboxes"],
                        "properties": {"lightboxes": {"type": "array", "items": ref("Lightbox")}}}),
                        **errors(401)}},
            "post": {"operationId": "createLightbox", "summary": "Make a lightbox", **common,
                     "requestBody": json_body({**ref("LightboxInput")}),
                     "responses": {"201": one, **errors(400, 401)}}},
        "/api/lightboxes/{lightbox_id}": {
            "get": {"operationId": "getLightbox", "summary": "One lightbox with its items", **common,
                    "parameters": [lightbox_id], "responses": {"200": one, **errors(401, 404)}},
            "patch": {"operationId": "updateLightbox", "summary": "Rename a lightbox or change its note",
                      **common, "parameters": [lightbox_id], "requestBody": json_body(ref("LightboxInput")),
                      "responses": {"200": one, **errors(400, 401, 404)}},
            "delete": {"operationId": "deleteLightbox", "summary": "Delete a lightbox and its links",
                       **common, "parameters": [lightbox_id],
                       "responses": {"204": {"description": "Deleted"}, **errors(401, 404)}}},
        "/api/lightboxes/{lightbox_id}/items": {"post": {
            "operationId": "addLightboxItems", **common, "parameters": [lightbox_id],
            "summary": "Add assets at the end; one already there stays (idempotent)",
            "requestBody": json_body({"type": "object", "properties": {
                "asset_ids": {"type": "array", "items": {"type": "integer"}, "maxItems": 1000},
                "asset_id": {"type": "integer"}}}),
            "responses": {"200": one, **errors(400, 401, 404)}}},
        "/api/lightboxes/{lightbox_id}/items/{asset_id}": {"delete": {
            "operationId": "removeLightboxItem", "summary": "Take an asset out (idempotent)", **common,
            "parameters": [lightbox_id, asset_id], "responses": {"200": one, **errors(400, 401, 404)}}},
        "/api/lightboxes/{lightbox_id}/order": {"post": {
            "operationId": "orderLightbox", "summary": "Set the order of a lightbox's items", **common,
            "parameters": [lightbox_id], "requestBody": json_body({
                "type": "object", "required": ["order"], "properties": {"order": {
                    "type": "array", "items": {"type": "integer"},
                    "description": "Every asset id of the lightbox, each once, in the new order"}}}),
            "responses": {"200": one, **errors(400, 401, 404)}}},
    }


# Each area adds its own paths function here; only routes the app serves are published.
PATH_SECTIONS = (browse_paths, search_paths, ingest_paths, editor_paths, download_paths,
                 lightbox_paths)


def served_operations() -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every /api rule the app has."""
    out = set()
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            out.update((path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"})
    return out


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    paths: dict[str, Any] = {}
    served = served_operations()
    for section in PATH_SECTIONS:
        for path, operations in section().items():
            for method, operation in operations.items():
                if (path, method) in served:
                    paths.setdefault(path, {})[method] = operation
    responses = {f"E{code}": json_response(text, ref("Error")) for code, text in (
        (400, "Invalid input; error.field names the field"), (401, "No credentials"),
        (403, "Not allowed for this user"), (404, "Not found"), (409, "Conflict"),
        (413, "Too large"), (415, "Unsupported media"))}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{current_app.config['SITE_NAME']} API", "version": "1.0.0",
                 "description": "Read-only catalogue API, downloads and the editor API. Clients "
                                "authenticate with `Authorization: Bearer <token>` (tokens from "
                                "the account page or `gallery create-token`) or with the session "
                                "cookie plus an X-CSRFToken header. Editor tokens (`gal_`, editors "
                                "and admins) act with their owner's role; download tokens "
                                "(`gald_`, any account) may only read and download."},
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
