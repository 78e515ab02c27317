import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Markdown link targets and `code` spans that look like relative paths to a document. */
function referencedPaths(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  const codePaths = [...markdown.matchAll(/`(\.{1,2}\/[^`\s]+)`/g)].map((m) => m[1]!);
  return [...links, ...codePaths].filter(
    (target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'),
  );
}

describe.each(['README.md', 'ARCHITECTURE.md'])('%s stands alone', (doc) => {
  const text = readFileSync(join(ROOT, doc), 'utf8');

  it('links only files inside the repository, and they exist', () => {
    for (const target of referencedPaths(text)) {
      const path = resolve(ROOT, target.split('#')[0]!);
      expect(relative(ROOT, path), `${doc} → ${target}`).not.toMatch(/^\.\./);
      expect(existsSync(path), `${doc} → ${target}`).toBe(true);
    }
  });

  it('sends the reader to no sibling folder such as ../shared', () => {
    expect(text).not.toMatch(/\.\.\/shared|\/work\//);
  });

  it('links only public URLs (no localhost)', () => {
    const urls = [...text.matchAll(/\]\((https?:\/\/[^)\s]+)\)/g)].map((m) => m[1]!);
    for (const url of urls) expect(url).not.toMatch(/localhost|127\.0\.0\.1/);
  });
});
