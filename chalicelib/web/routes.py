"""Routes about the API itself: liveness and the OpenAPI document."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.web import openapi
from chalicelib.web.endpoint import ApiRequest, endpoint
from chalicelib.web.schema import obj, string

bp = Blueprint(__name__)


@endpoint(bp, "GET", "/v1/health", summary="Liveness check", tag="meta",
          response=obj({"status": string()}))
def health(request: ApiRequest):
    return {"status": "ok"}


@endpoint(bp, "GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document", tag="meta",
          response={"type": "object"})
def openapi_document(request: ApiRequest):
    return openapi.document()
