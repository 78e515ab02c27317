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

/**
 * The browser's command name on Linux, most common first (the first found on PATH wins), looked
 * up as `command -v` does, wherever the distribution puts it: `chromium` (Debian, Arch),
 * `chromium-browser` (Ubuntu's deb, Fedora; snap puts it on PATH as `chromium`), Google Chrome.
 */
export const LINUX_BROWSER_COMMANDS = [
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
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

/** Every `dir/command` of PATH, in PATH's order for each command in turn. */
function onPath(commands: readonly string[], path: string | undefined): string[] {
  const dirs = (path ?? '').split(':').filter((d) => d !== '');
  return commands.flatMap((command) => dirs.map((dir) => `${dir.replace(/\/+$/, '')}/${command}`));
}

/**
 * Picks the browser portably: CHROMIUM_PATH, then the Linux commands on PATH, then macOS Chrome, then
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
    platform === 'darwin'
      ? MACOS_BROWSER_PATHS
      : platform === 'linux'
        ? onPath(LINUX_BROWSER_COMMANDS, env.PATH)
        : [];
  const found = candidates.find((path) => exists(path));
  if (found) return { kind: 'path', executablePath: found, source: found };
  return { kind: 'channel', channel: 'chrome', source: "playwright-core channel 'chrome'" };
}
