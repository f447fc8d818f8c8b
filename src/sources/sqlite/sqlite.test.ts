import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import sqlite from 'node-sqlite3-wasm';
import { readUnits, source, sourceError, tempFiles } from '../../../test/support/sources.js';

let dir: string;
let before: Buffer;

beforeAll(async () => {
  dir = await tempFiles({ 'not-a-db.sqlite': 'just text, not a database\n'.repeat(40) });
  const db = new sqlite.Database(path.join(dir, 'shop.db'));
  db.exec(`CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT, price REAL, image BLOB);
           INSERT INTO products VALUES ('A1', 'Lamp', 9.5, x'0001'), ('B2', 'Chair', 20, NULL), ('C3', 'Desk', 120.25, NULL);`);
  db.close();
  before = await readFile(path.join(dir, 'shop.db'));
});

describe('sqlite source', () => {
  it('makes each row a unit, blobs as base64', async () => {
    const units = await readUnits(
      source({ type: 'sqlite', path: 'shop.db', query: 'SELECT * FROM products ORDER BY sku', key: 'sku' }, dir),
    );
    expect(units).toEqual([
      { key: 'A1', payload: { sku: 'A1', name: 'Lamp', price: 9.5, image: 'AAE=' }, origin: 'row 1 of the query' },
      { key: 'B2', payload: { sku: 'B2', name: 'Chair', price: 20, image: null }, origin: 'row 2 of the query' },
      { key: 'C3', payload: { sku: 'C3', name: 'Desk', price: 120.25, image: null }, origin: 'row 3 of the query' },
    ]);
  });

  it('opens the file read-only: a query that writes is refused and changes nothing', async () => {
    const err = await sourceError(
      source({ type: 'sqlite', path: 'shop.db', query: "DELETE FROM products WHERE sku = 'A1' RETURNING sku" }, dir),
    );
    expect(err.message).toBe('the query was refused: attempt to write a readonly database');
    expect(await readFile(path.join(dir, 'shop.db'))).toEqual(before);
  });

  it('reports a syntax error, an empty result and a file that is not a database', async () => {
    expect(
      (await sourceError(source({ type: 'sqlite', path: 'shop.db', query: 'SELEC * FROM products' }, dir))).message,
    ).toBe('the query on shop.db failed: near "SELEC": syntax error');
    expect(
      (await sourceError(source({ type: 'sqlite', path: 'shop.db', query: 'SELECT * FROM products WHERE 0' }, dir)))
        .message,
    ).toBe('the query returned no rows from shop.db');
    expect(
      (await sourceError(source({ type: 'sqlite', path: 'not-a-db.sqlite', query: 'SELECT 1' }, dir))).message,
    ).toMatch(/not-a-db\.sqlite is not an SQLite database$/);
  });
});
