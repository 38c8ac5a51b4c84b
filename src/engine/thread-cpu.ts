/**
 * The CPU seconds the calling thread (the main thread or a worker) has used: Linux's
 * /proc/thread-self/stat, utime + stime in clock ticks (USER_HZ, 100 on Linux). process.cpuUsage
 * counts every thread of the process, and a per-thread count is what shows how a parallel
 * search shares its work on a machine whose other jobs make wall-clock times noise. Undefined
 * where there is no such file.
 */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export function threadCpuSeconds(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (in parentheses, which may hold spaces): utime and stime
  // are the 14th and 15th of the line, the 12th and 13th after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
