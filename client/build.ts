// Builds the browser app into client/dist/: one hashed, minified ES module, index.html pointing at it, gzip and
// brotli variants of each, and manifest.json (sizes, the inputs it was built from). `npm start` runs it with
// `--if-stale` first (ensureClientBuilt): it rebuilds only when the bundle is missing or any input is newer than it.
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { mkdir, readFile, rename, rm, stat, writeFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_DIST = join(ROOT, 'client', 'dist');
const ENTRY = join(ROOT, 'client', 'src', 'main.ts');
const HTML = join(ROOT, 'client', 'src', 'index.html');
/** Initial JS budget, gzipped (issue 6). */
export const BUDGET_GZIP_BYTES = 150 * 1024;

export interface FileInfo {
  bytes: number;
  gzip: number;
  br: number;
}
export interface Manifest {
  /** The hashed entry module, e.g. app-3F2K1ZQ.js. */
  entry: string;
  files: Record<string, FileInfo>;
  /** Repo-relative paths of every file the bundle was built from, plus the build inputs themselves. */
  inputs: string[];
  builtAt: string;
}
export interface BuildResult {
  manifest: Manifest;
  dir: string;
  ms: number;
  rebuilt: boolean;
}

/** Always builds. Writes to a temporary folder, then swaps it in, so a server never sees a half-written dist. */
export async function buildClient(outDir = CLIENT_DIST): Promise<BuildResult> {
  const started = performance.now();
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  try {
    // Loaded here, not at the top: a production install without esbuild (a dev dependency) still starts.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: { app: ENTRY },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
      outdir: tmp,
      entryNames: '[name]-[hash]',
      sourcemap: 'linked',
      legalComments: 'linked',
      loader: { '.css': 'text' },
      metafile: true,
      logLevel: 'warning',
    });
    const entry = Object.keys(result.metafile.outputs)
      .map((p) => relative(tmp, resolve(ROOT, p)))
      .find((p) => p.startsWith('app-') && p.endsWith('.js'));
    if (!entry) throw new Error('esbuild produced no app-*.js');
    const html = (await readFile(HTML, 'utf8')).replaceAll('/__ENTRY__', `/${entry}`);
    await writeFile(join(tmp, 'index.html'), html);

    const files: Record<string, FileInfo> = {};
    for (const name of await readdir(tmp)) {
      if (!/\.(js|html|txt)$/.test(name)) continue; // source maps are fetched only by devtools: served uncompressed
      const bytes = await readFile(join(tmp, name));
      const gz = gzipSync(bytes, { level: 9 });
      const br = brotliCompressSync(bytes, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
      });
      await writeFile(join(tmp, `${name}.gz`), gz);
      await writeFile(join(tmp, `${name}.br`), br);
      files[name] = { bytes: bytes.length, gzip: gz.length, br: br.length };
    }
    const inputs = [
      ...Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p))),
      relative(ROOT, HTML),
      relative(ROOT, fileURLToPath(import.meta.url)),
    ];
    const manifest: Manifest = { entry, files, inputs, builtAt: new Date().toISOString() };
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await swapIn(tmp, outDir);
    return { manifest, dir: outDir, ms: performance.now() - started, rebuilt: true };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function swapIn(tmp: string, outDir: string): Promise<void> {
  const old = `${outDir}.old-${process.pid}-${Date.now()}`;
  await rename(outDir, old).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  try {
    await rename(tmp, outDir);
  } catch (err) {
    // Another process swapped in its build at the same moment: theirs is as fresh as ours.
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw err;
    await rm(tmp, { recursive: true, force: true });
  }
  await rm(old, { recursive: true, force: true });
}

/** The manifest of the current build, or null when there is none or it is unreadable. */
export async function readManifest(outDir = CLIENT_DIST): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** Why the bundle needs building, or null when it is current. Pass the manifest when it is already read. */
export async function staleReason(outDir = CLIENT_DIST, manifest?: Manifest | null): Promise<string | null> {
  if (manifest === undefined) manifest = await readManifest(outDir);
  if (!manifest) return 'no build yet';
  for (const name of [manifest.entry, 'index.html']) {
    if (!(await stat(join(outDir, name)).catch(() => null))) return `${name} is missing`;
  }
  // A new source file only becomes an input once something imports it, and then the importer changed too.
  const builtAt = Date.parse(manifest.builtAt);
  for (const input of manifest.inputs) {
    const s = await stat(join(ROOT, input)).catch(() => null);
    if (!s) return `${input} is gone`;
    if (s.mtimeMs > builtAt) return `${input} changed`;
  }
  return null;
}

let inFlight: Promise<BuildResult> | null = null;

/** Builds when missing or stale; otherwise returns the current manifest. Concurrent callers share one build. */
export function ensureClientBuilt(outDir = CLIENT_DIST): Promise<BuildResult> {
  inFlight ??= (async () => {
    const started = performance.now();
    const manifest = await readManifest(outDir);
    if (manifest && (await staleReason(outDir, manifest)) === null)
      return { manifest, dir: outDir, ms: performance.now() - started, rebuilt: false };
    return buildClient(outDir);
  })().finally(() => (inFlight = null));
  return inFlight;
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KB`;
}

/**
 * `--if-stale`, before the server starts: a bundle that cannot be built (esbuild not installed) is a warning, and
 * client/dist is served as it is, rather than a server that does not start.
 */
async function buildIfStale(): Promise<void> {
  try {
    const built = await ensureClientBuilt();
    if (built.rebuilt) console.error(`client bundle built: ${built.manifest.entry} in ${Math.round(built.ms)} ms`);
  } catch (err) {
    console.error(`could not build the client bundle (${(err as Error).message}); serving client/dist as it is`);
  }
}

/** `npm run build:client`: always builds, and reports sizes against the budget (exit 1 over it). */
async function buildAndReport(): Promise<void> {
  const { manifest, ms, dir } = await buildClient();
  const js = manifest.files[manifest.entry];
  console.log(`built ${relative(process.cwd(), dir)}/${manifest.entry} in ${ms.toFixed(0)} ms`);
  for (const [name, f] of Object.entries(manifest.files))
    console.log(
      `  ${name.padEnd(24)} ${kb(f.bytes).padStart(9)}  gzip ${kb(f.gzip).padStart(8)}  br ${kb(f.br).padStart(8)}`,
    );
  console.log(`initial JS: ${kb(js.gzip)} gzipped (budget ${kb(BUDGET_GZIP_BYTES)})`);
  if (js.gzip > BUDGET_GZIP_BYTES) {
    console.error('over the initial JS budget');
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--if-stale')) await buildIfStale();
  else await buildAndReport();
}
