import type { Scenario } from '../kernel/config.js';
import { basic } from './basic.js';
import { contention } from './contention.js';
import { convert } from './convert.js';
import { host } from './host.js';
import { teardown } from './teardown.js';

/** The bundled scenarios, by name. */
export const scenarios: Readonly<Record<string, Scenario>> = { basic, convert, contention, teardown, host };
