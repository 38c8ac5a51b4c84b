import { nopin } from './nopin.js';
import { pin } from './pin.js';
import type { PagePolicy } from './policy.js';

export type { PagePolicy } from './policy.js';
export { noHooks } from './policy.js';

/** The bundled page-reference designs, by name. */
export const policies: Readonly<Record<string, PagePolicy>> = { pin, nopin };
