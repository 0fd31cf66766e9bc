// Reads a process's CPU time and resident memory from /proc, the way node_exporter's process collector does.
import { readFileSync } from 'node:fs';

// USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux this runs on (getconf CLK_TCK).
const CLK_TCK = 100;

/** utime + stime of every thread of the process, in seconds. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields are counted after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is index 0, so utime (field 14) is index 11 and stime (15) index 12.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS in MiB. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}
