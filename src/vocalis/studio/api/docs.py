"""API docs that work offline: Swagger UI from the swagger-ui-bundle wheel, served by this server (FastAPI's
own /docs loads it from a CDN). The OpenAPI schema declares the bearer key, so "Authorize" works."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    from swagger_ui_bundle import swagger_ui_path

    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        # validatorUrl None: Swagger UI would otherwise send the schema to an online validator.
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})

    schema_of = app.openapi

    def openapi_with_keys() -> dict[str, Any]:
        schema = schema_of()
        schema.setdefault("components", {})["securitySchemes"] = {"apiKey": {
            "type": "http", "scheme": "bearer",
            "description": "`vocalis keys create NAME` prints a key; needed once the server has any key"}}
        schema["security"] = [{"apiKey": []}]
        return schema

    app.openapi = openapi_with_keys  # type: ignore[method-assign]
