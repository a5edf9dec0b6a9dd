"""The benchmark's baseline: a bare Starlette app that answers each captured Rembug URL with
the exact bytes and content type Rembug served, under uvicorn with `rembug serve`'s options.

Run by benchmarks/consultation_page.py as
``python benchmarks/bare_app.py MANIFEST --port N --workers N``; the manifest (JSON) maps
"path?query" to {"file": ..., "content_type": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

MANIFEST_ENV = "REMBUG_BENCH_BARE_MANIFEST"


def load_pages(manifest: Path) -> dict[str, tuple[bytes, str]]:
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    return {
        target: ((manifest.parent / entry["file"]).read_bytes(), entry["content_type"])
        for target, entry in entries.items()
    }


def build_app(pages: dict[str, tuple[bytes, str]]) -> Starlette:
    async def page(request: Request) -> Response:
        query = request.url.query
        found = pages.get(request.url.path + ("?" + query if query else ""))
        if found is None:
            return PlainTextResponse("not found", status_code=404)
        body, content_type = found
        # The content type already carries its charset, as Rembug sent it.
        return Response(body, headers={"content-type": content_type})

    return Starlette(routes=[Route("/{rest:path}", page)])


def _app_from_env() -> Starlette:
    manifest = os.environ.get(MANIFEST_ENV)
    return build_app(load_pages(Path(manifest)) if manifest else {})


# Imported by uvicorn in each worker process ("bare_app:app").
app = _app_from_env()


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[MANIFEST_ENV] = str(args.manifest.resolve())
    # The same options as forum.cli.cmd_serve, so only the application differs.
    uvicorn.run(
        "bare_app:app",
        app_dir=str(Path(__file__).resolve().parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
