// ESLint flat config. The determinism rule: simulation code (services/, shared/) must not read the
// wall clock, start wall-clock timers or draw unseeded randomness. Process entry points and the
// network transport are the I/O shell and are exempt.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const determinism = {
  "no-restricted-globals": [
    "error",
    { name: "Date", message: "Simulation code uses virtual time (ctx.now()), never the wall clock." },
    { name: "setTimeout", message: "Use the virtual-time scheduler's hrtimers, not wall-clock timers." },
    { name: "setInterval", message: "Use the virtual-time scheduler's hrtimers, not wall-clock timers." },
    { name: "setImmediate", message: "Use the virtual-time scheduler, not the event loop." },
    { name: "performance", message: "Simulation code uses virtual time only." },
  ],
  "no-restricted-properties": [
    "error",
    { object: "Math", property: "random", message: "Use the run's seeded PRNG (ctx.rng)." },
    { object: "Date", property: "now", message: "Simulation code uses virtual time (ctx.now())." },
    { object: "performance", property: "now", message: "Simulation code uses virtual time only." },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/**", "runs/**", ".tmp/**", "bench/results.json"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["services/**/*.ts", "shared/**/*.ts", "runtime/**/*.ts", "trace/**/*.ts"],
    ignores: ["**/main.ts", "**/*.test.ts", "**/nats*.ts", "shared/log/jetstream*.ts", "shared/process/**"],
    rules: determinism,
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
