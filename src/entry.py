"""Cloudflare Python Worker entry point: a thin adapter around the `edgejobs` app.

It turns the runtime's request into the app's `HttpRequest`, calls the app, and turns
the answer back; `scheduled` hands cron ticks to maintenance. Everything else lives in
the `edgejobs` package and runs under plain CPython too (`edgejobs.jsbridge` aside).
"""

from workers import WorkerEntrypoint, import_from_javascript

from edgejobs.core.app import Env
from edgejobs.main import app, run_scheduled
from edgejobs.platform.jsbridge import env_from_js, request_from_js, response_to_js


def worker_env(wait_until=None) -> Env:
    # The JS env itself (the one the entrypoint was made with), not the SDK's wrapper of it.
    return env_from_js(import_from_javascript("cloudflare:workers").env, wait_until)


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        answer = await app.handle(request_from_js(request.js_object), worker_env(self.ctx.waitUntil))
        return response_to_js(answer)

    async def scheduled(self, controller, env, ctx):
        await run_scheduled(worker_env(), controller.cron)
