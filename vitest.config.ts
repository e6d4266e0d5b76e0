import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Real subprocesses (bpftrace, the stand-in node, nats-server) start slowly on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The JSON report is what .ci/run counts passes and failures from.
    reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
    pool: "forks",
  },
});
