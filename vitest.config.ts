import { defineConfig } from "vitest/config";

/** Tests live beside the code they pin (`*.test.ts`); integration tests under `test/`. */
export default defineConfig({
  test: {
    include: ["shared/**/*.test.ts", "services/**/*.test.ts", "runtime/**/*.test.ts", "trace/**/*.test.ts", "cli/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
