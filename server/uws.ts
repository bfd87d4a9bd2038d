// Loads uWebSockets.js and refuses the package's silent fallback: when the native binary fails to load (or
// UWS_USE_FALLBACK is set) it swaps in a slow JS shim over `ws` with only a console warning (STACK.md).
import { createRequire } from 'node:module';
import type * as UwsModule from '@trufflesuite/uws-js-unofficial';

export type Uws = typeof UwsModule;
export type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  WebSocket,
  us_listen_socket,
} from '@trufflesuite/uws-js-unofficial';

export class UwsNotNativeError extends Error {
  readonly code = 'uws_not_native';
}

const require = createRequire(import.meta.url);
let loaded: Uws | undefined;

export function loadUws(env: NodeJS.ProcessEnv = process.env): Uws {
  if (loaded) return loaded;
  if (/^(1|true)$/i.test(env.UWS_USE_FALLBACK ?? '')) {
    throw new UwsNotNativeError(
      'UWS_USE_FALLBACK is set: this server runs only on the native uWebSockets.js build; unset it',
    );
  }
  const uws = require('@trufflesuite/uws-js-unofficial') as Uws;
  assertNative(uws);
  loaded = uws;
  return uws;
}

/** The native build is a .node binary in require's cache and its App is a native function. */
export function assertNative(uws: Uws, cache: NodeJS.Dict<unknown> = require.cache): void {
  const binary = Object.keys(cache).some((path) => /uws-js-unofficial[\\/]binaries[\\/]uws_[^\\/]+\.node$/.test(path));
  const native = /\{\s*\[native code\]\s*\}/.test(Function.prototype.toString.call(uws.App));
  if (!binary || !native) {
    throw new UwsNotNativeError(
      `uWebSockets.js did not load its native binary for ${process.platform}-${process.arch} Node ABI ${process.versions.modules}; ` +
        'it fell back to a slow JS shim. Use Node 20 on linux/darwin x64/arm64 or win32 x64',
    );
  }
}
