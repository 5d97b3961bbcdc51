// What every browser check needs: the demo served on 127.0.0.1 and a
// headless Chromium with WebGPU on SwiftShader (Debian's /usr/bin/chromium;
// no GPU needed), in a fresh profile.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts web/serve.py on a free port; resolves to { url, stop }. */
export function serve() {
  return new Promise((resolve, reject) => {
    const server = spawn('python3', [join(ROOT, 'web', 'serve.py'), '--port', '0'], {
      env: { ...process.env, FFGPU_SERVE_QUIET: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    server.on('error', reject);
    server.on('exit', (code) => reject(new Error(`web/serve.py exited with ${code}`)));
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (text) => {
      const m = text.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve({ url: m[0], stop: () => server.kill() });
    });
  });
}

/** A fresh Chromium profile with WebGPU; resolves to { context, close }. */
export async function browser() {
  const profile = mkdtempSync(join(tmpdir(), 'ffgpu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/** Collects the page's uncaught errors and console errors, echoing console output. */
export function watch(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
    if (process.env.FFGPU_E2E_VERBOSE) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  return errors;
}

export const text = (page, testid) => page.locator(`[data-testid="${testid}"]`).innerText();
