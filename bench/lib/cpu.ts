import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds used so far by the service, by PostgreSQL and by this process (the load tool). */
export interface CpuSample {
  service: number;
  postgres: number;
  bench: number;
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** utime, stime, cutime, cstime of a process, in seconds; undefined once it has gone. */
function times(pid: number): { own: number; children: number } | undefined {
  try {
    // The command name is in parentheses and may hold spaces; fields follow the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      own: (Number(fields[11]) + Number(fields[12])) / TICKS,
      children: (Number(fields[13]) + Number(fields[14])) / TICKS,
    };
  } catch {
    return undefined;
  }
}

function command(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function parent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * Reads the CPU time of the service process, of every PostgreSQL process on this machine
 * (the server's backends, and through the postmaster's children times the backends that
 * exited meanwhile, as search connections are recycled) and of this process. Linux only;
 * elsewhere every figure stays 0.
 */
export function sampleCpu(servicePid: number | undefined): CpuSample {
  const sample: CpuSample = {
    service: servicePid ? (times(servicePid)?.own ?? 0) : 0,
    postgres: 0,
    bench: times(process.pid)?.own ?? 0,
  };
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return sample;
  }
  for (const entry of pids) {
    const pid = Number(entry);
    if (command(pid) !== 'postgres') continue;
    const t = times(pid);
    if (!t) continue;
    sample.postgres += t.own;
    const up = parent(pid);
    if (up !== undefined && command(up) !== 'postgres') sample.postgres += t.children;
  }
  return sample;
}

/** Microseconds of CPU per request between two samples. */
export function cpuPerRequest(
  before: CpuSample,
  after: CpuSample,
  requests: number,
): CpuSample | undefined {
  if (requests === 0 || after.service === 0) return undefined;
  const per = (key: keyof CpuSample) =>
    Math.round(((after[key] - before[key]) / requests) * 1_000_000);
  return { service: per('service'), postgres: per('postgres'), bench: per('bench') };
}
