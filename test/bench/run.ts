/**
 * Whole-process benchmarks: `npm run bench`. Each case runs after a warm-up, several times; we report the
 * median, min and max wall time and the peak RSS (GNU time), and the ratio to a peer where one exists.
 * Results go to .bench/results.{md,json} (git-ignored). Usage: node test/bench/run.ts [--runs N] [suite word…], e.g. `scale`
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { suites, type BenchCase } from './cases.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const GNU_TIME = '/usr/bin/time';

interface Result {
  name: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  peakRssMiB: number | null;
  peer?: string;
  ratio?: number;
  target?: number;
  /** Figures the case reports itself (e.g. API requests). */
  extra?: Record<string, number>;
}

function once(c: BenchCase, command: string[]): { ms: number; rssKiB: number | null; stdout: string } {
  const useTime = existsSync(GNU_TIME);
  // GNU time writes its figure last on stderr; -q keeps it from adding a note on a non-zero exit
  const [bin, ...args] = useTime ? [GNU_TIME, '-q', '-f', '%M', ...command] : command;
  const start = performance.now();
  const r = spawnSync(bin!, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - start;
  const expected = c.exitCode ?? 0;
  if (r.status !== expected && !c.allowFailure) throw new Error(`${command.join(' ')} exited ${r.status} (expected ${expected}): ${r.stderr}`);
  const rss = useTime ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
  return { ms, rssKiB: Number.isFinite(rss) ? rss : null, stdout: r.stdout };
}

/** The most memory any dynamoctl command may hold (issue #13). */
const MAX_RSS_MIB = 200;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function measure(c: BenchCase, runs: number, warmups = 2): Result {
  for (let i = 0; i < warmups; i++) once(c, c.command(i)); // warm-up: page cache, Node's compile cache
  const samples = Array.from({ length: runs }, (_, i) => once(c, c.command(i + warmups)));
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.rssKiB).filter((v): v is number => v !== null);
  return {
    name: c.name,
    runs,
    medianMs: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    peakRssMiB: rss.length ? Math.max(...rss) / 1024 : null,
    ...(c.extra ? { extra: c.extra(samples.at(-1)!.stdout) } : {}),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv.splice(runsAt, 2)[1]) : 15;
  // arguments select suites by a word of their name (e.g. "scale"); none: every suite
  const chosen = argv.length ? suites.filter((s) => argv.some((a) => s.name.toLowerCase().includes(a.toLowerCase()))) : suites;
  const results = new Map<string, Result>();
  for (const suite of chosen) {
    process.stderr.write(`bench: suite "${suite.name}"\n`);
    await suite.setup?.();
    try {
      for (const c of suite.cases) {
        const n = runsAt >= 0 ? runs : (suite.runs ?? runs);
        process.stderr.write(`bench: ${c.name} (${n} runs)\n`);
        results.set(c.name, measure(c, n, suite.warmups));
      }
    } finally {
      await suite.teardown?.();
    }
  }
  const selected = chosen.flatMap((s) => s.cases);
  for (const c of selected) {
    const r = results.get(c.name)!;
    const peer = c.peer ? results.get(c.peer) : undefined;
    if (peer) Object.assign(r, { peer: peer.name, ratio: r.medianMs / peer.medianMs, target: c.target });
    else if (c.target !== undefined) Object.assign(r, { target: c.target });
  }
  const rows = [...results.values()];
  const fmt = (n: number): string => n.toFixed(1);
  const table = [
    `Benchmarks (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${runs} runs per case after 2 warm-ups, fewer where a suite says so)`,
    '',
    '| case | median ms | min ms | max ms | peak RSS MiB | vs peer | ratio | target | other |',
    '|---|---:|---:|---:|---:|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${fmt(r.maxMs)} | ${r.peakRssMiB === null ? 'n/a' : fmt(r.peakRssMiB)} | ` +
        `${r.peer ?? ''} | ${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.target === undefined ? '' : r.ratio === undefined ? `≤ ${r.target} ms` : `≤ ${r.target}`} | ` +
        `${Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    ),
  ].join('\n');
  const out = join(root, '.bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.md'), `${table}\n`);
  writeFileSync(join(out, 'results.json'), `${JSON.stringify({ node: process.version, runs, results: rows }, null, 2)}\n`);
  process.stdout.write(`${table}\n\nwritten to .bench/results.md and .bench/results.json\n`);
  const missed = rows.filter((r) => r.target !== undefined && (r.ratio ?? r.medianMs) > r.target);
  // dynamoctl's own peak memory (GNU time: the process, not the helm children it waits for)
  const heavy = rows.filter((r) => r.name.startsWith('dynamoctl') && r.peakRssMiB !== null && r.peakRssMiB > MAX_RSS_MIB);
  if (heavy.length) {
    process.stderr.write(`bench: over ${MAX_RSS_MIB} MiB peak RSS: ${heavy.map((r) => `${r.name} ${r.peakRssMiB!.toFixed(0)} MiB`).join(', ')}\n`);
    process.exitCode = 1;
  }
  if (missed.length) {
    process.stderr.write(`bench: over target: ${missed.map((r) => `${r.name} ${(r.ratio ?? r.medianMs).toFixed(2)} > ${r.target}`).join(', ')}\n`);
    process.exitCode = 1;
  }
}

await main();
