// The septcheck command in a few files instead of about 130 ES modules: a process spends most
// of its start-up resolving, reading and compiling modules (issue 15: the fuzz suite runs
// hundreds of processes, and `septcheck --help` is what a user meets first). Run after tsc:
// - dist/src/engine/index.js (replacing tsc's): the engine in one module. Everything that uses the engine imports
//   this file (the command, the library's index, the bundled example models, user models through
//   the package), so there is one engine, one ModelError, in a process. Its worker thread
//   (worker.js, beside it) stays tsc's.
// - dist/src/cli/septcheck.js, the package's bin: src/cli/main.ts and what it imports but the
//   engine and the packages (commander, tsx, yaml, ...: resolved from node_modules as before).
//   What a command imports when it runs (the view's server, the verdict table) is a chunk of its
//   own. tsc's dist/src/cli/main.js stays: the same command unbundled, which the in-process
//   tests import.
// Every file stays where tsc put it, so the paths modules compute from import.meta.url (the
// worker, templates, examples, the web page) stay right. Not minified: an internal error's
// `at dist/src/cli/septcheck.js:LINE` still says where.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist', 'src');

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  allowOverwrite: true,
  logLevel: 'warning',
};

// tsc's maps of the replaced files no longer fit, and chunks of an earlier build are stale.
for (const [dir, stale] of [
  ['engine', /^index\.js\.map$/],
  ['cli', /^chunk-.*\.js$/],
])
  for (const f of readdirSync(join(dist, dir))) if (stale.test(f)) rmSync(join(dist, dir, f));

await build({
  ...common,
  entryPoints: [join(src, 'engine', 'index.ts')],
  outfile: join(dist, 'engine', 'index.js'),
});

await build({
  ...common,
  entryPoints: [join(src, 'cli', 'main.ts')],
  outdir: join(dist, 'cli'),
  entryNames: 'septcheck',
  packages: 'bundle',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  // commander inside the bin: it is imported by every run, and Node 20 loading it from
  // node_modules (its ESM wrapper, then CommonJS through the CJS loader, six files) cost 0.025 of
  // the 0.22 CPU-s of `septcheck --help` (12 runs alternated, 2-core machine). Bundled CommonJS
  // calls `require` for Node's own modules: the banner gives the ES module one.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  plugins: [
    {
      name: 'packages-external-but-commander',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path === 'commander' || a.importer.includes('/node_modules/commander/')
            ? undefined
            : { path: a.path, external: true },
        );
      },
    },
    {
      name: 'engine-external',
      setup(b) {
        b.onResolve({ filter: /^\.\.?\// }, (a) => {
          const path = resolve(a.resolveDir, a.path);
          if (!path.startsWith(join(src, 'engine') + '/')) return undefined;
          if (path !== join(src, 'engine', 'index.js'))
            return { errors: [{ text: `${a.importer}: import the engine from its index.js` }] };
          return { path: '../engine/index.js', external: true };
        });
      },
    },
  ],
});
