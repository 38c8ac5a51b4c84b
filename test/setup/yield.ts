import { beforeEach } from 'vitest';

// Many tests wait synchronously for a septcheck process. Between tests vitest only awaits
// promises, so a file of such tests never lets its worker read vitest's messages, and on a loaded
// machine a file longer than vitest's 60 s message timeout fails with "Timeout calling
// onTaskUpdate" although every test passed. One turn of the event loop before each test lets
// those messages through.
beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
