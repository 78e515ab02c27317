import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import config from '../../../vitest.config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface ProjectConfig {
  test?: { name?: string; include?: string[] };
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : entry.name.endsWith('.test.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the README test command (`npm test`)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const projects = (config.test?.projects ?? []) as ProjectConfig[];
  const selected = [...pkg.scripts.test!.matchAll(/--project\s+(\S+)/g)].map((m) => m[1]!);

  it('runs named vitest projects that exist', () => {
    expect(selected.length).toBeGreaterThan(0);
    for (const name of selected) {
      expect(projects.map((p) => p.test?.name)).toContain(name);
    }
  });

  it('needs no browser: no test file it runs starts one (those belong to `npm run test:browser`)', () => {
    const files = projects
      .filter((p) => selected.includes(p.test?.name ?? ''))
      .flatMap((p) => p.test?.include ?? [])
      .flatMap((glob) => filesUnder(glob.slice(0, glob.indexOf('/**'))));
    expect(files.length).toBeGreaterThan(10);
    const withBrowser = files.filter((f) =>
      /^import [^;]*from '(playwright-core|[^']*launch-browser\.js)'/m.test(
        readFileSync(join(ROOT, f), 'utf8'),
      ),
    );
    expect(withBrowser).toEqual([]);
  });

  it('leaves the browser tests to `npm run test:browser`, which CI runs', () => {
    expect(pkg.scripts['test:browser']).toMatch(/--project browser/);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/run_suite browser test:browser/);
  });
});
