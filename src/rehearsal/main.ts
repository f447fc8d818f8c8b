/**
 * Standalone scripted Messages API:
 * `node dist/src/rehearsal/main.js [--port N] [--host H] [--fault SPEC] [--rate-limit PER_SECOND]`.
 * Prints `{"url":"http://127.0.0.1:N"}` as one JSON line once listening; stops on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { startScriptedApi } from './scriptedApi.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string' },
    fault: { type: 'string' },
    'rate-limit': { type: 'string' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid --port "${values.port}"`);
  process.exit(2);
}

const rateLimitPerSecond = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
const api = await startScriptedApi({ port, host: values.host, defaultFault: values.fault, rateLimitPerSecond }).catch(
  (error: Error) => {
    console.error(error.message); // bad --fault / --rate-limit, or the port is taken
    process.exit(2);
  },
);
console.log(JSON.stringify({ url: api.url }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void api.close().then(() => process.exit(0));
  });
}
