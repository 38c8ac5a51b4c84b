import { request } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveView } from '../../src/cli/view-server.js';

/** A raw request to the view, with whatever Host, Origin and token a forger would send. */
function get(
  port: number,
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, headers, setHost: false },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('septcheck view refuses what its own page would not ask', () => {
  let server: Server;
  let port: number;
  let token: string;
  let host: string;
  const command = 'septcheck check --scenario basic --policy nopin --faults remove-fails=1';
  beforeAll(async () => {
    const s = await serveView(undefined, 0);
    server = s.server;
    const u = new URL(s.url);
    port = Number(u.port);
    token = u.searchParams.get('token')!;
    host = `127.0.0.1:${port}`;
  });
  afterAll(() => server.close());

  it('prints a URL with a random per-run token', async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const other = await serveView(undefined, 0);
    other.server.close();
    expect(new URL(other.url).searchParams.get('token')).not.toBe(token);
  });

  it('serves its own page with the token, and a command of its table', async () => {
    expect((await get(port, '/', { host })).status).toBe(200);
    const start = await get(port, '/api/start', { host, 'x-septcheck-token': token });
    expect(start.status).toBe(200);
    expect(JSON.parse(start.body).claims.rows).toHaveLength(8);
    const r = await get(port, `/api/trace?command=${encodeURIComponent(command)}`, {
      host,
      origin: `http://${host}`,
      'x-septcheck-token': token,
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).trace.property).toBe('no-reuse-while-mapped');
  });

  it.each([
    [
      'a foreign Host (DNS rebinding)',
      '/api/start',
      { host: 'evil.example', 'x-septcheck-token': 'TOKEN' },
      "forbidden: Host is not the view's own address\n",
    ],
    [
      'a foreign Host on the page itself',
      '/',
      { host: `evil.example:PORT` },
      "forbidden: Host is not the view's own address\n",
    ],
    [
      'a cross-site Origin',
      '/api/start',
      { host: 'HOST', origin: 'http://evil.example', 'x-septcheck-token': 'TOKEN' },
      "forbidden: Origin is not the view's own page\n",
    ],
    [
      'no token',
      '/api/start',
      { host: 'HOST' },
      'forbidden: no valid token (open the URL septcheck view printed)\n',
    ],
    [
      'a wrong token',
      '/api/start',
      { host: 'HOST', 'x-septcheck-token': 'x'.repeat(32) },
      'forbidden: no valid token (open the URL septcheck view printed)\n',
    ],
    [
      'a policy file of its choosing',
      `/api/trace?command=${encodeURIComponent('septcheck check --scenario basic --policy /tmp/evil.ts')}`,
      { host: 'HOST', 'x-septcheck-token': 'TOKEN' },
      'forbidden: not a command of the table this view shows\n',
    ],
    [
      'an unbounded scenario',
      `/api/trace?command=${encodeURIComponent('septcheck check --scenario host')}`,
      { host: 'HOST', 'x-septcheck-token': 'TOKEN' },
      'forbidden: not a command of the table this view shows\n',
    ],
  ])('refuses %s with 403', async (_, path, headers, body) => {
    const h = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [
        k,
        v.replace('TOKEN', token).replace('HOST', host).replace('PORT', String(port)),
      ]),
    );
    const r = await get(port, path, h);
    expect(r).toEqual({ status: 403, body });
  });

  it('refuses every method but GET', async () => {
    expect(await get(port, '/api/start', { host, 'x-septcheck-token': token }, 'POST')).toEqual({
      status: 403,
      body: 'forbidden: only GET\n',
    });
  });

  it('started with a trace, runs no command at all', async () => {
    const s = await serveView(
      {
        format: 'septcheck-trace/1',
        title: 't',
        target: { model: 'hanoi' },
        kind: 'deadlock',
        property: 'deadlock',
        doc: 'd',
        steps: [{ action: null, process: null, changes: [], state: {} }],
      },
      0,
    );
    try {
      const u = new URL(s.url);
      const r = await get(Number(u.port), `/api/trace?command=${encodeURIComponent(command)}`, {
        host: u.host,
        'x-septcheck-token': u.searchParams.get('token')!,
      });
      expect(r).toEqual({
        status: 403,
        body: 'forbidden: not a command of the table this view shows\n',
      });
    } finally {
      s.server.close();
    }
  });
});
