import { existsSync } from 'node:fs';

/** How playwright-core should start the browser: a binary on disk, or its installed-Chrome channel. */
export type BrowserChoice =
  | { kind: 'path'; executablePath: string; source: string }
  | { kind: 'channel'; channel: 'chrome'; source: string };

export const BROWSER_INSTALL_HINT = [
  'The browser tests (`npm run test:browser`) need Chromium or Google Chrome. Any one of:',
  '  - set CHROMIUM_PATH=/path/to/chromium-or-chrome',
  '  - Debian:        apt-get install -y chromium',
  '  - Ubuntu:        apt-get install -y chromium-browser   (or: snap install chromium)',
  '  - Fedora:        dnf install -y chromium',
  '  - macOS:         install Google Chrome, or: brew install --cask chromium',
  '  - anywhere:      npx playwright install chrome',
  '`bash .ci/run` installs Debian’s chromium before it runs them.',
].join('\n');

/** Where distributions put the browser, most common first (the first that exists wins). */
export const LINUX_BROWSER_PATHS = [
  '/usr/bin/chromium', // Debian
  '/usr/bin/chromium-browser', // Ubuntu (deb), Fedora
  '/snap/bin/chromium', // Ubuntu (snap)
  '/usr/lib/chromium/chromium', // Debian (the binary behind the wrapper)
  '/usr/lib64/chromium-browser/chromium-browser', // Fedora (the binary behind the wrapper)
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
];

export const MACOS_BROWSER_PATHS = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

export interface FindBrowserOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  exists?: (path: string) => boolean;
}

/**
 * Picks the browser portably: CHROMIUM_PATH, then the usual Linux paths, then macOS Chrome, then
 * playwright-core's `chrome` channel (Chrome where Google's installer puts it). A CHROMIUM_PATH
 * that does not exist is an error rather than a silent fallback: the caller asked for that one.
 */
export function findBrowser(options: FindBrowserOptions = {}): BrowserChoice {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const exists = options.exists ?? existsSync;

  const explicit = env.CHROMIUM_PATH?.trim();
  if (explicit) {
    if (!exists(explicit)) {
      throw new Error(`CHROMIUM_PATH=${explicit} does not exist.\n${BROWSER_INSTALL_HINT}`);
    }
    return { kind: 'path', executablePath: explicit, source: 'CHROMIUM_PATH' };
  }
  const candidates =
    platform === 'darwin' ? MACOS_BROWSER_PATHS : platform === 'linux' ? LINUX_BROWSER_PATHS : [];
  const found = candidates.find((path) => exists(path));
  if (found) return { kind: 'path', executablePath: found, source: found };
  return { kind: 'channel', channel: 'chrome', source: "playwright-core channel 'chrome'" };
}
