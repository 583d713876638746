import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (installed by scripts/ensure-test-tools.mjs); test tools' own browser downloads fail here. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless Chromium as this project runs it: no sandbox (root in CI), no GPU, and none of Chromium's
 * own network traffic (the build machines refuse it, many connections at a time).
 */
export function launchChromium(options: { timeout?: number } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
    ...options,
  });
}
