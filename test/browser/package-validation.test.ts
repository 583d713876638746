/**
 * The built package (zendesk-app/dist layout) against Zendesk's documented validation rules
 * (zendesk_apps_support: manifest, parameters, translations, assets, file types, http:// and secret scans).
 */
import { copyFileSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { appViteConfig } from '../../zendesk-app/build/app-vite-config.js';
import {
  ALERT_ENTRY_BUDGET_BYTES,
  chunkSizes,
  FIRST_LOAD_BUDGET_BYTES,
  referencedChunks,
} from '../../zendesk-app/build/first-load-size.js';
import { ICON_SYMBOLS } from '../../zendesk-app/src/alerts/icon-symbols.js';
import { BLOCKED_EXTENSIONS, packageDist } from '../../zendesk-app/build/package-app.js';
import { pngSize } from '../../zendesk-app/build/png.js';
import { listZip } from '../../zendesk-app/build/zip.js';

const dist = inject('appDistDir');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(dist, file), 'utf8'));
const manifest = readJson('manifest.json');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return lstatSync(full).isDirectory() ? filesUnder(full) : [path.relative(dist, full)];
  });
}

const MANIFEST_KEYS = [
  'name',
  'author',
  'defaultLocale',
  'private',
  'location',
  'version',
  'frameworkVersion',
  'domainWhitelist',
  'parameters',
  'requirementsOnly',
  'marketingOnly',
  'singleInstall',
  'signedUrls',
  'noTemplate',
  'oauth',
  'remoteInstallationURL',
  'termsConditionsURL',
  'gaID',
  'experiments',
];
const SUPPORT_LOCATIONS = [
  'ticket_sidebar',
  'new_ticket_sidebar',
  'user_sidebar',
  'organization_sidebar',
  'top_bar',
  'nav_bar',
  'system_top_bar',
  'background',
  'modal',
  'ticket_editor',
];
const LOCATION_OPTIONS = ['url', 'flexible', 'autoLoad', 'autoHide', 'size', 'signed', 'legacy', 'objectTypes'];
const PARAMETER_TYPES = ['text', 'checkbox', 'url', 'number', 'multiline', 'hidden', 'oauth'];
const SCOPES = ['header', 'body', 'url', 'jwt_secret_key', 'jwt_claim', 'basic_auth_username', 'basic_auth_password'];
/** Part of Loofah's SVG safelist (lib/loofah/html5/safelist.rb), the elements and attributes an icon needs. */
const SVG_SAFE_ELEMENTS = [
  'svg',
  'g',
  'path',
  'circle',
  'ellipse',
  'line',
  'polyline',
  'polygon',
  'rect',
  'title',
  'symbol',
  'text',
];
const SVG_SAFE_ATTRIBUTES = [
  'xmlns',
  'id',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'width',
  'height',
  'viewBox',
  'd',
  'cx',
  'cy',
  'r',
  'rx',
  'ry',
  'x',
  'y',
  'x1',
  'x2',
  'y1',
  'y2',
  'points',
  'fill',
  'fill-rule',
  'stroke',
  'stroke-width',
  'stroke-linecap',
  'stroke-linejoin',
  'transform',
  'opacity',
];

/** http:// strings the validator flags in minified libraries that are identifiers, never fetched. */
const KNOWN_HTTP_FALSE_POSITIVES = [
  /^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink|1999\/xhtml|1998\/Math\/MathML|XML\/1998\/namespace)/, // DOM namespaces (React)
  /^http:\/\/json-schema\.org\/draft-\d\d\/schema#/, // zod's JSON Schema $schema ids
  /^http:\/\/\[\$\{/, // zod's IPv6 check builds `http://[${value}]` to parse it with URL
  /^http:\/\/fb\.me\/use-check-prop-types/, // prop-types error text
  /^http:\/\/mdn\.io\/animation/, // styled-components error text
];
const SECRET_PATTERNS = [
  /cqp_(agent|flow)_[0-9A-Za-z]{20,}/, // Cheqpoint keys
  /whsec_[0-9A-Za-z+/=]{20,}/, // signing secrets
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /AKIA[0-9A-Z]{16}/,
  /gh[pousr]_[0-9A-Za-z]{36}/,
  /xox[baprs]-[0-9A-Za-z-]{10,}/,
];

describe('Zendesk package validation', () => {
  it('When the manifest is read, then it has the required keys with the right types and no unknown key', () => {
    expect(existsSync(path.join(dist, 'manifest.json'))).toBe(true);
    for (const key of Object.keys(manifest)) expect(MANIFEST_KEYS).toContain(key);
    expect(manifest.author).toEqual({
      name: expect.any(String),
      email: expect.stringMatching(/@/),
      url: expect.any(String),
    });
    expect(new URL(manifest.author.url).protocol).toMatch(/^https?:$/);
    expect(manifest.defaultLocale).toBe('en');
    expect(manifest.frameworkVersion).toBe('2.0');
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const key of ['requirementsOnly', 'marketingOnly', 'singleInstall', 'signedUrls', 'private']) {
      if (key in manifest) expect(typeof manifest[key]).toBe('boolean');
    }
    expect(manifest.domainWhitelist).toEqual([expect.stringMatching(/^[a-z0-9.-]+$/)]);
  });

  it('When locations are read, then each is a Support location whose url is a packaged asset', () => {
    expect(Object.keys(manifest.location)).toEqual(['support']);
    const locations = manifest.location.support as Record<string, Record<string, unknown>>;
    expect(Object.keys(locations).sort()).toEqual(['background', 'nav_bar', 'ticket_sidebar', 'top_bar']);
    for (const [name, options] of Object.entries(locations)) {
      expect(SUPPORT_LOCATIONS).toContain(name);
      for (const key of Object.keys(options)) expect(LOCATION_OPTIONS).toContain(key);
      expect(options['url']).toMatch(/^assets\//);
      expect(existsSync(path.join(dist, String(options['url'])))).toBe(true);
    }
    expect(locations['ticket_sidebar']?.['flexible']).toBe(true);
  });

  it('When parameters are read, then they follow the parameter and secure-setting rules', () => {
    const parameters = manifest.parameters as Record<string, unknown>[];
    const names = parameters.map((p) => p['name']);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('name');
    expect(parameters.filter((p) => p['type'] === 'oauth').length).toBeLessThanOrEqual(1);
    for (const p of parameters) {
      const type = (p['type'] as string | undefined) ?? 'text';
      expect(PARAMETER_TYPES).toContain(type);
      expect(!(type === 'hidden' && p['required'])).toBe(true);
      if (p['secure']) {
        expect(type).not.toBe('oauth');
        expect(p['scopes']).toEqual(expect.arrayContaining([expect.any(String)]));
        for (const scope of p['scopes'] as string[]) expect(SCOPES).toContain(scope);
        expect('default' in p).toBe(false);
      } else {
        expect('scopes' in p).toBe(false);
        if (type === 'text') expect(String(p['name'])).not.toMatch(/token|key|pwd|password/i);
      }
    }
    expect(parameters.find((p) => p['name'] === 'gatewayUrl')).toMatchObject({ type: 'url', required: true });
    expect(parameters.find((p) => p['name'] === 'agentKey')).toMatchObject({ secure: true, scopes: ['header'] });
  });

  it('When translations are read, then locale names, required keys and parameter labels are present', () => {
    const files = readdirSync(path.join(dist, 'translations'));
    expect(files).toContain(`${manifest.defaultLocale}.json`);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const file of files) {
      expect(file).toMatch(/^[a-z]{2,3}(-\w{2,3})?\.json$/);
      const { app } = readJson(path.join('translations', file));
      expect(typeof app.name).toBe('string');
      expect(app.name).not.toMatch(/for zendesk/i);
      for (const p of manifest.parameters) expect(app.parameters[p.name].label).toEqual(expect.any(String));
    }
    const { app } = readJson('translations/en.json');
    for (const key of ['short_description', 'long_description', 'installation_instructions']) {
      expect(app[key]).toEqual(expect.any(String));
    }
    expect(app.short_description.length).toBeLessThanOrEqual(80);
  });

  it('When UI strings are compared, then every locale has exactly the English keys', () => {
    const dir = path.resolve(import.meta.dirname, '../../zendesk-app/src/translations');
    const en = Object.keys(JSON.parse(readFileSync(path.join(dir, 'en.json'), 'utf8')).ui).sort();
    for (const file of readdirSync(dir)) {
      expect(Object.keys(JSON.parse(readFileSync(path.join(dir, file), 'utf8')).ui).sort(), file).toEqual(en);
    }
  });

  it('When assets are read, then the logos have the required sizes and screenshots are numbered from 0', () => {
    expect(pngSize(readFileSync(path.join(dist, 'assets/logo.png')))).toMatchObject({ width: 320, height: 320 });
    expect(pngSize(readFileSync(path.join(dist, 'assets/logo-small.png')))).toEqual({
      width: 128,
      height: 128,
      colorType: 6,
    });
    const shots = readdirSync(path.join(dist, 'assets')).filter((f) => f.startsWith('screenshot'));
    expect(shots.length).toBeGreaterThanOrEqual(1);
    expect(shots.length).toBeLessThanOrEqual(3);
    shots.sort().forEach((file, index) => {
      expect(file).toBe(`screenshot-${index}.png`);
      expect(pngSize(readFileSync(path.join(dist, 'assets', file)))).not.toBeNull();
      expect(statSync(path.join(dist, 'assets', file)).size).toBeLessThanOrEqual(500 * 1024);
    });
    for (const file of ['icon_nav_bar.svg', 'icon_top_bar.svg']) {
      const icon = readFileSync(path.join(dist, 'assets', file), 'utf8');
      expect(icon).toMatch(/^<svg /);
      expect(icon).not.toMatch(/<script|\son\w+=|javascript:/i);
      // Zendesk's upload sanitiser (Loofah) drops what is not on its SVG safelist: ship nothing it rewrites
      const elements = [...icon.matchAll(/<([a-zA-Z][\w:-]*)/g)].map((m) => m[1]);
      const attributes = [...icon.matchAll(/\s([a-zA-Z][\w:-]*)=/g)].map((m) => m[1]);
      for (const name of elements) expect(SVG_SAFE_ELEMENTS, `${file} <${name}>`).toContain(name);
      for (const name of attributes) expect(SVG_SAFE_ATTRIBUTES, `${file} ${name}`).toContain(name);
    }
    // the top bar's count is a symbol per count (`iconSymbol`), `default` first, each with a viewBox
    const symbols = readFileSync(path.join(dist, 'assets/icon_top_bar.svg'), 'utf8');
    const ids = [...symbols.matchAll(/<symbol id="([^"]+)" viewBox="0 0 18 18">/g)].map((m) => m[1]);
    expect(ids).toEqual(ICON_SYMBOLS);
    expect(ids[0]).toBe('default');
  });

  it('When files are listed, then there is no symlink and no blocked file type', () => {
    for (const file of filesUnder(dist)) {
      expect(lstatSync(path.join(dist, file)).isSymbolicLink()).toBe(false);
      expect(BLOCKED_EXTENSIONS as readonly string[]).not.toContain(path.extname(file));
    }
  });

  it('When JavaScript and HTML are scanned, then no http:// URL (beyond library identifiers) and no key material appear', () => {
    const code = filesUnder(dist).filter((f) => /\.(js|html)$/.test(f));
    expect(code).toEqual(expect.arrayContaining(['assets/index.html', 'assets/index.js']));
    for (const file of code) {
      const text = readFileSync(path.join(dist, file), 'utf8');
      const urls = text.match(/http:\/\/[^\s"'`)]*/g) ?? [];
      const unexpected = urls.filter((url) => !KNOWN_HTTP_FALSE_POSITIVES.some((re) => re.test(url)));
      expect(unexpected, file).toEqual([]);
      for (const pattern of SECRET_PATTERNS) expect(pattern.test(text), `${file} ${pattern}`).toBe(false);
    }
    const js = readFileSync(path.join(dist, 'assets/index.js'), 'utf8');
    expect(js).toContain('{{setting.agentKey}}');
    expect(js).not.toMatch(/console\.log\(/);
    const html = readFileSync(path.join(dist, 'assets/index.html'), 'utf8');
    expect(html).toContain('https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js');
  });

  it('When the sidebar loads, then its first-load JavaScript is at most 120 kB gzip (1,000-byte kB), and the rest loads on demand', async () => {
    // [1] the tests' shared build runs under NODE_ENV=test (React's development build): measure what
    // `npm run build` ships, built here as it builds it
    const shipped = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-app-size-'));
    const nodeEnv = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'production';
    try {
      await build(appViteConfig({ distDir: shipped, gatewayHost: '127.0.0.1' }));
    } finally {
      process.env['NODE_ENV'] = nodeEnv;
    }
    const sizes = chunkSizes(path.join(shipped, 'assets'));
    const index = readFileSync(path.join(shipped, 'assets/index.js'), 'utf8');
    rmSync(shipped, { recursive: true, force: true });
    const firstLoad = sizes.filter((s) => s.isFirstLoad);
    // a size, not a timing: `npm run bench:app` prints the same figure beside the budget
    const gzip = firstLoad.reduce((sum, s) => sum + s.gzip, 0);
    expect(gzip, firstLoad.map((s) => `${s.file} ${s.gzip}`).join(', ')).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
    expect(firstLoad.map((s) => s.file)).toEqual(['index.js']);
    // what the first card does not show is not in it: the queue's table, Garden's forms, the card parts, German
    const onDemand = sizes.filter((s) => !s.isFirstLoad).map((s) => s.file);
    expect(onDemand).toEqual(
      expect.arrayContaining(['QueueView.js', 'garden-forms.js', 'card-parts.chunk.js', 'de.js', 'ticket-note.js']),
    );
    expect(index).not.toContain('json-schema.org/draft/2020-12'); // zod's JSON Schema generator is left out
    expect(index).not.toMatch(/\bTextarea\b|data-garden-id="forms/);
  });

  it('When the background and top bar load, then each entry’s first-load JavaScript is at most 25 kB gzip and none of it is the sidebar’s bundle', () => {
    // [2] measured on the tests' build: these entries hold no React, so NODE_ENV changes nothing in them
    const assets = path.join(dist, 'assets');
    for (const [page, entry] of [
      ['background.html', 'background.js'],
      ['top_bar.html', 'top_bar.js'],
    ] as const) {
      expect(readFileSync(path.join(assets, page), 'utf8')).toContain(`src="./${entry}"`);
      const firstLoad = chunkSizes(assets, entry).filter((s) => s.isFirstLoad);
      const gzip = firstLoad.reduce((sum, s) => sum + s.gzip, 0);
      expect(gzip, firstLoad.map((s) => `${s.file} ${s.gzip}`).join(', ')).toBeLessThanOrEqual(
        ALERT_ENTRY_BUDGET_BYTES,
      );
      const files = firstLoad.map((s) => s.file);
      expect(files).toContain(entry);
      expect(files, entry).not.toContain('index.js');
      const code = files.map((file) => readFileSync(path.join(assets, file), 'utf8')).join('\n');
      expect(code, entry).not.toMatch(/data-garden-id|react\.element|ZodError/); // no React, Garden or zod
    }
  });

  it('When chunks name each other, then by relative URL to a file in the package (Zendesk serves assets/ from its own host)', () => {
    const assets = path.join(dist, 'assets');
    const files = readdirSync(assets);
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(assets, file), 'utf8');
      expect(code, file).not.toMatch(/["'`]\/(assets\/)?[\w.-]+\.js["'`]/); // no root-relative chunk URL
      for (const chunk of referencedChunks(assets, file)) expect(files, `${file} → ${chunk}`).toContain(chunk);
    }
    const html = readFileSync(path.join(assets, 'index.html'), 'utf8');
    expect(html).toContain('src="./index.js"');
    // the generator's stand-in: it throws if anything ever asks the packaged app for JSON Schema
    const all = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(path.join(assets, f), 'utf8'));
    expect(all.some((code) => code.includes('JSON Schema generation is not part of the Cheqpoint Zendesk app'))).toBe(
      true,
    );
  });

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cheqpoint-zip-'));
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(path.join(dist, 'zcli.apps.config.json'), { force: true });
  });

  it('When the package is zipped offline, then it holds the app and leaves zcli.apps.config.json out', () => {
    // The build seeds dist/zcli.apps.config.json for zcli from the top-level one: settings, never the key.
    const seeded = readFileSync(path.join(dist, 'zcli.apps.config.json'), 'utf8');
    expect(JSON.parse(seeded)).toMatchObject({ parameters: { gatewayUrl: expect.any(String) } });
    expect(seeded).not.toMatch(/agentKey|cqp_/);
    copyFileSync(
      path.resolve(import.meta.dirname, '../../zcli.apps.config.json'),
      path.join(dist, 'zcli.apps.config.json'),
    );
    const zip = path.join(tmp, 'app.zip');
    packageDist(dist, zip);
    const names = listZip(readFileSync(zip));
    expect(names).toEqual(
      expect.arrayContaining(['manifest.json', 'translations/en.json', 'assets/index.html', 'assets/logo.png']),
    );
    expect(names).not.toContain('zcli.apps.config.json');
    expect(names).not.toContain('.zcliignore');
  });
});
