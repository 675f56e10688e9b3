import { createRequire } from "node:module";
import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

// One graphql for everyone: vite would hand our sources graphql's ES build
// while type-graphql, Apollo and graphql-ws require() the CommonJS one, and
// graphql refuses schema objects "from another module or realm".
const graphqlCjs = createRequire(import.meta.url).resolve("graphql");

// type-graphql reads decorator metadata; SWC emits it (esbuild does not).
export default defineConfig({
  plugins: [swc.vite({ module: { type: "es6" } })],
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlCjs }] },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build.ts", "test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
