"""The Gemini layer against the fake server over real HTTP: client, validation, errors, retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import inspect
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.coach_dyno.coach import gemini
from custom_components.coach_dyno.coach.gemini import (
    DAILY_COOLDOWN_S,
    CoachAuthError,
    CoachBlockedError,
    CoachError,
    CoachMalformedError,
    CoachQuotaError,
    CoachUnavailableError,
    GeminiCaller,
    GeminiRequest,
    RetryPolicy,
    Turn,
    async_close_client,
    async_create_client,
    async_validate_api_key,
    async_validate_key,
    map_error,
    parse_json_object,
)
from tests.coach.conftest import FakeClock, SleepRecorder
from tests.fakes.gemini import (
    VALID_KEY,
    FakeGemini,
    FakeReply,
    bad_request_error,
    blocked_prompt_reply,
    empty_reply,
    internal_error,
    invalid_key_error,
    json_reply,
    malformed_json_reply,
    no_candidates_reply,
    permission_denied_error,
    quota_error,
    safety_reply,
    slow,
    text_reply,
    thought_only_reply,
    unavailable_error,
)

if TYPE_CHECKING:
    from google.genai import Client

MAIN = "gemini-2.5-flash"
LITE = "gemini-2.5-flash-lite"
MODELS = (MAIN, LITE)
REQUEST = GeminiRequest(system="You are a coach.", turns=(Turn("user", "How far this week?"),))


def _caller(client: Client, sleeps: SleepRecorder, clock: FakeClock, **policy: Any) -> GeminiCaller:
    return GeminiCaller(
        client, policy=RetryPolicy(**policy), sleep=sleeps, rand=lambda: 0.5, clock=clock
    )


def _identity(text: str) -> str:
    return text


# --- client construction and key validation -------------------------------------------------


async def test_client_sends_the_request_the_real_api_expects(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, text_reply("Twelve kilometres.", prompt_tokens=321, output_tokens=7))
    request = GeminiRequest(
        system="You are a coach.",
        turns=(Turn("user", "Q1"), Turn("model", "A1"), Turn("user", "Q2")),
        schema={"type": "object", "properties": {"a": {"type": "string"}}},
        temperature=0.3,
    )

    reply = await _caller(client, sleeps, clock).generate(request, MODELS, _identity)

    assert reply.value == "Twelve kilometres."
    assert (reply.model, reply.prompt_tokens, reply.output_tokens) == (MAIN, 321, 7)
    (sent,) = fake_gemini.requests
    assert sent.method == "POST"
    assert sent.path == f"/v1beta/models/{MAIN}:generateContent"
    assert sent.api_key == VALID_KEY
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.system_text == "You are a coach."
    assert sent.roles == ["user", "model", "user"]
    assert sent.prompt_text == "Q1\nA1\nQ2"
    config = sent.generation_config
    assert config["temperature"] == 0.3
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["properties"]["a"]["type"].upper() == "STRING"


async def test_answer_without_finish_reason_is_accepted(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    body = {"candidates": [{"content": {"parts": [{"text": "Part one."}], "role": "model"}}]}
    fake_gemini.queue(MAIN, FakeReply(200, body))
    reply = await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert (reply.value, reply.prompt_tokens, reply.output_tokens) == ("Part one.", None, None)


async def test_plain_request_asks_for_no_json(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert "responseMimeType" not in fake_gemini.requests[0].generation_config


async def test_client_is_built_by_the_given_executor(fake_gemini: FakeGemini) -> None:
    calls: list[Callable[[], Any]] = []

    async def executor(job: Callable[[], Any]) -> Any:
        calls.append(job)
        return await asyncio.to_thread(job)

    client = await async_create_client(VALID_KEY, fake_gemini.base_url, executor=executor)
    try:
        await async_validate_key(client)
    finally:
        await async_close_client(client)
    assert len(calls) == 1
    assert fake_gemini.requests[0].path == f"/v1beta/models/{MAIN}"


async def test_empty_key_is_refused_before_any_request() -> None:
    with pytest.raises(CoachAuthError):
        await async_create_client("   ", "http://127.0.0.1:9")


async def test_validate_key(fake_gemini: FakeGemini) -> None:
    await async_validate_api_key(VALID_KEY, base_url=fake_gemini.base_url)
    with pytest.raises(CoachAuthError):
        await async_validate_api_key("wrong-key", base_url=fake_gemini.base_url)
    with pytest.raises(CoachError, match="404 NOT_FOUND") as unknown:
        await async_validate_api_key(VALID_KEY, base_url=fake_gemini.base_url, model="no-such")
    assert not isinstance(unknown.value, CoachUnavailableError | CoachAuthError)
    assert [r.api_key for r in fake_gemini.requests] == [VALID_KEY, "wrong-key", VALID_KEY]
    assert all(r.method == "GET" for r in fake_gemini.requests)


async def test_fake_lists_models_like_the_api(client: Client, fake_gemini: FakeGemini) -> None:
    names = [model.name async for model in await client.aio.models.list()]
    assert f"models/{MAIN}" in names
    assert fake_gemini.requests[0].path == "/v1beta/models"


# --- error mapping --------------------------------------------------------------------------


async def _raised(client: Client, fake: FakeGemini, *replies: Any) -> BaseException:
    """Return the google-genai exception the client raises for a scripted reply."""
    fake.queue(MAIN, *replies)
    try:
        await client.aio.models.generate_content(model=MAIN, contents="hi")
    except Exception as err:  # noqa: BLE001 - the raw SDK error is what is under test
        return err
    raise AssertionError("no error raised")


async def test_map_invalid_key(client: Client, fake_gemini: FakeGemini) -> None:
    assert isinstance(
        map_error(await _raised(client, fake_gemini, invalid_key_error())), CoachAuthError
    )
    denied = await _raised(client, fake_gemini, permission_denied_error())
    assert isinstance(map_error(denied), CoachAuthError)


async def test_map_quota_with_retry_info(client: Client, fake_gemini: FakeGemini) -> None:
    error = map_error(await _raised(client, fake_gemini, quota_error("3s")))
    assert isinstance(error, CoachQuotaError)
    assert (error.retry_after, error.daily) == (3.0, False)

    fractional = map_error(await _raised(client, fake_gemini, quota_error("1.5s")))
    assert isinstance(fractional, CoachQuotaError)
    assert fractional.retry_after == 1.5

    bare = map_error(await _raised(client, fake_gemini, quota_error(None)))
    assert isinstance(bare, CoachQuotaError)
    assert (bare.retry_after, bare.daily) == (None, False)


async def test_map_daily_quota(client: Client, fake_gemini: FakeGemini) -> None:
    per_day = map_error(await _raised(client, fake_gemini, quota_error("20s", daily=True)))
    assert isinstance(per_day, CoachQuotaError)
    assert per_day.daily
    # A wait of hours can only be a daily quota, whatever the violation says.
    hours = map_error(await _raised(client, fake_gemini, quota_error("7200s")))
    assert isinstance(hours, CoachQuotaError)
    assert hours.daily


async def test_map_server_errors(client: Client, fake_gemini: FakeGemini) -> None:
    for reply in (unavailable_error(), internal_error()):
        assert isinstance(
            map_error(await _raised(client, fake_gemini, reply)), CoachUnavailableError
        )
    other = map_error(await _raised(client, fake_gemini, bad_request_error()))
    assert type(other) is CoachError


def test_map_transport_errors() -> None:
    from google.genai import errors  # noqa: PLC0415

    timeout = map_error(TimeoutError())
    assert isinstance(timeout, CoachUnavailableError)
    assert timeout.timed_out
    assert isinstance(map_error(aiohttp.ClientConnectionError()), CoachUnavailableError)
    assert isinstance(map_error(httpx.ConnectError("refused")), CoachUnavailableError)
    slow_httpx = map_error(httpx.ReadTimeout("slow"))
    assert isinstance(slow_httpx, CoachUnavailableError)
    assert slow_httpx.timed_out
    assert isinstance(map_error(ConnectionRefusedError()), CoachUnavailableError)
    unreadable = errors.UnknownApiResponseError("not json")
    assert isinstance(map_error(unreadable), CoachUnavailableError)
    assert type(map_error(RuntimeError("boom"))) is CoachError
    same = CoachBlockedError("x")
    assert map_error(same) is same


def test_map_error_bodies_in_every_shape() -> None:
    from google.genai import errors  # noqa: PLC0415

    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "4s"}
    wrapped = [{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [retry]}}]
    error = map_error(errors.ClientError(429, wrapped))
    assert isinstance(error, CoachQuotaError)
    assert error.retry_after == 4.0
    odd = {
        "error": {"code": 429, "details": ["junk", {"@type": "x.RetryInfo", "retryDelay": "soon"}]}
    }
    error = map_error(errors.ClientError(429, odd))
    assert isinstance(error, CoachQuotaError)
    assert error.retry_after is None
    second = {
        "error": {
            "details": [
                {"@type": "google.rpc.RetryInfo", "retryDelay": "later"},
                {"@type": "google.rpc.RetryInfo", "retryDelay": "2s"},
            ]
        }
    }
    error = map_error(errors.ClientError(429, second))
    assert isinstance(error, CoachQuotaError)
    assert error.retry_after == 2.0
    text_body = map_error(errors.ClientError(429, "Too many requests"))
    assert isinstance(text_body, CoachQuotaError)
    assert text_body.retry_after is None
    violations = {
        "error": {
            "details": [
                {
                    "@type": "google.rpc.QuotaFailure",
                    "violations": ["junk", {"quotaId": "PerMinute"}],
                }
            ]
        }
    }
    error = map_error(errors.ClientError(429, violations))
    assert isinstance(error, CoachQuotaError)
    assert not error.daily
    assert isinstance(
        map_error(errors.ClientError(401, {"error": {"details": "x"}})), CoachAuthError
    )


async def test_closing_a_client_without_aclose() -> None:
    """google-genai releases before aclose existed (Home Assistant 2025.4 pins 1.7.0)."""
    closed: list[bool] = []

    class Aio:
        async def aclose(self) -> None:
            closed.append(True)

    old: Any = SimpleNamespace(aio=SimpleNamespace())
    await async_close_client(old)
    await async_close_client(SimpleNamespace(aio=Aio()))  # type: ignore[arg-type]
    assert closed == [True]


def test_parse_json_object() -> None:
    assert parse_json_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_json_object(' {"a": [1, 2]} ') == {"a": [1, 2]}
    with pytest.raises(TypeError):
        parse_json_object("[1, 2]")
    with pytest.raises(ValueError, match="Expecting"):
        parse_json_object('{"a": ')


# --- robust generate ------------------------------------------------------------------------


async def test_quota_retry_delay_is_honoured_then_same_model_answers(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, quota_error("3s"), text_reply("ok"))

    reply = await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)

    assert reply.model == MAIN
    # The server's 3 s plus 20 % jitter at rand() = 0.5: never less than asked.
    assert sleeps.delays == [pytest.approx(3.3)]
    assert len(fake_gemini.generate_requests(MAIN)) == 2


async def test_quota_then_fallback_then_offline(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, *[quota_error("3s")] * 3)
    fake_gemini.queue(LITE, *[quota_error("3s")] * 3)
    caller = _caller(client, sleeps, clock)

    with pytest.raises(CoachQuotaError) as raised:
        await caller.generate(REQUEST, MODELS, _identity)

    assert not raised.value.daily
    # Three attempts on the main model (two waits), then the lite model: one more wait fits the
    # 10 s budget (9.9 s in all), a fourth would not.
    assert sleeps.delays == [pytest.approx(3.3)] * 3
    assert sum(sleeps.delays) <= caller.policy.max_total_wait_s
    assert len(fake_gemini.generate_requests(MAIN)) == 3
    assert len(fake_gemini.generate_requests(LITE)) == 2
    assert not caller.daily_quota_exhausted(MAIN)


async def test_long_retry_delay_goes_to_fallback_and_cools_the_model_down(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, quota_error("43s"))
    fake_gemini.queue(LITE, text_reply("lite"), text_reply("lite again"))
    caller = _caller(client, sleeps, clock)

    first = await caller.generate(REQUEST, MODELS, _identity)
    second = await caller.generate(REQUEST, MODELS, _identity)

    assert (first.model, second.model) == (LITE, LITE)
    assert sleeps.delays == []
    # While the 43 s run, the main model is not asked again.
    assert len(fake_gemini.generate_requests(MAIN)) == 1
    clock.advance(44)
    third = await caller.generate(REQUEST, MODELS, _identity)
    assert third.model == MAIN
    assert caller.calls == 4


async def test_daily_quota_is_reported_and_skipped_until_probed_again(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, quota_error(None, daily=True))
    caller = _caller(client, sleeps, clock)

    reply = await caller.generate(REQUEST, MODELS, _identity)

    assert reply.model == LITE
    assert caller.daily_quota_exhausted(MAIN)
    assert not caller.daily_quota_exhausted(LITE)
    await caller.generate(REQUEST, MODELS, _identity)
    assert len(fake_gemini.generate_requests(MAIN)) == 1
    clock.advance(DAILY_COOLDOWN_S + 1)
    assert not caller.daily_quota_exhausted(MAIN)
    assert (await caller.generate(REQUEST, MODELS, _identity)).model == MAIN
    assert sleeps.delays == []


async def test_daily_quota_on_every_model_raises_a_daily_quota_error(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, quota_error("50000s", daily=True))
    fake_gemini.queue(LITE, unavailable_error(), unavailable_error(), unavailable_error())
    caller = _caller(client, sleeps, clock)

    with pytest.raises(CoachQuotaError) as raised:
        await caller.generate(REQUEST, MODELS, _identity)
    assert raised.value.daily
    # The next call does not even ask the main model, and still says why.
    with pytest.raises(CoachQuotaError) as again:
        await caller.generate(REQUEST, (MAIN,), _identity)
    assert again.value.daily
    assert again.value.retry_after == pytest.approx(50000)
    assert len(fake_gemini.generate_requests(MAIN)) == 1


async def test_overload_backs_off_then_answers(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, unavailable_error(), internal_error(), text_reply("ok"))

    reply = await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)

    assert reply.model == MAIN
    # Equal jitter: half of 1 s then of 2 s fixed, the other half scaled by rand() = 0.5.
    assert sleeps.delays == [pytest.approx(0.75), pytest.approx(1.5)]


async def test_overload_everywhere_gives_up_within_the_budget(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, *[unavailable_error()] * 3)
    fake_gemini.queue(LITE, *[unavailable_error()] * 3)
    caller = _caller(client, sleeps, clock, max_total_wait_s=3.0)

    with pytest.raises(CoachUnavailableError):
        await caller.generate(REQUEST, MODELS, _identity)

    assert sum(sleeps.delays) <= 3.0
    assert len(fake_gemini.generate_requests(LITE)) >= 1


async def test_timeout_moves_to_the_fallback_model(
    fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, slow(text_reply("late"), 2.0))
    fake_gemini.queue(LITE, text_reply("in time"))
    client = await async_create_client(VALID_KEY, fake_gemini.base_url, timeout_s=0.3)
    try:
        reply = await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    finally:
        await async_close_client(client)
    assert (reply.model, reply.value) == (LITE, "in time")
    assert sleeps.delays == []


async def test_invalid_key_stops_at_once(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.valid_keys.clear()
    with pytest.raises(CoachAuthError):
        await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert len(fake_gemini.requests) == 1


async def test_blocked_prompt_stops_at_once(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, blocked_prompt_reply())
    with pytest.raises(CoachBlockedError) as raised:
        await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert raised.value.prompt_blocked
    assert len(fake_gemini.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        safety_reply(),
        empty_reply(),
        empty_reply("MAX_TOKENS"),
        thought_only_reply(),
        no_candidates_reply(),
    ],
    ids=["safety", "empty", "max-tokens", "thought-only", "no-candidates"],
)
async def test_unusable_answer_moves_to_the_fallback_model(
    client: Client,
    fake_gemini: FakeGemini,
    sleeps: SleepRecorder,
    clock: FakeClock,
    reply: Any,
) -> None:
    fake_gemini.queue(MAIN, reply)
    fake_gemini.queue(LITE, reply)
    with pytest.raises(CoachBlockedError) as raised:
        await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert not raised.value.prompt_blocked
    # One try per model: a refusal is not retried on the same model.
    assert [r.model for r in fake_gemini.requests] == [MAIN, LITE]
    assert sleeps.delays == []


async def test_malformed_json_moves_to_the_fallback_model(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, malformed_json_reply())
    fake_gemini.queue(LITE, json_reply({"summary": "fine"}))
    caller = _caller(client, sleeps, clock)

    reply = await caller.generate(REQUEST, MODELS, parse_json_object)
    assert (reply.model, reply.value) == (LITE, {"summary": "fine"})

    fake_gemini.queue(MAIN, malformed_json_reply())
    fake_gemini.queue(LITE, text_reply("[]"))
    with pytest.raises(CoachMalformedError):
        await caller.generate(REQUEST, MODELS, parse_json_object)


async def test_other_client_errors_move_on(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, bad_request_error())
    fake_gemini.queue(LITE, bad_request_error())
    with pytest.raises(CoachError):
        await _caller(client, sleeps, clock).generate(REQUEST, MODELS, _identity)
    assert [r.model for r in fake_gemini.requests] == [MAIN, LITE]


async def test_unknown_model_is_not_retried(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    reply = await _caller(client, sleeps, clock).generate(
        REQUEST, ("gemini-9-ultra", LITE), _identity
    )
    assert reply.model == LITE
    assert [r.model for r in fake_gemini.requests] == ["gemini-9-ultra", LITE]
    assert sleeps.delays == []


async def test_models_are_tried_once_each(
    client: Client, fake_gemini: FakeGemini, sleeps: SleepRecorder, clock: FakeClock
) -> None:
    fake_gemini.queue(MAIN, safety_reply())
    with pytest.raises(CoachBlockedError):
        await _caller(client, sleeps, clock).generate(REQUEST, (MAIN, MAIN, ""), _identity)
    assert len(fake_gemini.requests) == 1
    with pytest.raises(CoachUnavailableError, match="No Gemini model"):
        await _caller(client, sleeps, clock).generate(REQUEST, (), _identity)


# --- the wait budget holds whatever the server does -------------------------------------------


class _ScriptedModels:
    """Stands in for client.aio.models: raises scripted errors, then answers."""

    def __init__(self, script: list[CoachError | None]) -> None:
        self.script = script
        self.calls = 0
        self.last_error: CoachError | None = None

    async def generate_content(self, **_: Any) -> Any:
        self.calls += 1
        self.last_error = self.script.pop(0) if self.script else None
        if self.last_error is not None:
            raise self.last_error
        from google.genai import types  # noqa: PLC0415

        return types.GenerateContentResponse.model_validate(text_reply("ok").body)


class _ScriptedClient:
    def __init__(self, script: list[CoachError | None]) -> None:
        self.aio = self
        self.models = _ScriptedModels(script)


_failures = st.one_of(
    st.builds(
        CoachQuotaError,
        st.just("quota"),
        retry_after=st.one_of(st.none(), st.floats(0, 120)),
        daily=st.just(False),
    ),
    st.builds(CoachUnavailableError, st.just("busy")),
    st.none(),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=st.lists(_failures, max_size=8), budget=st.floats(0, 15), jitter=st.floats(0, 1))
def test_waits_never_exceed_the_budget_and_honour_server_delays(
    script: list[CoachError | None], budget: float, jitter: float
) -> None:
    client: Any = _ScriptedClient(list(script))
    waits: list[tuple[float, CoachError | None]] = []

    async def sleep(delay: float) -> None:
        # The error just raised is the reason for this wait.
        waits.append((delay, client.models.last_error))

    policy = RetryPolicy(max_total_wait_s=budget)
    caller = GeminiCaller(
        client, policy=policy, sleep=sleep, rand=lambda: jitter, clock=lambda: 0.0
    )
    with contextlib.suppress(CoachError):
        asyncio.run(caller.generate(REQUEST, MODELS, _identity))
    assert sum(delay for delay, _ in waits) <= budget + 1e-9
    assert client.models.calls <= len(MODELS) * policy.max_attempts_per_model
    for delay, reason in waits:
        if isinstance(reason, CoachQuotaError) and reason.retry_after is not None:
            assert reason.retry_after <= delay <= reason.retry_after * (1 + policy.jitter) + 1e-9
        else:
            assert 0 <= delay <= policy.max_delay_s


def test_module_does_not_import_google_genai_at_load() -> None:
    source = inspect.getsource(gemini)
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in top_level if "google" in line]
