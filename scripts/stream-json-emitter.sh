#!/bin/sh
# A stand-in for the Claude CLI that prints its stream-json shape: init, the model's answer at once
# (an assistant message), then EMITTER_LATENCY_MS of work (a sleep, as a tool would run) and the
# result; without any API. Used by the benchmark (the engine and
# `xargs -P` run this same script) and by tests where the real binary's ~0.5 s start-up would
# only make them slow. Arguments are accepted and ignored, like a real agent's flags.
#
# With EMITTER_CALLS_API=1 it first sends one Messages API request to ANTHROPIC_BASE_URL (curl),
# and when the API refuses it ends as the real CLI does with its retries off: a result with
# is_error, api_error_status and "API Error: …", exit 1. The governor benchmark uses it where the
# real CLI's ~0.5 CPU-s per run would make this 2-core machine, not the API, the limit.
ms=${EMITTER_LATENCY_MS:-0}
sid="emitter-$$-$(date +%s%N)"
printf '{"type":"system","subtype":"init","session_id":"%s","model":"stream-json-emitter","tools":[]}\n' "$sid"
if [ "${EMITTER_CALLS_API:-}" = 1 ]; then
  status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${ANTHROPIC_BASE_URL}/v1/messages" \
    -H 'content-type: application/json' -H "x-api-key: ${ANTHROPIC_API_KEY:-none}" \
    -d '{"model":"stream-json-emitter","max_tokens":16,"messages":[{"role":"user","content":"emit"}]}')
  if [ "$status" != 200 ]; then
    printf '{"type":"result","subtype":"success","is_error":true,"api_error_status":%s,"result":"API Error: Request rejected (%s)","terminal_reason":"api_error","session_id":"%s","num_turns":1,"total_cost_usd":0}\n' \
      "${status:-0}" "$status" "$sid"
    exit 1
  fi
fi
printf '{"type":"assistant","message":{"content":[{"type":"text","text":"emitted"}]},"session_id":"%s"}\n' "$sid"
if [ "$ms" -gt 0 ]; then
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
fi
printf '{"type":"result","subtype":"success","is_error":false,"result":"emitted after %sms","session_id":"%s","num_turns":1,"duration_ms":%s,"total_cost_usd":%s}\n' \
  "$ms" "$sid" "$ms" "${EMITTER_COST_USD:-0.001}"
