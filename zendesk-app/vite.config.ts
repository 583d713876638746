import { defineConfig } from 'vite';
import { appViteConfig } from './build/app-vite-config.js';

/** `npm run build`: writes the Zendesk package to zendesk-app/dist (set CHEQPOINT_GATEWAY_HOST for upload). */
export default defineConfig(appViteConfig());
