import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { BROWSER_INSTALL_HINT, findBrowser } from './find-browser.js';

const HEADLESS_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts the browser {@link findBrowser} picks; none at all fails with install instructions. */
export async function launchBrowser(): Promise<Browser> {
  const choice = findBrowser();
  try {
    return choice.kind === 'path'
      ? await chromium.launch({ executablePath: choice.executablePath, args: HEADLESS_ARGS })
      : await chromium.launch({ channel: choice.channel, args: HEADLESS_ARGS });
  } catch (err) {
    throw new Error(
      `Could not start a browser (${choice.source}): ${(err as Error).message.split('\n')[0]}\n` +
        BROWSER_INSTALL_HINT,
      { cause: err },
    );
  }
}
