import { describe, expect, it } from 'vitest';
import { findBrowser, LINUX_BROWSER_COMMANDS } from '../../support/find-browser.js';

// The discovery logic is checked against a fake filesystem (`exists`) and a made-up PATH: no
// browser is needed, and the commands come from the list the finder searches.
const PATH = '/opt/fake/bin:/opt/fake/snap/bin';
const [CHROMIUM, CHROMIUM_BROWSER] = LINUX_BROWSER_COMMANDS as [string, string];
const DEBIAN = `/opt/fake/bin/${CHROMIUM}`;
const UBUNTU_FEDORA = `/opt/fake/bin/${CHROMIUM_BROWSER}`;
const UBUNTU_SNAP = `/opt/fake/snap/bin/${CHROMIUM}`;
const EVERY_CANDIDATE = LINUX_BROWSER_COMMANDS.flatMap((c) => [
  `/opt/fake/bin/${c}`,
  `/opt/fake/snap/bin/${c}`,
]);

const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe('findBrowser', () => {
  it('takes CHROMIUM_PATH first, over any installed browser', () => {
    expect(
      findBrowser({
        env: { CHROMIUM_PATH: '/opt/my/chrome', PATH },
        platform: 'linux',
        exists: only('/opt/my/chrome', DEBIAN),
      }),
    ).toEqual({ kind: 'path', executablePath: '/opt/my/chrome', source: 'CHROMIUM_PATH' });
  });

  it('fails naming CHROMIUM_PATH and how to install a browser when that path does not exist', () => {
    expect(() =>
      findBrowser({
        env: { CHROMIUM_PATH: '/nope/chrome', PATH },
        platform: 'linux',
        exists: only(DEBIAN),
      }),
    ).toThrow(/CHROMIUM_PATH=\/nope\/chrome does not exist[\s\S]*apt-get install -y chromium/);
  });

  it.each([
    ['Debian', DEBIAN],
    ['Ubuntu / Fedora', UBUNTU_FEDORA],
    ['Ubuntu snap', UBUNTU_SNAP],
  ])('finds %s’s chromium at %s', (_distro, path) => {
    expect(findBrowser({ env: { PATH }, platform: 'linux', exists: only(path) })).toMatchObject({
      kind: 'path',
      executablePath: path,
    });
  });

  it('prefers the Debian command when several exist', () => {
    expect(
      findBrowser({ env: { PATH }, platform: 'linux', exists: only(...EVERY_CANDIDATE) }),
    ).toMatchObject({ executablePath: DEBIAN });
  });

  it('finds Google Chrome on macOS', () => {
    const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
    expect(
      findBrowser({ env: {}, platform: 'darwin', exists: only(chrome, DEBIAN) }),
    ).toMatchObject({ kind: 'path', executablePath: chrome });
  });

  it("falls back to playwright-core's chrome channel when no known path exists", () => {
    expect(findBrowser({ env: { PATH }, platform: 'linux', exists: only() })).toMatchObject({
      kind: 'channel',
      channel: 'chrome',
    });
    expect(findBrowser({ env: {}, platform: 'win32', exists: only() })).toMatchObject({
      kind: 'channel',
    });
  });
});
