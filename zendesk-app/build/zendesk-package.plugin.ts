import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import { BRAND, drawLogo } from './png.js';
import { topBarIcon } from './top-bar-icon.svg.js';

/** A bare host name or IPv4 address, as Zendesk's domainWhitelist expects (no scheme, port or path). */
export const GATEWAY_HOST_PATTERN =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Placeholder whitelist entry used when CHEQPOINT_GATEWAY_HOST is not set (fine for tests, not for upload). */
export const PLACEHOLDER_GATEWAY_HOST = 'gateway.invalid';

export interface IZendeskPackageOptions {
  /** Folder of the app's sources (manifest.json, translations/, assets/). */
  srcDir: string;
  /** Host of the gateway: the only entry of domainWhitelist, the host that may receive the agent key. */
  gatewayHost: string;
  /** Version written into manifest.json. */
  version: string;
  /**
   * Signed URLs (verified approvers, README "Verified approvers"): `signedUrls: true` and every location
   * loaded from the gateway's app page instead of the packaged assets/index.html.
   */
  signedUrls?: boolean;
}

/** Where a signed location is loaded from: the page the gateway serves (CHEQPOINT_APP_DIR). */
export const SIGNED_LOCATION_URL = '{{setting.gatewayUrl}}/zendesk/app/index.html';

/**
 * Only elements and attributes on the SVG safelist of Loofah (the sanitiser Zendesk runs on upload), so the
 * uploaded icon is the one we ship: `focusable="false"` was rewritten away, for one.
 */
const NAV_BAR_ICON = `<svg xmlns="http://www.w3.org/2000/svg" width="18" height="18" viewBox="0 0 18 18">
  <circle cx="9" cy="9" r="7" fill="none" stroke="currentColor" stroke-width="1.6"/>
  <path d="M5.6 9.3l2.3 2.3 4.5-4.8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
`;

/**
 * Writes the rest of the Zendesk package around Vite's output in `<dist>/assets`: `<dist>/manifest.json`
 * (version, domainWhitelist), `<dist>/translations/*.json` (listing and parameter keys only), and the logos,
 * nav-bar icon and screenshots in `<dist>/assets`.
 */
export function zendeskPackage(options: IZendeskPackageOptions): Plugin {
  if (!GATEWAY_HOST_PATTERN.test(options.gatewayHost)) {
    throw new Error(
      `CHEQPOINT_GATEWAY_HOST must be a bare host name such as cheqpoint.example.com (got "${options.gatewayHost}")`,
    );
  }
  let assetsDir = '';
  return {
    name: 'cheqpoint-zendesk-package',
    apply: 'build',
    configResolved(config) {
      assetsDir = path.resolve(config.root, config.build.outDir);
    },
    buildStart() {
      if (options.gatewayHost === PLACEHOLDER_GATEWAY_HOST) {
        this.warn(
          `domainWhitelist is the placeholder "${PLACEHOLDER_GATEWAY_HOST}": set CHEQPOINT_GATEWAY_HOST=<your gateway host> for a package you upload`,
        );
      }
      const distDir = path.dirname(assetsDir);
      rmSync(path.join(distDir, 'manifest.json'), { force: true });
      rmSync(path.join(distDir, 'translations'), { recursive: true, force: true });
    },
    writeBundle() {
      const distDir = path.dirname(assetsDir);
      const manifest = JSON.parse(readFileSync(path.join(options.srcDir, 'manifest.json'), 'utf8'));
      manifest.version = options.version;
      manifest.domainWhitelist = [options.gatewayHost];
      if (options.signedUrls) {
        manifest.signedUrls = true;
        // The gateway's signed page is the sidebar's (index.html). The alert locations keep their packaged
        // pages, unsigned: they only read, which needs no session, and a packaged page cannot take a POST.
        for (const location of Object.values(
          manifest.location.support as Record<string, { url: string; signed?: boolean }>,
        )) {
          if (location.url === 'assets/index.html') location.url = SIGNED_LOCATION_URL;
          else location.signed = false;
        }
      }
      writeFileSync(path.join(distDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

      const translationsDir = path.join(distDir, 'translations');
      mkdirSync(translationsDir, { recursive: true });
      for (const file of readdirSync(path.join(options.srcDir, 'translations'))) {
        if (!file.endsWith('.json')) continue;
        const all = JSON.parse(readFileSync(path.join(options.srcDir, 'translations', file), 'utf8'));
        // [1] Only the listing keys ship as translation files; UI strings are bundled into the JavaScript.
        writeFileSync(path.join(translationsDir, file), `${JSON.stringify({ app: all.app }, null, 2)}\n`);
      }

      writeFileSync(
        path.join(assetsDir, 'logo.png'),
        drawLogo(320, { background: BRAND.teal, ring: BRAND.white, check: BRAND.white }),
      );
      writeFileSync(
        path.join(assetsDir, 'logo-small.png'),
        drawLogo(128, { background: null, ring: BRAND.teal, check: BRAND.teal }),
      );
      writeFileSync(path.join(assetsDir, 'icon_nav_bar.svg'), NAV_BAR_ICON);
      writeFileSync(path.join(assetsDir, 'icon_top_bar.svg'), topBarIcon());
      copyFileSync(path.join(options.srcDir, '..', '.zcliignore'), path.join(distDir, '.zcliignore'));
      // `zcli apps:server|create|update <dist>` read dist/zcli.apps.config.json: seed it from the top-level
      // one (non-secret settings), and keep it once there: `apps:create` writes the app_id into it.
      const zcliConfig = path.join(distDir, 'zcli.apps.config.json');
      const topConfig = path.join(options.srcDir, '..', '..', 'zcli.apps.config.json');
      if (!existsSync(zcliConfig) && existsSync(topConfig)) copyFileSync(topConfig, zcliConfig);
      const shots = path.join(options.srcDir, 'assets');
      for (const file of readdirSync(shots)) {
        if (/^screenshot-[0-2]\.png$/.test(file)) copyFileSync(path.join(shots, file), path.join(assetsDir, file));
      }
    },
  };
}
