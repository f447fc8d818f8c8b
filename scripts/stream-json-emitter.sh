#!/bin/sh
# A stand-in for the Claude CLI that prints its stream-json shape (init, assistant, result)
# after sleeping EMITTER_LATENCY_MS, without any API. Used by the benchmark (the engine and
# `xargs -P` run this same script) and by tests where the real binary's ~0.5 s start-up would
# only make them slow. Arguments are accepted and ignored, like a real agent's flags.
ms=${EMITTER_LATENCY_MS:-0}
sid="emitter-$$-$(date +%s%N)"
printf '{"type":"system","subtype":"init","session_id":"%s","model":"stream-json-emitter","tools":[]}\n' "$sid"
if [ "$ms" -gt 0 ]; then
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
fi
printf '{"type":"assistant","message":{"content":[{"type":"text","text":"emitted"}]},"session_id":"%s"}\n' "$sid"
printf '{"type":"result","subtype":"success","is_error":false,"result":"emitted after %sms","session_id":"%s","num_turns":1,"duration_ms":%s,"total_cost_usd":%s}\n' \
  "$ms" "$sid" "$ms" "${EMITTER_COST_USD:-0.001}"
