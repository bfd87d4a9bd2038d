// esbuild's `text` loader turns CSS imports into strings (client/build.ts); this tells TypeScript so.
declare module '*.css' {
  const css: string;
  export default css;
}
