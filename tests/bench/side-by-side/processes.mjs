// Child processes and clean-up for the side-by-side bench: every process
// started here is stopped on the way out, failure or not.
import { spawn } from "node:child_process";
import { once } from "node:events";

// What wrangler dev prints offline and about cron triggers, whatever the worker does.
export const WRANGLER_NOTICE =
  /Request\.cf|workers\.cloudflare\.com|GetAddrInfoReqWrap|Scheduled Workers are not automatically|trigger a scheduled event|cdn-cgi\/handler\/scheduled|cron-triggers|^\s*$/i;

/** Children started here (each leads its own process group), stopped on exit. */
const children = new Set();
const cleanups = [];

/** Runs `fn` on the way out (last registered, first run). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** How many clean-ups are registered now: `cleanup(mark)` runs those registered since. */
export function cleanupMark() {
  return cleanups.length;
}

/**
 * Runs the clean-ups registered since `mark` (default: all), last first;
 * reports and goes on past failures.
 */
export async function cleanup(mark = 0) {
  while (cleanups.length > mark) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`[bench] cleanup: ${error.message}`);
    }
  }
}

process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
});
for (const name of ["SIGINT", "SIGTERM"]) {
  process.once(name, () => {
    console.error(`\n[bench] ${name}: stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Spawns `command` as the leader of a new process group; keeps its last output lines. */
export function spawnGroup(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.lines = [];
  child.lineCount = 0; // lines other than wrangler's usual offline notices
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = chunk.split("\n").filter(Boolean);
      child.lineCount += lines.filter((line) => !WRANGLER_NOTICE.test(line)).length;
      child.lines.push(...lines);
      child.lines.splice(0, Math.max(0, child.lines.length - 200));
    });
  }
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** SIGTERM to the child's whole group, SIGKILL after 5 s. */
export async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {}
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  signal("SIGKILL"); // whatever of the group outlived its leader
}
