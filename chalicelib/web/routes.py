"""Routes about the API itself: liveness, the OpenAPI document and its reference page."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.web import docs, openapi
from chalicelib.web.endpoint import ApiRequest, Example, endpoint
from chalicelib.web.schema import named, obj, string

bp = Blueprint(__name__)
SCRIPT = {"type": "string", "x-media-type": "text/javascript"}
STYLESHEET = {"type": "string", "x-media-type": "text/css"}


@endpoint(bp, "GET", "/v1/health", summary="Liveness check", tag="meta",
          response=named("Health", obj({"status": string()})),
          description="Answers 200 while the API runs; it reads no table, so it says nothing "
                      "about DynamoDB, SES or SNS.",
          example=Example(response={"status": "ok"}))
def health(request: ApiRequest):
    return {"status": "ok"}


@endpoint(bp, "GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document", tag="meta",
          response={"type": "object"},
          description="The machine-readable reference, generated from the same declarations "
                      "that validate requests. `servers` lists the stage prefix this request "
                      "came through first, then `PUBLIC_BASE_URL`. `GET /docs` shows it.",
          example=Example(response={"openapi": "3.1.0", "info": {"title": "Kinlink API"},
                                    "servers": [{"url": "/api"}], "paths": {}}))
def openapi_document(request: ApiRequest):
    return openapi.document(openapi.base_path_of(bp.current_request.context or {}))


@endpoint(bp, "GET", "/docs", summary="The API reference (Swagger UI, HTML)", tag="meta",
          response={"type": "string", "x-media-type": "text/html"},
          description="A readable reference of every endpoint with its examples, rendered in "
                      "the browser from `GET /v1/openapi.json`. Everything it loads comes from "
                      "this API (no CDN); docs/api.md in the repository is the guide.",
          example=Example(response='<!doctype html><html lang="en">...'
                                   '<div id="swagger-ui" data-spec="/api/v1/openapi.json">...'))
def reference_page(request: ApiRequest):
    return docs.page(openapi.base_path_of(bp.current_request.context or {}))


@endpoint(bp, "GET", "/docs/swagger-ui-bundle.js", summary="Swagger UI's script", tag="meta",
          response=SCRIPT,
          description="The script `GET /docs` loads (Swagger UI, Apache-2.0, from the "
                      "swagger-ui-bundle-v2 package); cacheable for an hour.",
          example=Example(response="/*! For license information please see "
                                   "swagger-ui-bundle.js.LICENSE.txt */ ..."))
def reference_script(request: ApiRequest):
    return docs.asset("swagger-ui-bundle.js")


@endpoint(bp, "GET", "/docs/swagger-ui.css", summary="Swagger UI's stylesheet", tag="meta",
          response=STYLESHEET,
          description="The stylesheet `GET /docs` loads; cacheable for an hour.",
          example=Example(response=".swagger-ui{color:#3b4151; ...}"))
def reference_stylesheet(request: ApiRequest):
    return docs.asset("swagger-ui.css")
