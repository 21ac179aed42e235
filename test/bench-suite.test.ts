// The benchmark suite behind `aiofs bench` (bench/suite/main.mjs), run as a user runs it: --quick
// at a small --size must write results JSON with every scenario, every case measured for node:fs and
// aiofs with sane figures, and the report script must render it (tables, SVG) into the README region.
// Figures are never compared with each other here: the machine is shared, only their sanity is checked.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @ts-expect-error: plain ES modules of the benchmark, no type declarations
import { SCENARIOS } from '../bench/suite/main.mjs';
// @ts-expect-error: plain ES modules of the benchmark, no type declarations
import { BEGIN, END, renderMarkdown, renderSvg } from '../bench/suite/report.mjs';
// @ts-expect-error: plain ES modules of the benchmark, no type declarations
import { writeRows } from '../bench/suite/scenarios/whole-file.mjs';

interface Summary {
  value: number;
  runs: number;
  loopP99Ms: number | null;
  cpuSecPerGiB: number | null;
  peakRssMiB: number | null;
  ioUring: boolean;
}
interface Case {
  id: string;
  label: string;
  skipped?: string;
  unit?: string;
  size?: number;
  results: Record<string, Summary>;
}
interface Scenario {
  id: string;
  title: string;
  unit: string;
  reference: string | null;
  skipped?: string;
  error?: string;
  cases: Case[];
}
interface Results {
  suite: string;
  quick: boolean;
  seconds: number;
  env: { fio: string | null };
  ioUring: { distinctContender: boolean };
  scenarios: Scenario[];
  cache: string;
}

const MAIN = fileURLToPath(new URL('../bench/suite/main.mjs', import.meta.url));
const REPORT = fileURLToPath(new URL('../bench/suite/report.mjs', import.meta.url));
const isRoot = process.getuid?.() === 0;
const work = mkdtempSync(join(tmpdir(), 'aiofs-bench-suite-test-'));
const jsonPath = join(work, 'results.json');
let run: ReturnType<typeof spawnSync>;
let results: Results;

beforeAll(() => {
  // 8 MiB base size: every scenario, at sizes that keep the suite at about two minutes
  run = spawnSync(process.execPath, [MAIN, '--quick', '--size', '8M', '--dir', work, '--json', jsonPath], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 << 20,
  });
  results = JSON.parse(readFileSync(jsonPath, 'utf8')) as Results;
}, 310_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bench suite --quick', () => {
  it('exits 0, prints the tables and removes its data folder', () => {
    expect(run.status, `${String(run.stdout).slice(-3000)}\n${String(run.stderr)}`).toBe(0);
    expect(run.stdout).toMatch(/Results \(medians/);
    expect(run.stdout).toMatch(/Suite took \d+ s/);
    expect(readdirSync(work).filter((f) => f.startsWith('.aiofs-bench-'))).toEqual([]);
    console.log(`--quick --size 8M took ${results.seconds.toFixed(1)} s; ${results.cache}`);
  });

  it('writes JSON with every scenario, none failed, skipped only with a reason (and never as root)', () => {
    expect(results.suite).toBe('aiofs-bench');
    expect(results.quick).toBe(true);
    expect(results.scenarios.map((s) => s.id)).toEqual(SCENARIOS.map((s: { id: string }) => s.id));
    for (const s of results.scenarios) {
      expect(s.error, `${s.id} failed: ${s.error}`).toBeUndefined();
      if (s.skipped) {
        console.log(`scenario ${s.id} skipped: ${s.skipped}`);
        expect(isRoot, `${s.id} skipped as root: ${s.skipped}`).toBe(false);
        continue;
      }
      expect(s.cases.length, s.id).toBeGreaterThan(0);
      for (const c of s.cases) {
        if (c.skipped) {
          console.log(`case ${s.id}/${c.id} skipped: ${c.skipped}`);
          expect(isRoot, `${s.id}/${c.id} skipped as root: ${c.skipped}`).toBe(false);
        }
      }
    }
  });

  it('measured node:fs and aiofs in every case, with positive finite figures and their costs', () => {
    for (const s of results.scenarios.filter((x) => !x.skipped)) {
      for (const c of s.cases.filter((x) => !x.skipped)) {
        const where = `${s.id}/${c.id}`;
        for (const id of ['fs', 'aiofs']) {
          const r = c.results[id];
          expect(r, `${where}: no ${id}`).toBeDefined();
          expect(r.runs, where).toBeGreaterThanOrEqual(1);
          if ((c.unit ?? s.unit).startsWith('%')) {
            // page-cache residency: a share, 0 is a real answer
            expect(r.value, where).toBeGreaterThanOrEqual(0);
            expect(r.value, where).toBeLessThanOrEqual(100);
          } else {
            expect(r.value, `${where} ${id}`).toBeGreaterThan(0);
            expect(Number.isFinite(r.value), `${where} ${id}`).toBe(true);
          }
          expect(r.loopP99Ms, `${where} ${id} loop p99`).toBeGreaterThanOrEqual(0);
          expect(r.peakRssMiB, `${where} ${id} peak RSS`).toBeGreaterThan(10);
        }
        // (CPU per GiB has no meaning for the threadpool's jobs, nor for whole files of 0 bytes)
        if (s.id !== 'threadpool' && c.size !== 0) {
          for (const id of ['fs', 'aiofs']) expect(c.results[id].cpuSecPerGiB, `${where} ${id} CPU/GiB`).toBeGreaterThan(0);
        }
        // node:fs with UV_USE_IO_URING=1 appears exactly when the probe found it changes node:fs,
        // and then really ran on io_uring; the plain fs contender never did
        if (results.ioUring.distinctContender && s.id !== 'page-cache' && !c.id.endsWith('-flush')) {
          expect(c.results['fs-uring']?.ioUring, `${where}: fs-uring without io_uring`).toBe(true);
        }
        expect(c.results.fs.ioUring, `${where}: plain fs used io_uring`).toBe(false);
        if (s.reference === 'fio' && results.env.fio) expect(c.results.fio?.value, `${where} fio`).toBeGreaterThan(0);
        if (s.reference === 'idle') expect(c.results.idle?.value, `${where} idle`).toBeGreaterThan(0);
      }
    }
  });

  it('renders every scenario and case into the markdown tables and the SVG chart', () => {
    const markdown: string = renderMarkdown(results);
    const svg: string = renderSvg(results);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    let bars = 0;
    for (const s of results.scenarios) {
      expect(markdown, s.id).toContain(`| ${s.title} |`);
      for (const c of s.skipped ? [] : s.cases) {
        expect(markdown, `${s.id}/${c.id}`).toContain(`| ${s.title} | ${c.label} |`);
        expect(svg, `${s.id}/${c.id}`).toContain(`>${escape(`${s.title}: ${c.label}`)}</text>`);
        if (!c.skipped) bars++;
      }
    }
    // one bar per measured case, but for ratios with a zero on either side (page-cache residency)
    const barCount = (svg.match(/<rect /g) ?? []).length - 1; // minus the background
    expect(barCount).toBeGreaterThan(0);
    expect(barCount).toBeLessThanOrEqual(bars);
  });

  it('bench:report rewrites only the README region between the markers, from the JSON', () => {
    const readme = join(work, 'README.md');
    const before = '# title\n\ntext before\n\n';
    const after = '\n\n## After\nmore text\n';
    writeFileSync(readme, `${before}${BEGIN}\nold figures\n${END}${after}`);
    const r = spawnSync(process.execPath, [REPORT, jsonPath, '--readme', readme], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(readme, 'utf8');
    expect(text.startsWith(`${before}${BEGIN}\n`)).toBe(true);
    expect(text.endsWith(`${END}${after}`)).toBe(true);
    expect(text).not.toContain('old figures');
    expect(text).toContain(renderMarkdown(results));
    expect(text).toContain('![aiofs vs node:fs in every scenario](results.svg)');
    expect(readFileSync(join(work, 'results.svg'), 'utf8')).toBe(renderSvg(results));
    expect(existsSync(join(work, 'results.md'))).toBe(true);

    writeFileSync(readme, '# no markers\n');
    const missing = spawnSync(process.execPath, [REPORT, jsonPath, '--readme', readme], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no <!-- bench:begin --> \.\.\. <!-- bench:end --> region/);
    expect(readFileSync(readme, 'utf8')).toBe('# no markers\n');
  });

  it('says where a write target lies past the C floor, and only where node:fs stays under that floor', () => {
    const write = (label: string, fs: number, uring: number, aiofs: number, floor?: number) => ({
      label,
      op: 'writeFile-rewrite',
      results: {
        fs: { value: fs },
        'fs-uring': { value: uring },
        aiofs: { value: aiofs },
        ...(floor && { floor: { value: floor } }),
      },
    });
    const rows = writeRows([
      write('under the floor', 90, 100, 110, 115), // 1.2 x 100 = 120 > 115: past it
      write('well under', 50, 60, 70, 100), // 72 < 100
      write('node:fs passes it', 150, 140, 160, 40), // no floor at all, for this machine
      write('no floor', 10, 20, 30),
      { label: 'a read', op: 'readFile', results: { fs: { value: 1 } } },
    ]) as { label: string; value: number; note?: string }[];
    expect(rows).toEqual([
      { label: 'under the floor', value: 1.1, note: '1.2x node:fs is 1.04x the C floor' },
      { label: 'well under', value: 70 / 60 },
      { label: 'node:fs passes it', value: 160 / 150 },
      { label: 'no floor', value: 1.5 },
    ]);
  });

  it('prints --help and refuses unknown scenarios and a --dir that does not exist', () => {
    const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const s of SCENARIOS as { id: string }[]) expect(help.stdout).toContain(s.id);
    const bad = spawnSync(process.execPath, [MAIN, '--only', 'nonsense'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown scenario nonsense/);
    const missing = join(work, 'no-such-dir');
    const noDir = spawnSync(process.execPath, [MAIN, '--quick', '--dir', missing], { encoding: 'utf8' });
    expect(noDir.status).toBe(2);
    expect(noDir.stderr).toContain(`--dir ${missing} does not exist`);
  });
});
