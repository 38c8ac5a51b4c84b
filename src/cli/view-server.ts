import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '../engine/index.js';
import { verdictTable, type Row } from '../claims/index.js';
import { policies } from '../policies/index.js';
import { claimsJson } from './claims-report.js';
import { Explorer } from './explorer.js';
import { InputError } from './input-error.js';
import { resolveTarget, type SystemFlags } from './target.js';
import { traceDoc, type TraceDoc, type TraceTarget } from './trace-doc.js';
import { newToken, refusal } from './view-guard.js';

/** The bundled page script: dist/web/app.js, seen from dist/src/cli (or from src/cli in tests). */
const here = dirname(fileURLToPath(import.meta.url));
const appJs =
  [join(here, '..', '..', 'web', 'app.js'), join(here, '..', '..', 'dist', 'web', 'app.js')].find(
    (p) => existsSync(p),
  ) ?? '';

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>septcheck</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { padding: 8px 16px; background: #f4f4f8; border-bottom: 1px solid #ddd; }
h1 { font-size: 18px; margin: 4px 0; } h2 { font-size: 15px; margin: 4px 0; }
.doc, .title, .where { color: #555; margin: 2px 0; }
main { display: flex; height: calc(100vh - 110px); }
nav { width: 360px; overflow: auto; border-right: 1px solid #ddd; }
#timeline { margin: 0; padding: 8px 8px 8px 40px; font-family: ui-monospace, monospace; font-size: 12px; }
#timeline li { cursor: pointer; padding: 1px 4px; } #timeline li.loop { background: #fff8e6; }
#timeline li.current { background: #cfe0ff; }
.process { color: #7a3e9d; }
section { flex: 1; overflow: auto; padding: 8px 16px; }
.call { font-family: ui-monospace, monospace; } .loopnote { color: #a0640a; }
#grid table { border-collapse: collapse; margin: 6px 0; font-size: 12px; }
#grid th, #grid td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
#grid th.rowname, #grid td.rowname { background: #f4f4f8; min-width: 70px; }
td.changed { background: #ffe08a; font-weight: 600; }
#claims { border-collapse: collapse; margin: 16px; } #claims th, #claims td { border: 1px solid #ccc; padding: 4px 8px; }
td.pass { color: #2a7a2a; } td.fail { background: #ffd6d6; } td.leak { background: #fff0c2; }
.error { color: #b00; padding: 16px; }
</style></head>
<body><div id="app">loading...</div><script type="module" src="/app.js"></script></body></html>
`;

/** The target a claims-table command names (only the flags `claims` writes are accepted). */
function targetOfCommand(command: string): TraceTarget {
  const args = command.trim().split(/\s+/);
  if (args[0] !== 'septcheck' || args[1] !== 'check')
    throw new InputError(`not a septcheck check command: ${command}`);
  const t: SystemFlags = {};
  for (let i = 2; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--hvo') t.hvo = true;
    else if (flag === '--without-page-ext') t.withoutPageExt = true;
    else if (flag === '--scenario' || flag === '--policy' || flag === '--faults')
      t[flag.slice(2) as 'scenario' | 'policy' | 'faults'] = args[++i]!;
    else throw new InputError(`unexpected argument "${flag}" in ${command}`);
  }
  if (!t.scenario) throw new InputError(`no --scenario in ${command}`);
  return {
    scenario: t.scenario,
    policy: t.policy ?? 'nopin',
    faults: t.faults ?? '',
    hvo: t.hvo ?? false,
    ...(t.withoutPageExt ? { withoutPageExt: true } : {}),
  };
}

/** The most states one request may make the view explore: every command of the bundled table
 * needs far fewer (the largest, a few thousand). */
const MAX_STATES_PER_REQUEST = 1_000_000;

async function traceFor(command: string): Promise<TraceDoc> {
  const t = await resolveTarget(targetOfCommand(command));
  const r = check(t.model, { maxStates: MAX_STATES_PER_REQUEST });
  const found = r.violation ?? r.findings[0];
  if (!found)
    throw new InputError(
      `${command}: no counterexample (${r.result === 'incomplete' ? 'stopped' : 'the check passes'})`,
    );
  return traceDoc(t.model, found, t.title, t.target);
}

/** Serves the view on 127.0.0.1 only; resolves once listening, with the server and its URL (which
 * carries the run's token). It runs only the commands of the table it shows, one at a time. With
 * an explorer, the page explores its model (GET /api/explore?path=0.3.1: the path replayed and the
 * steps enabled at its end); the model is the one the command line named. */
export function serveView(
  trace: TraceDoc | undefined,
  port: number,
  explorer?: Explorer,
): Promise<{ server: Server; url: string }> {
  const token = newToken();
  let claims: Record<string, unknown> | undefined;
  const table = () => (claims ??= claimsJson(verdictTable(Object.values(policies))));
  const traces = new Map<string, Promise<TraceDoc>>();
  let queue: Promise<unknown> = Promise.resolve();
  const traceOf = (command: string) => {
    const known = trace
      ? []
      : (table().rows as Row[]).flatMap((r) =>
          r.cells.flatMap((c) => (c.command ? [c.command] : [])),
        );
    if (!known.includes(command)) return undefined;
    if (!traces.has(command)) {
      const run = queue.then(() => traceFor(command));
      queue = run.catch(() => undefined);
      traces.set(command, run);
    }
    return traces.get(command)!;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const json = (body: unknown) => send(200, 'application/json', JSON.stringify(body));
    const api = url.pathname.startsWith('/api/');
    const refused = req.method !== 'GET' ? 'only GET' : refusal(req, listening(), token, api);
    if (refused) return send(403, 'text/plain', `forbidden: ${refused}\n`);
    void (async () => {
      try {
        if (url.pathname === '/') send(200, 'text/html; charset=utf-8', page);
        else if (url.pathname === '/app.js')
          send(200, 'text/javascript', readFileSync(appJs, 'utf8'));
        else if (url.pathname === '/api/start' && explorer)
          json({ explore: { path: explorer.start } });
        else if (url.pathname === '/api/start') json(trace ? { trace } : { claims: table() });
        else if (url.pathname === '/api/explore' && explorer)
          json(explorer.at(Explorer.parsePath(url.searchParams.get('path') ?? '')));
        else if (url.pathname === '/api/trace') {
          const found = traceOf(url.searchParams.get('command') ?? '');
          if (!found)
            send(403, 'text/plain', 'forbidden: not a command of the table this view shows\n');
          else json({ trace: await found });
        } else send(404, 'text/plain', 'not found');
      } catch (err) {
        json({ error: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  const listening = () => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  };
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new InputError(
          `--port ${port}: ${err.code === 'EADDRINUSE' ? 'already in use' : err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${listening()}/?token=${token}` }),
    );
  });
}

/** Opens the page in the desktop's browser, if there is one; quietly nothing otherwise. */
export function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}
