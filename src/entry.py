"""Cloudflare Python Worker entry point: a thin adapter around the `edgejobs` app.

It turns the runtime's request into the app's `HttpRequest`, calls the app, and turns
the answer back; `scheduled` hands cron ticks to maintenance. Everything else lives in
the `edgejobs` package and runs under plain CPython too.
"""

from workers import Response, WorkerEntrypoint, python_to_rpc

from edgejobs.app import Env
from edgejobs.db import JsD1
from edgejobs.http import HttpRequest
from edgejobs.main import app, run_scheduled


class Default(WorkerEntrypoint):
    def _env(self) -> Env:
        env = self.env
        # python_to_rpc(binding) is the JS D1Database under the SDK's wrapper.
        return Env(db_binding=JsD1(python_to_rpc(env.DB)), lookup=lambda name: getattr(env, name, None))

    async def fetch(self, request):
        headers = {key.lower(): value for key, value in request.headers.items()}
        method = request.js_object.method  # the raw verb: the SDK's enum rejects unusual ones
        answer = await app.handle(HttpRequest(method, request.url, headers, request.bytes), self._env())
        # A 204/304 must have a null body, not an empty one.
        return Response(answer.body or None, status=answer.status, headers=answer.headers)

    async def scheduled(self, controller, env, ctx):
        await run_scheduled(self._env(), controller.cron)
