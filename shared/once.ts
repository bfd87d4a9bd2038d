/** `make`'s value, made on the first call (a frame or a decode that may never be needed). */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
