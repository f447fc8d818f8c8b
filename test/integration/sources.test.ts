/**
 * Every source kind through the real CLI, a real worker, real Temporal and Postgres, and the
 * real `claude` against the scripted Messages API. The scripted API logs each unit prompt as it
 * arrived, so what reached the agent is compared with what the records say, byte for byte.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import sqlite from 'node-sqlite3-wasm';
import pg from 'pg';
import { CLI, parseJsonl, useHarness, waitFor, waitForStatus, type StatusJson } from '../support/harness.js';

const h = useHarness();
let dir: string;
let promptLog: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-sources-'));
  promptLog = path.join(dir, 'prompts.jsonl');
  await h.startWorker({ SCRIPTED_API_LOG: promptLog });
});

/** Run a job to the end; returns its final status and its units' rows. */
async function runJob(args: string[], env: Record<string, string> = {}) {
  const r = await h.cli(['run', ...args, '--rehearse', '--yes', '--json', '--test-units', '1', '--concurrency', '3'], {
    cwd: dir,
    env,
  });
  if (r.exitCode !== 0) throw new Error(`run exited ${r.exitCode}: ${r.stderr}`);
  const status = JSON.parse(r.stdout) as StatusJson;
  const units = await h.query<{
    key: string;
    payload: Record<string, unknown>;
    origin: string;
    status: string;
    prompt: string;
  }>(
    `SELECT u.key, u.payload, u.origin, u.status, a.prompt FROM units u
     JOIN LATERAL (SELECT prompt FROM attempts WHERE job_id = u.job_id AND unit_id = u.unit_id ORDER BY id DESC LIMIT 1) a ON true
     WHERE u.job_id = $1 ORDER BY u.unit_id`,
    [status.jobId],
  );
  return { status, units, stderr: r.stderr };
}

/** The prompts the scripted API received, as it received them. */
async function receivedPrompts(): Promise<string[]> {
  return parseJsonl<{ prompt: string }>(await readFile(promptLog, 'utf8')).map((l) => l.prompt);
}

describe('csv', () => {
  it('reaches the agent byte for byte: quoted commas, quotes, newlines, unicode', async () => {
    const rows = [
      { sku: 'LAMP-1', name: 'Lamp, brass', price: '9.50', notes: 'says "hi"\nand a second line' },
      { sku: 'CHAIR-2', name: 'Chaise à bascule 🪑', price: '120', notes: '日本語のメモ — ok' },
      { sku: 'DESK-3', name: '-leading dash', price: '0', notes: 'tab\there, $HOME and `ticks`' },
    ];
    const quote = (v: string) => `"${v.replaceAll('"', '""')}"`;
    await writeFile(
      path.join(dir, 'products.csv'),
      `\uFEFFsku,name,price,notes\r\n${rows.map((r) => [r.sku, r.name, r.price, r.notes].map(quote).join(',')).join('\r\n')}\r\n`,
    );
    const { status, units } = await runJob([
      '--csv',
      'products.csv',
      '--key',
      'sku',
      '--prompt',
      'Describe {{name}} ({{price}} EUR). Notes: {{notes}} [{{_key}} #{{_index}}]',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 3, succeeded: 3 } });
    const expected = rows.map((r, i) => `Describe ${r.name} (${r.price} EUR). Notes: ${r.notes} [${r.sku} #${i + 1}]`);
    expect(units.map((u) => u.key)).toEqual(['LAMP-1', 'CHAIR-2', 'DESK-3']);
    expect(units.map((u) => u.prompt)).toEqual(expected);
    expect(units[1]!.origin).toBe('line 4 of products.csv');
    expect((await h.cli(['show', status.jobId, 'CHAIR-2'])).stdout).toContain(
      'unit 2: CHAIR-2 (line 4 of products.csv)',
    );
    const received = await receivedPrompts();
    for (const prompt of expected) expect(received).toContain(prompt);
  });
});

describe('json and jsonl', () => {
  it('reads the array at a pointer, with nested placeholders', async () => {
    await writeFile(
      path.join(dir, 'orders.json'),
      JSON.stringify({
        meta: { page: 1 },
        data: {
          orders: [
            { id: 'o1', customer: { name: 'Ada', address: { city: 'Lyon' } }, items: ['pen', 'ink'] },
            { id: 'o2', customer: { name: 'Grace', address: { city: 'Oslo' } }, items: [] },
          ],
        },
      }),
    );
    const { status, units } = await runJob([
      '--json',
      'orders.json',
      '--pointer',
      '/data/orders',
      '--key',
      'id',
      '--prompt',
      'Ship {{items}} to {{customer.name}} in {{customer.address.city}} ({{_json}})',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => u.prompt)).toEqual([
      'Ship ["pen","ink"] to Ada in Lyon ({"id":"o1","customer":{"name":"Ada","address":{"city":"Lyon"}},"items":["pen","ink"]})',
      'Ship [] to Grace in Oslo ({"id":"o2","customer":{"name":"Grace","address":{"city":"Oslo"}},"items":[]})',
    ]);
    expect(units[1]!.origin).toBe('element /data/orders/1 of orders.json');
  });

  it('reads JSON Lines, with null rendered as nothing', async () => {
    await writeFile(
      path.join(dir, 'tickets.jsonl'),
      '{"id":17,"title":"Login fails","body":null}\n\n{"id":18,"title":"Typo","body":"in footer"}\n',
    );
    const { status, units } = await runJob([
      '--jsonl',
      'tickets.jsonl',
      '--key',
      'id',
      '--prompt',
      'Triage ticket {{id}}: {{title}}. Body: [{{body}}]',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => [u.key, u.prompt, u.origin])).toEqual([
      ['17', 'Triage ticket 17: Login fails. Body: []', 'line 1 of tickets.jsonl'],
      ['18', 'Triage ticket 18: Typo. Body: [in footer]', 'line 3 of tickets.jsonl'],
    ]);
  });
});

describe('postgres', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  let sourceUrl: string;
  let source: pg.Client;

  beforeAll(async () => {
    // A second database, owned by a role of its own: the source a user would point at.
    const database = `crm_${randomBytes(3).toString('hex')}`;
    const role = `reader_${randomBytes(3).toString('hex')}`;
    await h.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await h.query(`CREATE DATABASE ${database} OWNER ${role}`);
    const url = new URL(h.stack.databaseUrl);
    url.username = role;
    url.password = password;
    url.pathname = `/${database}`;
    sourceUrl = url.toString();
    source = new pg.Client({ connectionString: sourceUrl });
    source.on('error', () => undefined);
    await source.connect();
    await source.query(`CREATE TABLE customers (id bigint PRIMARY KEY, email text, notes text, flagged boolean, since date, balance numeric(12,2));
      INSERT INTO customers VALUES (1, 'a@x.org', 'late payments', true, '2020-01-31', 12.50),
        (2, 'b@x.org', 'fine', false, '2021-06-01', 0), (3, 'c@x.org', 'asked for a refund', true, '2019-03-15', 1234567890.99)`);
  });

  afterAll(() => source.end());

  it('runs one unit per row of the query; the URL is never stored or printed', async () => {
    const { status, units, stderr } = await runJob([
      '--sql',
      'SELECT id, email, notes, since, balance FROM customers WHERE flagged ORDER BY id',
      '--db',
      sourceUrl,
      '--key',
      'id',
      '--prompt',
      'Customer {{id}} <{{email}}> since {{since}} owes {{balance}}: {{notes}}',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => u.prompt)).toEqual([
      'Customer 1 <a@x.org> since 2020-01-31 owes 12.50: late payments',
      'Customer 3 <c@x.org> since 2019-03-15 owes 1234567890.99: asked for a refund',
    ]);
    expect(stderr).not.toContain(password);
    const [{ spec }] = await h.query<{ spec: unknown }>('SELECT spec FROM jobs WHERE id = $1', [status.jobId]);
    expect(JSON.stringify(spec)).not.toContain(password);
    expect(JSON.stringify(spec)).not.toContain(sourceUrl);
  });

  it('reads the URL from SOURCE_DATABASE_URL when no --db is given', async () => {
    const { status } = await runJob(
      ['--sql', 'SELECT id FROM customers WHERE id = 2', '--prompt', 'Look at customer {{id}}'],
      {
        SOURCE_DATABASE_URL: sourceUrl,
      },
    );
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 1, succeeded: 1 } });
  });

  it('refuses a query that writes with Postgres’s own reason, and changes nothing', async () => {
    const r = await h.cli(
      [
        'create',
        '--sql',
        'DELETE FROM customers RETURNING id',
        '--db',
        sourceUrl,
        '--prompt',
        'x {{id}}',
        '--rehearse',
      ],
      { cwd: dir },
    );
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: the query was refused: cannot execute DELETE in a read-only transaction\nhint: /);
    expect(r.stderr).not.toContain(password);
    expect((await source.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(3);
  });

  it.each([
    ['ends its read-only transaction and writes', 'SELECT id FROM customers; COMMIT; CREATE TABLE pwned (i int)'],
    ['turns its transaction read-write', 'SELECT id FROM customers; SET TRANSACTION READ WRITE; DELETE FROM customers'],
    ['hides a second statement after a comment', 'SELECT id FROM customers /* ; */; COMMIT; DROP TABLE customers'],
  ])('refuses a query that %s before anything runs', async (_, sql) => {
    const r = await h.cli(['create', '--sql', sql, '--db', sourceUrl, '--prompt', 'x {{id}}', '--rehearse'], {
      cwd: dir,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: the query is more than one statement: .*\nhint: a source query is one SELECT/);
    expect((await source.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(3);
    expect((await source.query("SELECT to_regclass('pwned') AS t")).rows[0].t).toBeNull();
  });

  it('takes one statement with a trailing semicolon', async () => {
    const { status } = await runJob([
      '--sql',
      'SELECT id FROM customers WHERE id = 1;',
      '--db',
      sourceUrl,
      '--prompt',
      'x {{id}}',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 1 } });
  });

  it('names a syntax error and redacts the password of an unreachable database', async () => {
    const bad = await h.cli(
      ['create', '--sql', 'SELECT id FORM customers', '--db', sourceUrl, '--prompt', 'x', '--rehearse'],
      { cwd: dir },
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^error: the query failed: syntax error at or near "customers"/);
    const url = new URL(sourceUrl);
    url.port = '1';
    const down = await h.cli(
      ['create', '--sql', 'SELECT 1 AS id', '--db', url.toString(), '--prompt', 'x', '--rehearse'],
      { cwd: dir },
    );
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toMatch(
      /^error: cannot connect to the source database postgres:\/\/reader_\w+:\*\*\*@127\.0\.0\.1:1\//,
    );
    expect(down.stderr + down.stdout).not.toContain(password);
  });
});

describe('sqlite, command and module', () => {
  it('runs one unit per row of an SQLite query', async () => {
    const db = new sqlite.Database(path.join(dir, 'shop.db'));
    db.exec(
      "CREATE TABLE products (sku TEXT, name TEXT); INSERT INTO products VALUES ('s1', 'Kettle'), ('s2', 'Toaster');",
    );
    db.close();
    const { status, units } = await runJob([
      '--sql',
      'SELECT * FROM products ORDER BY sku',
      '--sqlite',
      'shop.db',
      '--key',
      'sku',
      '--prompt',
      'Describe the {{name}}',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => [u.key, u.prompt])).toEqual([
      ['s1', 'Describe the Kettle'],
      ['s2', 'Describe the Toaster'],
    ]);
  });

  it('runs one unit per line a command prints', async () => {
    const { status, units } = await runJob([
      '--lines-from',
      "printf 'src/a.ts\\nsrc/b.ts\\n'",
      '--prompt',
      'Add JSDoc to {{line}} (unit {{index}})',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => [u.key, u.prompt])).toEqual([
      ['src/a.ts', 'Add JSDoc to src/a.ts (unit 1)'],
      ['src/b.ts', 'Add JSDoc to src/b.ts (unit 2)'],
    ]);
  });

  it("runs one unit per record of the user's module, and writes the agent's files", async () => {
    await writeFile(
      path.join(dir, 'records.mjs'),
      'export async function* tickets() { for (const id of [101, 102]) yield { id, summary: `ticket ${id}` }; }\n',
    );
    const { status, units } = await runJob([
      '--from-module',
      'records.mjs',
      '--export',
      'tickets',
      '--key',
      'id',
      '--prompt',
      'Summarize {{summary}} to the file out/{{_key}}.txt',
      '--allowed-tools',
      'Write',
      '--permission-mode',
      'acceptEdits',
    ]);
    expect(status).toMatchObject({ status: 'COMPLETED', counts: { total: 2, succeeded: 2 } });
    expect(units.map((u) => u.key)).toEqual(['101', '102']);
    expect(await readFile(path.join(dir, 'out', '101.txt'), 'utf8')).toContain(
      'Summarize ticket 101 to the file out/101.txt',
    );
  });
});

describe('a revised prompt', () => {
  it('is checked against every stored record: a nested field one lacks is named, a null one is present', async () => {
    await writeFile(
      path.join(dir, 'owned.jsonl'),
      '{"id":1,"title":"a","meta":{"owner":null}}\n{"id":2,"title":"b","meta":{}}\n',
    );
    const { jobId } = await h.cliJson<{ jobId: string }>(
      ['create', '--jsonl', 'owned.jsonl', '--key', 'id', '--prompt', 'Look at {{title}}', '--rehearse'],
      {
        cwd: dir,
      },
    );
    await waitForStatus(h, jobId, (s) => s.status === 'READY');

    const refused = await h.cli([
      'reject',
      jobId,
      '--feedback',
      'name the owner',
      '--prompt',
      'Ask {{meta.owner}} about {{title}}',
    ]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      /^error: the revised prompt uses \{\{meta\.owner\}\}, which the record at line 2 of owned\.jsonl does not have\n/,
    );

    const accepted = await h.cli([
      'reject',
      jobId,
      '--feedback',
      'shorter',
      '--prompt',
      'Retitle {{title}} ({{meta}}, {{_key}})',
    ]);
    expect(accepted.exitCode).toBe(0);
    const retested = await waitForStatus(h, jobId, (s) => s.status === 'READY' && s.templateVersion === 2);
    expect(retested.templateVersion).toBe(2);
  });
});

describe('interrupted', () => {
  it('Ctrl-C while the units are being stored creates nothing', async () => {
    const rows = Array.from({ length: 400_000 }, (_, i) => `sku-${i},"item ${i}, in stock"`);
    await writeFile(path.join(dir, 'big.csv'), `sku,name\n${rows.join('\n')}\n`);
    const child = execa(
      'node',
      [
        CLI,
        'create',
        '--csv',
        'big.csv',
        '--key',
        'sku',
        '--name',
        'interrupted',
        '--prompt',
        'x {{name}}',
        '--rehearse',
      ],
      {
        cwd: dir,
        env: h.env(),
        reject: false,
        stdin: 'ignore',
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('units stored'), 60_000, 'units being stored');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(stderr).toContain('interrupted: the job was not created, and nothing was stored');
    expect(await h.query("SELECT id FROM jobs WHERE name = 'interrupted'")).toEqual([]);
    expect(await h.query("SELECT count(*)::int AS n FROM units WHERE job_id LIKE 'job-interrupted-%'")).toEqual([
      { n: 0 },
    ]);
  });
});
