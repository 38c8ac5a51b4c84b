#!/usr/bin/env node
/**
 * The septcheck command. The package's bin is this file bundled with the modules it imports
 * (`npm run build`, tools/bundle-cli.mjs), which halves a process's start-up; imported as a
 * module it runs nothing and offers `septcheck(argv, io)` for running commands in-process.
 */
import { isEntry, runProcess } from './entry.js';
import { program } from './program.js';

export { septcheck } from './program.js';

if (isEntry(import.meta.url)) await runProcess(program);
