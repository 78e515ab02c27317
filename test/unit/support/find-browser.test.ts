import { describe, expect, it } from 'vitest';
import { findBrowser, LINUX_BROWSER_PATHS } from '../../support/find-browser.js';

const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe('findBrowser', () => {
  it('takes CHROMIUM_PATH first, over any installed browser', () => {
    expect(
      findBrowser({
        env: { CHROMIUM_PATH: '/opt/my/chrome' },
        platform: 'linux',
        exists: only('/opt/my/chrome', '/usr/bin/chromium'),
      }),
    ).toEqual({ kind: 'path', executablePath: '/opt/my/chrome', source: 'CHROMIUM_PATH' });
  });

  it('fails naming CHROMIUM_PATH and how to install a browser when that path does not exist', () => {
    expect(() =>
      findBrowser({
        env: { CHROMIUM_PATH: '/nope/chrome' },
        platform: 'linux',
        exists: only('/usr/bin/chromium'),
      }),
    ).toThrow(/CHROMIUM_PATH=\/nope\/chrome does not exist[\s\S]*apt-get install -y chromium/);
  });

  it.each([
    ['Debian', '/usr/bin/chromium'],
    ['Ubuntu / Fedora', '/usr/bin/chromium-browser'],
    ['Ubuntu snap', '/snap/bin/chromium'],
  ])('finds %s’s chromium at %s', (_distro, path) => {
    expect(findBrowser({ env: {}, platform: 'linux', exists: only(path) })).toMatchObject({
      kind: 'path',
      executablePath: path,
    });
  });

  it('prefers the Debian path when several exist', () => {
    expect(
      findBrowser({ env: {}, platform: 'linux', exists: only(...LINUX_BROWSER_PATHS) }),
    ).toMatchObject({ executablePath: '/usr/bin/chromium' });
  });

  it('finds Google Chrome on macOS', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    expect(
      findBrowser({ env: {}, platform: 'darwin', exists: only(chrome, '/usr/bin/chromium') }),
    ).toMatchObject({ kind: 'path', executablePath: chrome });
  });

  it("falls back to playwright-core's chrome channel when no known path exists", () => {
    expect(findBrowser({ env: {}, platform: 'linux', exists: only() })).toMatchObject({
      kind: 'channel',
      channel: 'chrome',
    });
    expect(findBrowser({ env: {}, platform: 'win32', exists: only() })).toMatchObject({
      kind: 'channel',
    });
  });
});
