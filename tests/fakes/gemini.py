"""
A loopback fake of the Gemini REST API (v1beta), scriptable per model, recording every request.

It answers what google-genai's client sends when `http_options.base_url` points at it:
`POST /v1beta/models/{model}:generateContent` with the key in the `x-goog-api-key` header, plus
`GET /v1beta/models/{model}` and `GET /v1beta/models` for key validation. Replies and errors use the
real API's JSON shapes (candidates/content/parts/finishReason/usageMetadata/promptFeedback, and
`{"error": {code, message, status, details}}` with google.rpc details).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
import json
from typing import Any

from aiohttp import web
import pytest

VALID_KEY = "test-gemini-key"
KNOWN_MODELS = ("gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro")
_TYPE = "type.googleapis.com/google.rpc."


@dataclass(frozen=True, slots=True)
class FakeReply:
    """One scripted HTTP answer."""

    status: int
    body: Any  # JSON-serialisable, or str for a raw body
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the fake saw of one request."""

    method: str
    path: str
    model: str | None
    api_key: str | None
    headers: dict[str, str]
    body: dict[str, Any] | None

    @property
    def prompt_text(self) -> str:
        """All text parts of `contents`, joined with newlines."""
        if not self.body:
            return ""
        return "\n".join(
            part.get("text", "")
            for content in self.body.get("contents", [])
            for part in content.get("parts", [])
        )

    @property
    def roles(self) -> list[str]:
        """The role of each content turn, in order."""
        return [c.get("role", "") for c in (self.body or {}).get("contents", [])]

    @property
    def system_text(self) -> str:
        """The system instruction's text."""
        system = (self.body or {}).get("systemInstruction") or {}
        return "\n".join(part.get("text", "") for part in system.get("parts", []))

    @property
    def generation_config(self) -> dict[str, Any]:
        """The generationConfig object as sent."""
        config: dict[str, Any] = (self.body or {}).get("generationConfig") or {}
        return config


def _usage(prompt_tokens: int, output_tokens: int) -> dict[str, int]:
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": prompt_tokens + output_tokens,
    }


def text_reply(text: str, *, prompt_tokens: int = 900, output_tokens: int = 120) -> FakeReply:
    """Answer normally: one text part, finishReason STOP."""
    return FakeReply(
        200,
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _usage(prompt_tokens, output_tokens),
            "modelVersion": "fake",
            "responseId": "fake-response",
        },
    )


def json_reply(value: Any, **kwargs: int) -> FakeReply:
    """Answer with a JSON document as the text part (structured output)."""
    return text_reply(json.dumps(value), **kwargs)


def function_call_reply(*calls: tuple[str, dict[str, Any]]) -> FakeReply:
    """Answer with function calls only, as a model that wants a tool's data first does."""
    return FakeReply(
        200,
        {
            "candidates": [
                {
                    "content": {
                        "parts": [
                            {"functionCall": {"name": name, "args": args}} for name, args in calls
                        ],
                        "role": "model",
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _usage(900, 20),
        },
    )


def malformed_json_reply() -> FakeReply:
    """Answer with JSON cut short, as with MAX_TOKENS or a sloppy model."""
    return text_reply('{"summary": "Solid run", "went_well": ["pacing"')


def thought_only_reply() -> FakeReply:
    """Answer with only a thought summary, which is not an answer."""
    return FakeReply(
        200,
        {
            "candidates": [
                {
                    "content": {
                        "parts": [{"text": "thinking...", "thought": True}],
                        "role": "model",
                    },
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _usage(900, 0),
        },
    )


def empty_reply(finish_reason: str = "STOP") -> FakeReply:
    """Answer with a candidate without any text."""
    return FakeReply(
        200,
        {
            "candidates": [
                {"content": {"role": "model"}, "finishReason": finish_reason, "index": 0}
            ],
            "usageMetadata": _usage(900, 0),
        },
    )


def no_candidates_reply() -> FakeReply:
    """Answer with no candidate and no block reason."""
    return FakeReply(200, {"usageMetadata": _usage(900, 0)})


def safety_reply() -> FakeReply:
    """Stop the answer for safety (finishReason SAFETY, no content)."""
    return FakeReply(
        200,
        {
            "candidates": [
                {
                    "finishReason": "SAFETY",
                    "index": 0,
                    "safetyRatings": [
                        {
                            "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                            "probability": "HIGH",
                            "blocked": True,
                        }
                    ],
                }
            ],
            "usageMetadata": _usage(900, 0),
        },
    )


def blocked_prompt_reply() -> FakeReply:
    """Block the prompt itself: promptFeedback.blockReason and no candidates."""
    return FakeReply(
        200,
        {
            "promptFeedback": {
                "blockReason": "SAFETY",
                "safetyRatings": [
                    {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH"},
                ],
            },
            "usageMetadata": {"promptTokenCount": 900, "totalTokenCount": 900},
        },
    )


def _error(code: int, status: str, message: str, details: list[dict[str, Any]]) -> FakeReply:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "status": status}}
    if details:
        body["error"]["details"] = details
    return FakeReply(code, body)


def invalid_key_error() -> FakeReply:
    """400 INVALID_ARGUMENT with reason API_KEY_INVALID, as for a wrong key."""
    message = "API key not valid. Please pass a valid API key."
    return _error(
        400,
        "INVALID_ARGUMENT",
        message,
        [
            {
                "@type": _TYPE + "ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {"@type": _TYPE + "LocalizedMessage", "locale": "en-US", "message": message},
        ],
    )


def permission_denied_error() -> FakeReply:
    """403 PERMISSION_DENIED, as for a key of a project without the API."""
    return _error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", [])


def quota_error(
    retry_delay: str | None = "3s", *, daily: bool = False, model: str = "gemini-2.5-flash"
) -> FakeReply:
    """429 RESOURCE_EXHAUSTED with QuotaFailure, Help and (optionally) RetryInfo details."""
    period = "Day" if daily else "Minute"
    details: list[dict[str, Any]] = [
        {
            "@type": _TYPE + "QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                    "quotaId": f"GenerateRequestsPer{period}PerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "250" if daily else "10",
                }
            ],
        },
        {
            "@type": _TYPE + "Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    if retry_delay is not None:
        details.append({"@type": _TYPE + "RetryInfo", "retryDelay": retry_delay})
    return _error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        details,
    )


def unavailable_error() -> FakeReply:
    """503 UNAVAILABLE: the model is overloaded."""
    return _error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", [])


def internal_error() -> FakeReply:
    """500 INTERNAL."""
    return _error(500, "INTERNAL", "An internal error has occurred.", [])


def bad_request_error() -> FakeReply:
    """400 FAILED_PRECONDITION, e.g. a region where the free tier is not offered."""
    return _error(400, "FAILED_PRECONDITION", "User location is not supported for the API use.", [])


def slow(reply: FakeReply, delay_s: float) -> FakeReply:
    """Send the same reply after `delay_s` seconds (to exercise client timeouts)."""
    return FakeReply(reply.status, reply.body, delay_s)


@dataclass(slots=True)
class FakeGemini:
    """The fake server: script replies per model with `queue`, read `requests` afterwards."""

    valid_keys: set[str] = field(default_factory=lambda: {VALID_KEY})
    models: tuple[str, ...] = KNOWN_MODELS
    default_text: str = "Keep it easy today."
    requests: list[RecordedRequest] = field(default_factory=list)
    _queues: dict[str, deque[FakeReply]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _port: int = 0

    @property
    def base_url(self) -> str:
        """Where the client should point its `http_options.base_url`."""
        return f"http://127.0.0.1:{self._port}"

    def queue(self, model: str, *replies: FakeReply) -> None:
        """Answer the next generateContent calls for `model` with these replies, in order."""
        self._queues.setdefault(model, deque()).extend(replies)

    def pending(self, model: str) -> int:
        """How many scripted replies for `model` are still unused."""
        return len(self._queues.get(model, ()))

    def generate_requests(self, model: str | None = None) -> list[RecordedRequest]:
        """Return the recorded generateContent requests, optionally for one model."""
        return [
            r
            for r in self.requests
            if r.path.endswith(":generateContent") and (model is None or r.model == model)
        ]

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        app.router.add_post("/v1beta/models/{model}:generateContent", self._generate)
        app.router.add_get("/v1beta/models/{model}", self._get_model)
        app.router.add_get("/v1beta/models", self._list_models)
        # Cancel handlers whose client gave up (timeouts) so shutdown never waits for them.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, request: web.Request, model: str | None) -> RecordedRequest:
        raw = await request.text()
        body = json.loads(raw) if raw else None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            model=model,
            api_key=request.headers.get("x-goog-api-key") or request.query.get("key"),
            headers=dict(request.headers),
            body=body,
        )
        self.requests.append(recorded)
        return recorded

    def _key_error(self, recorded: RecordedRequest) -> web.Response | None:
        if recorded.api_key in self.valid_keys:
            return None
        return _respond(invalid_key_error())

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        recorded = await self._record(request, model)
        if (error := self._key_error(recorded)) is not None:
            return error
        queue = self._queues.get(model)
        if queue:
            reply = queue.popleft()
        elif model in self.models:
            reply = text_reply(self.default_text)
        else:
            reply = _not_found(model)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return _respond(reply)

    async def _get_model(self, request: web.Request) -> web.StreamResponse:
        model = request.match_info["model"]
        recorded = await self._record(request, model)
        if (error := self._key_error(recorded)) is not None:
            return error
        if model not in self.models:
            return _respond(_not_found(model))
        return web.json_response(_model_info(model))

    async def _list_models(self, request: web.Request) -> web.StreamResponse:
        recorded = await self._record(request, None)
        if (error := self._key_error(recorded)) is not None:
            return error
        return web.json_response({"models": [_model_info(m) for m in self.models]})


def _model_info(model: str) -> dict[str, Any]:
    return {
        "name": f"models/{model}",
        "version": "001",
        "displayName": model,
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    }


def _not_found(model: str) -> FakeReply:
    return _error(
        404,
        "NOT_FOUND",
        f"models/{model} is not found for API version v1beta, or is not supported for generateContent.",
        [],
    )


def _respond(reply: FakeReply) -> web.Response:
    if isinstance(reply.body, str):
        return web.Response(status=reply.status, text=reply.body, content_type="application/json")
    return web.json_response(reply.body, status=reply.status)


@pytest.fixture
async def fake_gemini(socket_enabled: None) -> AsyncGenerator[FakeGemini]:
    """Start a fake Gemini server on loopback (sockets re-enabled, as for hass_client)."""
    fake = FakeGemini()
    await fake.start()
    yield fake
    await fake.close()
