/** How commands talk: results on stdout (JSON with --json), everything for humans on stderr. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}
