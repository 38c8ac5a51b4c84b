import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  cleanup,
  fuzzInProcess,
  fuzzSubprocess,
  inProcess,
  root,
  runs,
  scratch,
  seed,
} from './harness.js';
import {
  faults,
  fileText,
  inputs,
  junk,
  options,
  outPath,
  policyFiles,
  written,
} from './inputs.js';

/** The verdict table is the same for the same policy: each row is computed once for all runs of
 * this file (a whole table takes seconds; the fuzz is about how the command handles its input). */
vi.mock('../../dist/src/claims/index.js', async (importOriginal) => {
  const original = await importOriginal<{
    verdictTable: (ps: { name: string }[], specOf?: (p: { name: string }) => string) => unknown[];
  }>();
  const rows = new Map<string, unknown>();
  return {
    ...original,
    verdictTable: (
      ps: { name: string }[],
      specOf: (p: { name: string }) => string = (p) => p.name,
    ) =>
      ps.map((p) => {
        const key = `${p.name}\n${specOf(p)}`;
        if (!rows.has(key)) rows.set(key, original.verdictTable([p], specOf)[0]);
        return rows.get(key);
      }),
  };
});

const { flag, valued } = inputs;
const dir = scratch('tables');
afterAll(() => cleanup(dir), 120_000);

let trace: unknown;
beforeAll(async () => {
  const file = join(dir, 'trace.json');
  expect(
    (
      await inProcess([
        'check',
        '--scenario',
        'basic',
        '--faults',
        'remove-fails=1',
        '--trace-out',
        file,
      ])
    ).code,
  ).toBe(1);
  trace = JSON.parse(readFileSync(file, 'utf8'));
}, 120_000);

const policy = fc.constantFrom(...policyFiles, 'nopin', 'missing.ts', 'nosuch');
const claims = fc
  .tuple(
    options({
      json: flag('--json'),
      markdown: flag('--markdown'),
      policy: valued('--policy', policy),
      again: valued('--policy', policy),
    }),
  )
  .map(([o]) => ['claims', ...o]);
/** As real processes, each run has one bad policy: a whole table per process would take minutes. */
const badPolicy = fc.constantFrom(
  'test/fixtures/bad-policy.ts',
  'test/fixtures/broken-syntax.ts',
  'missing.ts',
  'nosuch',
  'test/fixtures/counter-model.ts',
);
const claimsFailing = fc.tuple(claims, badPolicy).map(([argv, bad]) => [...argv, '--policy', bad]);

const view = () =>
  fc
    .tuple(
      fc.option(
        fc.oneof(
          {
            weight: 6,
            arbitrary: written(
              dir,
              '.json',
              fc.constant(null).chain(() => fileText(trace)),
            ),
          },
          { weight: 1, arbitrary: fc.constantFrom('missing.json', dir) },
        ),
        { nil: undefined },
      ),
      options({
        port: valued(
          '--port',
          fc.oneof(fc.constantFrom('0', '99999', '65536', '-1', 'x', ''), junk),
        ),
        explore: flag('--explore'),
        scenario: valued('--scenario', fc.constantFrom('basic', 'convert', 'host', 'nosuch')),
        policy: valued('--policy', policy),
        faults: valued('--faults', faults),
        hvo: flag('--hvo'),
      }),
      fc.oneof(
        { weight: 5, arbitrary: fc.constant(['--port', '0']) },
        { weight: 1, arbitrary: fc.constant([] as string[]) },
      ),
    )
    .map(([file, o, port]) => [
      'view',
      ...(file !== undefined ? [file] : []),
      ...o,
      ...port,
      '--no-open',
    ]);

/** `new`: each kind, file names it accepts or not, a file that exists, a missing folder. */
const starter = fc
  .tuple(
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('model', 'policy', 'script') },
      { weight: 1, arbitrary: junk },
    ),
    fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .constantFrom('.ts', '.mts', '.yaml', '.yml', '.js', '')
          .chain((ext) => outPath(dir, ext)),
      },
      { weight: 1, arbitrary: fc.constantFrom('README.md', 'package.json', '') },
    ),
    options({}),
  )
  .map(([kind, file, o]) => ['new', kind, file, ...o]);

describe('fuzz: claims and view', () => {
  it('claims: in-process runs', () => fuzzInProcess('claims', claims, dir), 600_000);
  it('claims: real processes', () => fuzzSubprocess('claims', claimsFailing, dir), 600_000);
  it('view: in-process runs', () => fuzzInProcess('view', view(), dir), 600_000);
  it('view: real processes', () => fuzzSubprocess('view', view(), dir), 600_000);
  it('new: in-process runs', () => fuzzInProcess('new', starter, dir), 600_000);
  it('new: real processes', () => fuzzSubprocess('new', starter, dir), 600_000);
});

/** A raw request, with whatever method and headers a forger picks. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers, setHost: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('fuzz: the view answers only its own page', () => {
  it(`answers ${runs} generated requests as its rules say`, async () => {
    const { serveView } = (await import(
      join(root, 'dist/src/cli/view-server.js')
    )) as typeof import('../../src/cli/view-server.js');
    const { server, url } = await serveView(trace as never, 0);
    const u = new URL(url);
    const port = Number(u.port);
    const token = u.searchParams.get('token')!;
    try {
      const host = fc.oneof(
        fc.constantFrom(
          `127.0.0.1:${port}`,
          `localhost:${port}`,
          'evil.example',
          `evil.example:${port}`,
          `127.0.0.1:${port + 1}`,
          '127.0.0.1',
          undefined,
        ),
      );
      const origin = fc.constantFrom(
        undefined,
        `http://127.0.0.1:${port}`,
        `http://localhost:${port}`,
        'http://evil.example',
        'null',
        `https://127.0.0.1:${port}`,
      );
      const tokenHeader = fc.constantFrom(
        undefined,
        token,
        `${token}x`,
        token.slice(1),
        '',
        'x'.repeat(token.length),
      );
      const path = fc.oneof(
        fc.constantFrom('/', '/app.js', '/api/start', '/nosuch', '/api/nosuch'),
        fc.string({ maxLength: 60 }).map((c) => `/api/trace?command=${encodeURIComponent(c)}`),
        fc
          .constantFrom(
            'septcheck check --scenario basic --policy /tmp/evil.ts',
            'septcheck check --scenario host',
          )
          .map((c) => `/api/trace?command=${encodeURIComponent(c)}`),
      );
      console.log(`fuzz view requests: ${runs} requests, seed ${seed}`);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'OPTIONS'),
          path,
          host,
          origin,
          tokenHeader,
          async (method, p, h, o, t) => {
            const headers: Record<string, string> = {};
            if (h !== undefined) headers.host = h;
            if (o !== undefined) headers.origin = o;
            if (t !== undefined) headers['x-septcheck-token'] = t;
            const own = h === `127.0.0.1:${port}` || h === `localhost:${port}`;
            const ownOrigin =
              o === undefined ||
              o === `http://127.0.0.1:${port}` ||
              o === `http://localhost:${port}`;
            const api = p.startsWith('/api/');
            const allowed = method === 'GET' && own && ownOrigin && (!api || t === token);
            const status = await send(port, method, p, headers);
            // Node itself answers 400 to an HTTP/1.1 request without a Host header.
            const expected =
              h === undefined
                ? 400
                : !allowed
                  ? 403
                  : p.startsWith('/api/trace')
                    ? 403
                    : ['/', '/app.js', '/api/start'].includes(p)
                      ? 200
                      : 404;
            expect({ method, p, headers, status }).toEqual({
              method,
              p,
              headers,
              status: expected,
            });
          },
        ),
        { seed, numRuns: runs, endOnFailure: true },
      );
    } finally {
      server.close();
    }
  }, 600_000);
});
