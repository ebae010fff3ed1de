"""
Gemini client: construction off the event loop, error mapping and robust generate calls.

google-genai takes about two seconds to import and its client loads certificates when built, so both
happen in an executor; nothing in this module imports it at module level. Every call goes through the
async client (`client.aio`), and every failure is mapped once, here, to the small hierarchy below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import json
import logging
import random
import re
import time
from typing import TYPE_CHECKING, Any, Final, cast

if TYPE_CHECKING:
    from google.genai import Client, types

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL: Final = "gemini-2.5-flash"
# None means Google's own endpoint; tests point every client at a loopback fake through this name.
GEMINI_BASE_URL: str | None = None
DEFAULT_FALLBACK_MODEL: Final = "gemini-2.5-flash-lite"
DEFAULT_TIMEOUT_S: Final = 30.0
# Gemini 2.5 bills its thinking against maxOutputTokens, and its automatic thinking stops at 8,192
# tokens: each request's cap is that headroom plus the visible answer its schema allows, so a
# runaway answer is cut while a thinking model still has room to answer.
THINKING_TOKENS: Final = 8192
# Visible answer budgets: the longest answer each prompt asks for, in Vietnamese (the most tokens
# per word) by the prompt's pessimistic estimate, with half again as margin (test_prompt checks it).
BRIEFING_OUTPUT_TOKENS: Final = 2048
ANALYSIS_OUTPUT_TOKENS: Final = 1536
ANSWER_OUTPUT_TOKENS: Final = 768

# Without a retry delay, a spent daily quota is probed again after this long (resets are daily).
DAILY_COOLDOWN_S: Final = 3600.0
# A server retry delay this long can only mean a daily (not per-minute) quota.
DAILY_RETRY_THRESHOLD_S: Final = 3600.0
_BLOCKING_FINISH_REASONS: Final = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

type Executor = Callable[..., Awaitable[Any]]
type SleepFn = Callable[[float], Awaitable[None]]


class CoachError(Exception):
    """Base of every error the coach's Gemini layer raises."""


class CoachAuthError(CoachError):
    """The API key is invalid, revoked or not allowed to use the API."""


class CoachQuotaError(CoachError):
    """Gemini answered 429 RESOURCE_EXHAUSTED."""

    def __init__(self, message: str, *, retry_after: float | None, daily: bool) -> None:
        """Keep the server's retry delay (seconds) and whether a per-day quota is spent."""
        super().__init__(message)
        self.retry_after = retry_after
        self.daily = daily


class CoachUnavailableError(CoachError):
    """Gemini is overloaded, failing, unreachable or too slow."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        """Remember whether the request timed out (a retry would likely wait as long)."""
        super().__init__(message)
        self.timed_out = timed_out


class CoachBlockedError(CoachError):
    """Gemini refused to answer: a blocked prompt, a safety stop or an empty answer."""

    def __init__(self, message: str, *, prompt_blocked: bool = False) -> None:
        """Remember whether the prompt itself was blocked (no other model will take it)."""
        super().__init__(message)
        self.prompt_blocked = prompt_blocked


class CoachMalformedError(CoachError):
    """Gemini's answer did not parse into the expected structure."""


async def async_create_client(
    api_key: str,
    base_url: str | None = None,
    *,
    executor: Executor | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Client:
    """Build a google-genai client in the executor (import and certificate loading block)."""

    def _build() -> Client:
        from google import genai  # noqa: PLC0415  # about 2 s: executor only
        from google.genai import types  # noqa: PLC0415

        return genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url or GEMINI_BASE_URL, timeout=int(timeout_s * 1000)
            ),
        )

    if not api_key.strip():
        raise CoachAuthError("No Gemini API key")
    run = executor if executor is not None else asyncio.to_thread
    client: Client = await run(_build)
    return client


async def async_close_client(client: Client) -> None:
    """Release the client's HTTP session (google-genai releases before 1.2x cannot: no aclose)."""
    aclose = getattr(client.aio, "aclose", None)
    if aclose is not None:
        await aclose()


async def async_validate_key(client: Client, model: str = DEFAULT_MODEL) -> None:
    """Check the key with one cheap call (model metadata); raise a mapped CoachError on failure."""
    try:
        await client.aio.models.get(model=model)
    except Exception as err:
        raise map_error(err) from err


async def async_validate_api_key(
    api_key: str,
    *,
    base_url: str | None = None,
    executor: Executor | None = None,
    model: str = DEFAULT_MODEL,
) -> None:
    """Build a throwaway client for `api_key`, validate it, close it (config flows)."""
    client = await async_create_client(api_key, base_url, executor=executor)
    try:
        await async_validate_key(client, model)
    finally:
        await async_close_client(client)


def map_error(err: BaseException) -> CoachError:
    """Translate a google-genai or transport exception into the coach's hierarchy."""
    # aiohttp and httpx (the SDK's transports, httpx only before google-genai 1.2x) and the SDK
    # are loaded whenever a client exists, so these imports are dictionary lookups.
    import aiohttp  # noqa: PLC0415
    from google.genai import errors  # noqa: PLC0415
    import httpx  # noqa: PLC0415

    if isinstance(err, CoachError):
        return err
    if isinstance(err, TimeoutError | httpx.TimeoutException):
        return CoachUnavailableError("Gemini timed out", timed_out=True)
    if isinstance(err, errors.APIError):
        return _map_api_error(err.code, err.status, err.message, err.details)
    # Older google-genai releases have no UnknownApiResponseError.
    if isinstance(err, getattr(errors, "UnknownApiResponseError", ())):
        return CoachUnavailableError("Gemini sent an unreadable response")
    if isinstance(err, OSError | aiohttp.ClientError | httpx.TransportError):
        return CoachUnavailableError(f"Cannot reach Gemini: {type(err).__name__}")
    return CoachError(f"Unexpected Gemini failure: {type(err).__name__}")


def _map_api_error(
    code: int | None, status: str | None, message: str | None, body: Any
) -> CoachError:
    """Map an HTTP error status and its google.rpc body."""
    status = status or ""
    text = message or ""
    details = _error_details(body)
    reasons = {str(d.get("reason", "")) for d in details}
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        retry_after = _retry_delay(details)
        daily = _is_daily(details, retry_after)
        return CoachQuotaError(
            f"Gemini quota exhausted ({'daily' if daily else 'rate'})",
            retry_after=retry_after,
            daily=daily,
        )
    if (
        code in (401, 403)
        or status in ("UNAUTHENTICATED", "PERMISSION_DENIED")
        or "API_KEY_INVALID" in reasons
        or "API key not valid" in text
        or "API_KEY_INVALID" in text
    ):
        return CoachAuthError(f"Gemini rejected the API key ({code} {status})")
    if code is not None and (code >= 500 or code == 408):
        return CoachUnavailableError(f"Gemini unavailable ({code} {status})")
    # Anything else (an unknown model, a region without service) will not pass on a retry.
    return CoachError(f"Gemini error ({code} {status})")


def _error_details(body: Any) -> list[dict[str, Any]]:
    """Return the google.rpc details list of an error body ({"error": {...}} or the inner part)."""
    if not isinstance(body, dict):
        return []
    inner = body.get("error", body)
    details = inner.get("details") if isinstance(inner, dict) else None
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict)]


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    """Read google.rpc.RetryInfo's retryDelay ("3s", "1.5s") in seconds."""
    for detail in details:
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def _is_daily(details: list[dict[str, Any]], retry_after: float | None) -> bool:
    """Tell whether the violated quota is a per-day one (or the server asks to wait hours)."""
    if retry_after is not None and retry_after >= DAILY_RETRY_THRESHOLD_S:
        return True
    for detail in details:
        if not str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            continue
        for violation in detail.get("violations") or ():
            if not isinstance(violation, dict):
                continue
            names = f"{violation.get('quotaId', '')} {violation.get('quotaMetric', '')}".lower()
            if "perday" in names or "per_day" in names or "daily" in names:
                return True
    return False


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A function the model may call: its name, what it does and its OpenAPI parameters."""

    name: str
    description: str
    parameters: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for, or (with `result`) its answer."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation sent to the model: text, tool calls or tool results."""

    role: str  # "user" or "model"
    text: str
    calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class GeminiRequest:
    """Everything one generateContent call needs, independent of the model."""

    system: str
    turns: tuple[Turn, ...]
    schema: dict[str, Any] | None = None
    temperature: float = 0.6
    output_tokens: int = ANSWER_OUTPUT_TOKENS
    tools: tuple[ToolSpec, ...] = ()

    @property
    def max_output_tokens(self) -> int:
        """The cap sent as maxOutputTokens: the visible answer plus the thinking headroom."""
        return self.output_tokens + THINKING_TOKENS


@dataclass(frozen=True, slots=True)
class GeminiReply[T]:
    """A successful answer: the parsed value, the model that gave it and the bill."""

    value: T
    text: str
    model: str
    prompt_tokens: int | None
    output_tokens: int | None
    calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one generate call may wait in total, and how it spaces its retries."""

    max_total_wait_s: float = 10.0
    max_attempts_per_model: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 8.0
    # Added on top of a server-given delay (never below it), as a fraction of that delay.
    jitter: float = 0.2


@dataclass(slots=True)
class _Cooldown:
    """Until when (monotonic clock) a model is not asked, and whether a daily quota is the reason."""

    until: float
    daily: bool


@dataclass(slots=True)
class _CallState:
    """One generate call across its models: the time waited so far and the errors met."""

    waited: float = 0.0
    errors: list[CoachError] = field(default_factory=list)


def _answer_of(response: types.GenerateContentResponse) -> tuple[str, tuple[ToolCall, ...]]:
    """
    Return the answer text and the tool calls asked for.

    Raise CoachBlockedError for a block, a safety stop, or neither text nor a call.
    """
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise CoachBlockedError(
            f"Prompt blocked: {_enum_name(feedback.block_reason)}", prompt_blocked=True
        )
    candidates = response.candidates or []
    if not candidates:
        raise CoachBlockedError("No candidates in the answer")
    candidate = candidates[0]
    reason = _enum_name(candidate.finish_reason)
    if reason in _BLOCKING_FINISH_REASONS:
        raise CoachBlockedError(f"Answer stopped: {reason}")
    parts = candidate.content.parts if candidate.content is not None else None
    # Thought summaries are not part of the answer.
    text = "".join(p.text for p in parts or () if p.text and not getattr(p, "thought", None))
    calls = tuple(
        ToolCall(p.function_call.name or "", dict(p.function_call.args or {}))
        for p in parts or ()
        if p.function_call is not None
    )
    if not text.strip() and not calls:
        raise CoachBlockedError(f"Empty answer (finish reason {reason or 'none'})")
    return text, calls


def _enum_name(value: Any) -> str:
    """Return the name of an SDK enum value, or the raw string the server sent."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


class GeminiCaller:
    """Robust generate calls: honour retry delays, back off with jitter, fall back, remember quotas."""

    def __init__(
        self,
        client: Client,
        *,
        policy: RetryPolicy | None = None,
        sleep: SleepFn = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Use `client`; `sleep`, `rand` and `clock` are injectable so tests run without waiting."""
        self.client = client
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rand = rand
        self._clock = clock
        self._cooldowns: dict[str, _Cooldown] = {}
        # HTTP requests made, for diagnostics and the benchmark.
        self.calls = 0

    def daily_quota_exhausted(self, model: str) -> bool:
        """Tell whether `model`'s daily quota was found spent and not probed again since."""
        cooldown = self._cooldowns.get(model)
        return cooldown is not None and cooldown.daily and cooldown.until > self._clock()

    async def generate[T](
        self,
        request: GeminiRequest,
        models: Sequence[str],
        parse: Callable[[str], T],
    ) -> GeminiReply[T]:
        """
        Ask the models in order until one answers with something `parse` accepts.

        A 429 waits the server's retry delay (plus jitter) when it fits the total wait budget, otherwise
        the model is skipped (and skipped by later calls until the delay passes); 5xx and connection
        errors back off exponentially within the same budget. A timeout, a safety stop, an empty or
        malformed answer move on to the next model; an invalid key or a blocked prompt stop at once.
        When every model failed, the most telling error is raised: CoachQuotaError if a quota was
        the reason, else the last one.
        """
        state = _CallState()
        for model in dict.fromkeys(m for m in models if m):
            cooldown = self._cooldowns.get(model)
            if cooldown is not None and cooldown.until > self._clock():
                state.errors.append(
                    CoachQuotaError(
                        f"{model} is cooling down after a quota error",
                        retry_after=cooldown.until - self._clock(),
                        daily=cooldown.daily,
                    )
                )
                continue
            self._cooldowns.pop(model, None)
            reply = await self._try_model(model, request, parse, state)
            if reply is not None:
                return reply
        raise _most_telling(state.errors)

    async def _try_model[T](
        self,
        model: str,
        request: GeminiRequest,
        parse: Callable[[str], T],
        state: _CallState,
    ) -> GeminiReply[T] | None:
        """Attempt one model with retries; None means: try the next model."""
        attempt = 0
        while True:
            try:
                return await self._call(model, request, parse)
            except CoachAuthError:
                raise
            except CoachBlockedError as err:
                if err.prompt_blocked:
                    raise
                _LOGGER.debug("Gemini %s gave no usable answer: %s", model, err)
                state.errors.append(err)
                return None
            except CoachQuotaError as err:
                state.errors.append(err)
                if err.daily:
                    self._cooldowns[model] = _Cooldown(
                        self._clock() + (err.retry_after or DAILY_COOLDOWN_S), daily=True
                    )
                    _LOGGER.debug("Gemini %s daily quota spent", model)
                    return None
                if err.retry_after is None:
                    delay = self._backoff(attempt)
                else:
                    delay = err.retry_after * (1 + self.policy.jitter * self._rand())
                if not await self._wait(delay, attempt, state):
                    # Later calls skip this model until the server's delay has passed.
                    if err.retry_after is not None:
                        self._cooldowns[model] = _Cooldown(
                            self._clock() + err.retry_after, daily=False
                        )
                    return None
            except CoachUnavailableError as err:
                state.errors.append(err)
                # A model that let the request time out gets no second chance in this call:
                # the worst case stays one timeout per model.
                if err.timed_out or not await self._wait(self._backoff(attempt), attempt, state):
                    return None
            except CoachError as err:
                _LOGGER.debug("Gemini %s failed: %s", model, err)
                state.errors.append(err)
                return None
            attempt += 1

    async def _wait(self, delay: float, attempt: int, state: _CallState) -> bool:
        """Sleep before a retry if attempts and the total budget allow it."""
        if attempt + 1 >= self.policy.max_attempts_per_model:
            return False
        if state.waited + delay > self.policy.max_total_wait_s:
            return False
        state.waited += delay
        await self._sleep(delay)
        return True

    def _backoff(self, attempt: int) -> float:
        """Return an exponential backoff with equal jitter: half fixed, half random."""
        base = min(self.policy.max_delay_s, self.policy.base_delay_s * 2.0**attempt)
        return base / 2 + self._rand() * base / 2

    async def _call[T](
        self, model: str, request: GeminiRequest, parse: Callable[[str], T]
    ) -> GeminiReply[T]:
        """Make one generateContent call, mapped and parsed."""
        from google.genai import types  # noqa: PLC0415  # loaded with the client

        config = types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
            # The caller runs the tools: skip the SDK's function-calling loop (and its log line).
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        if request.schema is not None:
            config.response_mime_type = "application/json"
            config.response_schema = request.schema
        if request.tools:
            config.tools = [
                types.Tool(
                    function_declarations=[
                        types.FunctionDeclaration(
                            name=tool.name,
                            description=tool.description,
                            parameters=cast("types.SchemaDict | None", tool.parameters),
                        )
                        for tool in request.tools
                    ]
                )
            ]
        contents: list[types.ContentUnion] = [_content(turn) for turn in request.turns]
        self.calls += 1
        try:
            response = await self.client.aio.models.generate_content(
                model=model, contents=contents, config=config
            )
        except Exception as err:
            raise map_error(err) from err
        text, calls = _answer_of(response)
        try:
            value = parse(text)
        except (ValueError, TypeError, KeyError) as err:
            raise CoachMalformedError(f"{model} answered malformed output: {err}") from err
        usage = response.usage_metadata
        return GeminiReply(
            value=value,
            text=text,
            model=model,
            prompt_tokens=usage.prompt_token_count if usage else None,
            output_tokens=usage.candidates_token_count if usage else None,
            calls=calls,
        )


def _content(turn: Turn) -> types.Content:
    """Return one turn as the SDK's content: its text, the calls it asks or their results."""
    from google.genai import types  # noqa: PLC0415  # loaded with the client

    parts: list[types.Part] = [types.Part(text=turn.text)] if turn.text else []
    for call in turn.calls:
        if call.result is None:
            parts.append(
                types.Part(function_call=types.FunctionCall(name=call.name, args=call.args))
            )
        else:
            parts.append(
                types.Part(
                    function_response=types.FunctionResponse(name=call.name, response=call.result)
                )
            )
    return types.Content(role=turn.role, parts=parts)


def _most_telling(errors: list[CoachError]) -> CoachError:
    """Pick the error that explains the failure best: a quota, else the last one."""
    quota = [e for e in errors if isinstance(e, CoachQuotaError)]
    if quota:
        daily = [e for e in quota if e.daily]
        return daily[0] if daily else quota[-1]
    if errors:
        return errors[-1]
    return CoachUnavailableError("No Gemini model configured")


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object answer (tolerating a Markdown code fence); ValueError if it is not one."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.strip("`")
        stripped = stripped.removeprefix("json").strip()
    value = json.loads(stripped)
    if not isinstance(value, dict):
        raise TypeError("expected a JSON object")
    return value
